"""Parley's projector: consumes events from JetStream and keeps the read models up to date."""
