"""Parley's command side: validates commands, decides, appends events and publishes them."""
