"""Process-level set-up for the Streamlit server: the heavy imports, once, before the pages need them.

Every browser session runs the page scripts in its own thread. When a class opens a freshly
started server at once, several of those threads (and Streamlit's own lazy imports, such as
pandas inside ``st.plotly_chart``) would import the same heavy modules at the same moment,
and Python's import deadlock avoidance can then hand one of them a half-initialised module
("partially initialized module 'pandas' has no attribute 'Series"). So every heavy module is
imported by one thread at a time, under a process-wide lock, in two steps:

- ``start_preload()``, which the entry script calls first, imports what the pages draw with
  (``PAGE_MODULES``, about a second; sessions arriving meanwhile wait), then starts the thread
  that imports TensorFlow and Keras (``KERAS_MODULES``, about 4.5 s of CPU), and returns: the
  first page paints without them (README, "Import policy").
- That thread first waits until no page has run for ``QUIET_S`` (pages run ``with foreground():``):
  importing TensorFlow holds the GIL for long stretches (loading its libraries), and a class's
  first pages, run beside it, took as long as the import itself. A ``preload()`` call ends the wait.
- ``preload()`` waits until that thread is done. A page that needs Keras calls it first, so no
  page imports TensorFlow beside the preload's thread; the thread also checks Keras' private
  names (``cnnviz.private_api.check``), and ``preload()`` raises what the import or the check raised.

Neither step imports a module the other one does (tests/test_startup.py checks that the first
page and the Keras import share no module that the page modules' step has not imported).
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
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager

from cnnviz import private_api

PAGE_MODULES = (
    "numpy", "pandas", "pyarrow", "PIL.Image", "cv2",
    "plotly.graph_objects", "plotly.subplots", "plotly.io", "plotly.express",
)  # fmt: skip
KERAS_MODULES = ("tensorflow", "keras")
QUIET_S = 1.0  # the preload's thread imports TensorFlow once no page has run for this long

COLLECT_EVERY_S = float(os.environ.get("CNNVIZ_COLLECT_EVERY_S", "30"))  # the server's collection interval
_LOGGER = logging.getLogger(__name__)
_PRELOAD_LOCK = threading.Lock()
_page_modules_imported = False
_keras_imported: Future[None] | None = None  # set once the preload's thread has started
_activity = threading.Condition()  # guards the three below
_pages_running = 0
_last_page_end = 0.0  # time.monotonic() when the last page ended (or the preload started)
_keras_wanted = False  # a preload() call is waiting: import now, pages running or not
_collector: threading.Thread | None = None


def start_preload() -> None:
    """Import the page modules (once per process; callers meanwhile wait), then start the thread that
    imports TensorFlow and Keras, and return without waiting for it.

    Nothing is frozen out of the garbage collector (``gc.freeze()``) afterwards: the first
    sessions' objects exist by then and would be frozen too, and a frozen session's state
    (model, dataset) is never collected after its tab closes. A full collection of the
    ~400,000 objects alive after the imports takes ~0.2 s, once every ``COLLECT_EVERY_S``.
    """
    global _page_modules_imported, _keras_imported, _last_page_end
    with _PRELOAD_LOCK:
        if not _page_modules_imported:
            _import_all(PAGE_MODULES)
            _page_modules_imported = True
        if _keras_imported is None:
            with _activity:  # the first page is about to run: quiet from now on
                _last_page_end = time.monotonic()
            _keras_imported = Future()
            thread = threading.Thread(target=_import_keras, args=(_keras_imported,), name="cnnviz-preload", daemon=True)
            thread.start()


def preload() -> None:
    """Return once TensorFlow and Keras are imported and Keras' private names checked (starting the
    preload if nobody has, at once); raises what the import or the check raised."""
    global _keras_wanted
    start_preload()
    with _activity:
        _keras_wanted = True
        _activity.notify_all()
    assert _keras_imported is not None
    _keras_imported.result()


@contextmanager
def foreground() -> Iterator[None]:
    """Around a page's script run: the preload's thread waits for a quiet moment before it imports."""
    global _pages_running, _last_page_end
    with _activity:
        _pages_running += 1
    try:
        yield
    finally:
        with _activity:
            _pages_running -= 1
            _last_page_end = time.monotonic()
            _activity.notify_all()


def preloaded() -> bool:
    """Whether ``preload()`` returns at once."""
    return _keras_imported is not None and _keras_imported.done()


def _import_all(names: tuple[str, ...]) -> None:
    for name in names:
        importlib.import_module(name)


def _wait_until_quiet() -> None:
    """Until no page has run for QUIET_S, or a preload() call wants Keras now."""
    with _activity:
        while not _keras_wanted:
            quiet_s = time.monotonic() - _last_page_end
            if _pages_running == 0 and quiet_s >= QUIET_S:
                return
            _activity.wait(QUIET_S if _pages_running else QUIET_S - quiet_s)


def _import_keras(done: Future[None]) -> None:
    """The preload's thread: TensorFlow and Keras once the pages are quiet, then the check of Keras'
    private names."""
    try:
        _wait_until_quiet()
        _import_all(KERAS_MODULES)
        private_api.check()
    except BaseException as error:  # handed to every page that waits in preload()
        _LOGGER.exception("cnnviz: importing TensorFlow and Keras failed")
        done.set_exception(error)
    else:
        done.set_result(None)


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
