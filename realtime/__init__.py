"""Parley's realtime node: authorised Socket.IO connections and live pushes of events."""
