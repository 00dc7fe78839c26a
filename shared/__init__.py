"""Parley's shared library: event contracts, the event store, the bus, auth, settings and logging."""
