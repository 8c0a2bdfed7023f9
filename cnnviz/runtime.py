"""Process-level set-up for the Streamlit server: the heavy imports, once, before any page runs.

Every browser session runs the page scripts in its own thread. When a class opens a freshly
started server at once, several of those threads (and Streamlit's own lazy imports, such as
pandas inside ``st.plotly_chart``) would import the same heavy modules at the same moment,
and Python's import deadlock avoidance can then hand one of them a half-initialised module
("partially initialized module 'pandas' has no attribute 'Series"). ``preload`` imports them
all in one thread under a process-wide lock; the app calls it before anything else, so every
other session's script simply waits until it is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import importlib
import logging
import os
import threading
import time
from collections.abc import Callable

HEAVY_MODULES = (
    "numpy", "pandas", "pyarrow", "PIL.Image", "cv2",
    "plotly.graph_objects", "plotly.subplots", "plotly.io", "plotly.express",
    "tensorflow", "keras",
)  # fmt: skip

COLLECT_EVERY_S = float(os.environ.get("CNNVIZ_COLLECT_EVERY_S", "30"))  # the server's collection interval
_LOGGER = logging.getLogger(__name__)
_PRELOAD_LOCK = threading.Lock()
_preloaded = False
_collector: threading.Thread | None = None


def preload() -> None:
    """Import every heavy module once; callers that arrive meanwhile wait for the first one.

    Nothing is frozen out of the garbage collector (``gc.freeze()``) afterwards: the first
    sessions' objects exist by then and would be frozen too, and a frozen session's state
    (model, dataset) is never collected after its tab closes. A full collection of the
    ~400,000 objects alive after the imports takes ~0.2 s, once every ``COLLECT_EVERY_S``.
    """
    global _preloaded
    with _PRELOAD_LOCK:
        if _preloaded:
            return
        for name in HEAVY_MODULES:
            importlib.import_module(name)
        _preloaded = True


def _release_free_heap() -> None:
    """Hand the heap's free pages back to the system (glibc keeps them otherwise, so a server's
    memory would stay at its peak after the sessions that needed it have left)."""
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def _collect_forever(interval_s: float, first: Callable[[], None]) -> None:
    while True:
        time.sleep(interval_s)
        try:
            first()
        except Exception:  # housekeeping: the collection below must go on regardless
            _LOGGER.exception("cnnviz: the housekeeping before the periodic collection failed")
        gc.collect()
        _release_free_heap()


def collect_periodically(
    first: Callable[[], None] = lambda: None, interval_s: float = COLLECT_EVERY_S
) -> threading.Thread:
    """One background thread per process that runs a full garbage collection every ``interval_s``
    and returns the freed heap to the system; ``first()`` runs before each collection (the app
    lets go of departed sessions there).

    A server frees what departed sessions left in reference cycles (Keras models are full of
    them) within ``interval_s``, instead of scanning the whole heap after every script run of
    every session, which a class of 30 turns into a third of the server's time.
    """
    global _collector
    with _PRELOAD_LOCK:
        if _collector is None:
            _collector = threading.Thread(target=_collect_forever, args=(interval_s, first), daemon=True,
                                          name="cnnviz-collector")
            _collector.start()
        return _collector
