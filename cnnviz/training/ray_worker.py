"""The Ray backend ($CNNVIZ_WORKER=ray): the same training jobs as Ray tasks, for a cluster.

$RAY_ADDRESS names a running cluster; without it a local Ray starts with this machine's
cores. Each training is one Ray task that needs ``threads_per_job`` CPUs; it gets the request
as a training process does (its dataset by reference, see cnnviz.training.jobs), so the runs
directory must be storage every node sees (the dataset cache, progress, Stop and the saved run
go through it). A Ray worker process is kept for JOBS_PER_PROCESS tasks, Keras' state cleared
between them, so the next training finds TensorFlow imported.
Ray is an optional install: ``pip install -r requirements-ray.txt``.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from cnnviz.training.jobs import decode_request, run_detached
from cnnviz.training.processes import StagedWorker, configure_threads, forget_keras_state
from cnnviz.training.warm import JOBS_PER_PROCESS
from cnnviz.training.worker import DONE, FAILED, _Entry


def _connect() -> Any:
    """Join $RAY_ADDRESS's cluster, else start a local Ray (once per process)."""
    import ray

    if not ray.is_initialized():
        address = os.environ.get("RAY_ADDRESS") or None
        cpus = None if address else os.cpu_count()
        ray.init(address=address, num_cpus=cpus, include_dashboard=False, log_to_driver=False)
    return ray


def train_on_ray(line: str, threads: int) -> str:
    """The Ray task: the encoded request trained in this Ray worker process; the saved run's path."""
    configure_threads(threads)
    try:
        return str(run_detached(decode_request(line)).path)
    finally:
        forget_keras_state()


class RayWorker(StagedWorker):
    """Runs each training request as a Ray task."""

    def __init__(self, max_running: int | None = None, threads_per_job: int = 1) -> None:
        super().__init__(max_running)
        self._ray = _connect()
        self.threads_per_job = threads_per_job
        remote = self._ray.remote(num_cpus=threads_per_job, max_retries=0, max_calls=JOBS_PER_PROCESS)
        self._task = remote(train_on_ray)

    def _launch(self, entry: _Entry) -> None:
        name = f"cnnviz-ray-{entry.info.id[:8]}"
        threading.Thread(target=self._watch, args=(entry,), name=name, daemon=True).start()

    def _watch(self, entry: _Entry) -> None:
        from ray.exceptions import RayTaskError

        line, failure = self._encoded(entry)
        if not line:
            self._answered(entry, failure)
            return
        try:
            path = self._ray.get(self._task.remote(line, self.threads_per_job))
        except RayTaskError as error:  # the training raised: its message goes to the page
            cause = error.as_instanceof_cause()
            self._finish(entry, None, FAILED, str(cause) or type(cause).__name__)
        except Exception:  # the Ray worker died (killed, out of memory, node lost)
            self._lost(entry, None)
        else:
            self._finish(entry, path, DONE)
