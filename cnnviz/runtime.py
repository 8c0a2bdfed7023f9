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

import gc
import importlib
import threading

HEAVY_MODULES = (
    "numpy", "pandas", "pyarrow", "PIL.Image", "cv2",
    "plotly.graph_objects", "plotly.subplots", "plotly.io", "plotly.express",
    "tensorflow", "keras",
)  # fmt: skip

_PRELOAD_LOCK = threading.Lock()
_preloaded = False


def preload() -> None:
    """Import every heavy module once; callers that arrive meanwhile wait for the first one.

    Afterwards the objects alive (import-time objects that live as long as the process) are
    frozen out of the garbage collector: Streamlit runs gc.collect(2) after every script
    run, fragment refreshes included, and scanning TensorFlow's ~400,000 objects each time
    holds the GIL for ~0.4 s.
    """
    global _preloaded
    with _PRELOAD_LOCK:
        if _preloaded:
            return
        for name in HEAVY_MODULES:
            importlib.import_module(name)
        gc.collect()
        gc.freeze()
        _preloaded = True
