"""The ``parley`` command for operators: replay, verify, audit and stats."""
