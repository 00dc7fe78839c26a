"""The garbage collector of a long-running service.

CPython's full collection (generation 2) walks every container object the process holds, and the event loop stands
still meanwhile: in the messaging benchmark, 45-100 ms in the command API and up to 270 ms in a realtime node
holding 1,000 sockets. Most of those objects are the ones built at start (modules, the app and its routes, pydantic
schemas: about 50,000 per service), which live as long as the process. Once start-up is over they are collected
once and moved to the permanent generation, which later collections skip; what the service creates afterwards is
collected as before.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def freeze_startup_objects() -> None:
    """Call once, when the service has finished starting."""
    gc.collect()
    gc.freeze()
    log.debug("objects kept out of later collections: %d", gc.get_freeze_count())
