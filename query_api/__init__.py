"""Parley's query side: answers reads from the read models."""
