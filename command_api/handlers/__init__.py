"""Command handlers: between the routes and the log.

A route parses the request, calls a handler and shapes the answer; a handler loads what its decision needs through
the event log's contract (``shared.event_log.EventLog``), asks the pure decisions in ``command_api.domain``, and
appends through the ``Recorder`` (whose ``decide`` is the one retry loop on lost races). Handlers know nothing of
HTTP: they raise the domain's refusals (``command_api.domain.rules``), which the app answers 404, 409 or 422.
Their unit tests run on the in-memory log of tests/support/memory_log.py.
"""
