"""The Ray backend ($CNNVIZ_WORKER=ray): the same training jobs as Ray tasks, for a cluster.

$RAY_ADDRESS names a running cluster; without it a local Ray starts with this machine's
cores. Each training is one Ray task that needs ``threads_per_job`` CPUs; it follows the
staged request (cnnviz.training.jobs) exactly as a spawned process does, so the runs
directory must be storage every node sees (progress, Stop and the saved run go through it).
Ray is an optional install: ``pip install -r requirements-ray.txt``.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from cnnviz.training.processes import StagedWorker, train_staged
from cnnviz.training.worker import DONE, FAILED, _Entry


def _connect() -> Any:
    """Join $RAY_ADDRESS's cluster, else start a local Ray (once per process)."""
    import ray

    if not ray.is_initialized():
        address = os.environ.get("RAY_ADDRESS") or None
        cpus = None if address else os.cpu_count()
        ray.init(address=address, num_cpus=cpus, include_dashboard=False, log_to_driver=False)
    return ray


class RayWorker(StagedWorker):
    """Runs each training request as a Ray task in a fresh Ray worker process."""

    def __init__(self, max_running: int | None = None, threads_per_job: int = 1) -> None:
        super().__init__(max_running)
        self._ray = _connect()
        self.threads_per_job = threads_per_job
        remote = self._ray.remote(num_cpus=threads_per_job, max_retries=0, max_calls=1)
        self._task = remote(train_staged)

    def _launch(self, entry: _Entry) -> None:
        reference = self._task.remote(str(entry.job.request.staging), self.threads_per_job)
        name = f"cnnviz-ray-{entry.info.id[:8]}"
        threading.Thread(target=self._watch, args=(entry, reference), name=name, daemon=True).start()

    def _watch(self, entry: _Entry, reference: Any) -> None:
        from ray.exceptions import RayTaskError

        try:
            path = self._ray.get(reference)
        except RayTaskError as error:  # the training raised: its message goes to the page
            cause = error.as_instanceof_cause()
            self._finish(entry, None, FAILED, str(cause) or type(cause).__name__)
        except Exception:  # the Ray worker died (killed, out of memory, node lost)
            self._lost(entry, None)
        else:
            self._finish(entry, path, DONE)
