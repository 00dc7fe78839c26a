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


# A full collection once per this many generation-1 collections instead of CPython's 10 (and, as always, only once
# the long-lived objects grew by a quarter since the last one).
RARE_FULL_COLLECTIONS = 100


def space_out_full_collections() -> None:
    """For a process whose long-lived objects are many and keep coming (a realtime node: about 100 per socket):
    each full collection walks all of them to free almost nothing, and a connect storm set off one after another.
    Measured on 3,000 sockets connecting at once: 1.1 ms of the node's CPU per connect instead of 1.5 ms. The price:
    garbage in reference cycles among old objects (closed sockets' among them) waits up to ten times as long for
    the collection that frees it."""
    gen0, gen1, _ = gc.get_threshold()
    gc.set_threshold(gen0, gen1, RARE_FULL_COLLECTIONS)
