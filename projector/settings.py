"""Settings of the projector."""

from __future__ import annotations

from shared.settings import Settings


class ProjectorSettings(Settings):
    service_name: str = "projector"
    # A small HTTP port for /healthz and /readyz only; the projector accepts no commands.
    health_host: str = "127.0.0.1"
    health_port: int = 8004
    fetch_batch: int = 256
    # Deliveries before an event that keeps failing is parked instead of blocking its consumer.
    max_deliver: int = 5
