"""The process-wide training worker, of the kind $CNNVIZ_WORKER names (see README).

Kept apart from ``worker.py`` because the backends build on the queue defined there.
"""

from __future__ import annotations

import os
import threading

from cnnviz.i18n import _
from cnnviz.training.worker import WORKER_ENV, ThreadWorker, Worker

_WORKER: Worker | None = None
_WORKER_LOCK = threading.Lock()


def make_worker(kind: str | None = None) -> Worker:
    """A worker of the kind named (default $CNNVIZ_WORKER): "process" (the default), "thread" or "ray"."""
    kind = (kind or os.environ.get(WORKER_ENV) or "process").strip().lower()
    if kind == "thread":
        return ThreadWorker()
    if kind == "process":
        from cnnviz.training.processes import ProcessWorker

        return ProcessWorker()
    if kind == "ray":
        from cnnviz.training.ray_worker import RayWorker  # optional: Ray is imported only here

        return RayWorker()
    raise ValueError(_("{variable} must be process, thread or ray, not {kind!r}").format(variable=WORKER_ENV, kind=kind))


def get_worker() -> Worker:
    """The process-wide worker, so jobs survive Streamlit reruns and closed tabs."""
    global _WORKER
    with _WORKER_LOCK:
        if _WORKER is None:
            _WORKER = make_worker()
        return _WORKER
