"""Background jobs (trainings) that outlive Streamlit reruns, page switches and closed tabs.

``Worker`` is the interface pages and the CLI use; ``ThreadWorker`` implements it in this
process with threads, at most ``max_running`` jobs at a time and the rest waiting in a
queue. ``get_worker()`` returns the process-wide singleton. Every job belongs to an owner
(one per browser session) and ``jobs_for(owner)`` shows only that owner's jobs. Another
implementation (say, Ray-backed) only has to provide the same methods.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Protocol, TypeVar

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)
MAX_TRAININGS_ENV = "CNNVIZ_MAX_TRAININGS"
KEEP_FINISHED = 5  # finished jobs kept per owner (older ones are forgotten)


ProgressT = TypeVar("ProgressT")  # what a job reports while it runs (trainings: TrainingProgress)
ResultT = TypeVar("ResultT")  # what a job returns (trainings: the saved Run)


@dataclass
class Job(Generic[ProgressT, ResultT]):
    """Work to run: ``run(progress, stop)`` returns the result; ``stop`` has ``is_set()``.

    ``progress`` is the object the job updates while it runs (it is handed back by
    ``Worker.progress``); ``label`` names the job in lists.
    """

    run: Callable[[ProgressT, threading.Event], ResultT]
    progress: ProgressT | None = None
    label: str = ""


@dataclass
class JobInfo:
    """A job's public state; ``error`` is a message for the user when it failed."""

    id: str
    owner: str
    label: str
    state: str
    submitted: float
    queue_position: int | None = None
    error: str = ""


class Worker(Protocol):
    def submit(self, owner: str, job: Job) -> str: ...
    def progress(self, job_id: str) -> Any: ...
    def stop(self, job_id: str) -> None: ...
    def result(self, job_id: str) -> Any: ...
    def info(self, job_id: str) -> JobInfo: ...
    def jobs_for(self, owner: str) -> list[JobInfo]: ...
    def queue_position(self, job_id: str) -> int | None: ...
    def wait(self, job_id: str, timeout: float | None = None) -> JobInfo: ...


@dataclass
class _Entry:
    job: Job
    info: JobInfo
    stop: threading.Event = field(default_factory=threading.Event)
    result: Any = None


def default_max_running() -> int:
    """$CNNVIZ_MAX_TRAININGS, else half the CPU cores (at least 1)."""
    value = os.environ.get(MAX_TRAININGS_ENV, "")
    if value.strip().isdigit() and int(value) > 0:
        return int(value)
    return max(1, (os.cpu_count() or 1) // 2)


class ThreadWorker:
    """The in-process Worker: one thread per running job, a FIFO queue for the rest."""

    def __init__(self, max_running: int | None = None) -> None:
        self.max_running = max_running or default_max_running()
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._queue: deque[str] = deque()
        self._running: set[str] = set()

    def submit(self, owner: str, job: Job) -> str:
        job_id = uuid.uuid4().hex
        info = JobInfo(job_id, owner, job.label, QUEUED, time.time())
        with self._lock:
            self._forget_old(owner)
            self._entries[job_id] = _Entry(job, info)
            self._queue.append(job_id)
            self._start_ready()
        return job_id

    def _forget_old(self, owner: str) -> None:
        finished = [e for e in self._entries.values() if e.info.owner == owner and e.info.state in FINISHED]
        surplus = max(0, len(finished) - KEEP_FINISHED + 1)
        for entry in sorted(finished, key=lambda e: e.info.submitted)[:surplus]:
            del self._entries[entry.info.id]

    def _start_ready(self) -> None:
        """Start queued jobs while there is room (call with the lock held)."""
        while self._queue and len(self._running) < self.max_running:
            entry = self._entries[self._queue.popleft()]
            entry.info.state = RUNNING
            self._running.add(entry.info.id)
            name = f"cnnviz-job-{entry.info.id[:8]}"
            threading.Thread(target=self._run, args=(entry,), daemon=True, name=name).start()

    def _run(self, entry: _Entry) -> None:
        try:
            result, state, error = entry.job.run(entry.job.progress, entry.stop), DONE, ""
        except Exception as exc:  # the job's failure is reported to its owner, not raised here
            result, state, error = None, FAILED, str(exc) or type(exc).__name__
        with self._lock:
            entry.result, entry.info.state, entry.info.error = result, state, error
            self._running.discard(entry.info.id)
            self._start_ready()

    def _entry(self, job_id: str) -> _Entry:
        try:
            return self._entries[job_id]
        except KeyError:
            raise KeyError(f"unknown job {job_id!r}") from None

    def progress(self, job_id: str) -> Any:
        return self._entry(job_id).job.progress

    def stop(self, job_id: str) -> None:
        """A waiting job is cancelled; a running one is asked to stop (after its current batch)."""
        with self._lock:
            entry = self._entry(job_id)
            if entry.info.state == QUEUED:
                self._queue.remove(job_id)
                entry.info.state = CANCELLED
            entry.stop.set()

    def result(self, job_id: str) -> Any:
        """The job's return value once it is done, else None."""
        return self._entry(job_id).result

    def _position(self, job_id: str) -> int | None:
        return self._queue.index(job_id) + 1 if job_id in self._queue else None

    def queue_position(self, job_id: str) -> int | None:
        """1 for the next job to start; None when the job is not waiting."""
        with self._lock:
            return self._position(job_id)

    def info(self, job_id: str) -> JobInfo:
        """A copy of the job's state, with its current queue position."""
        with self._lock:
            return replace(self._entry(job_id).info, queue_position=self._position(job_id))

    def jobs_for(self, owner: str) -> list[JobInfo]:
        """The owner's jobs, oldest first."""
        with self._lock:
            ids = [i for i, e in self._entries.items() if e.info.owner == owner]
        return sorted((self.info(i) for i in ids), key=lambda info: info.submitted)

    def wait(self, job_id: str, timeout: float | None = None) -> JobInfo:
        """Block until the job has finished (or the timeout passed); returns its info."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.info(job_id).state not in FINISHED:
            if deadline is not None and time.monotonic() > deadline:
                break
            time.sleep(0.05)
        return self.info(job_id)


_WORKER: ThreadWorker | None = None
_WORKER_LOCK = threading.Lock()


def get_worker() -> ThreadWorker:
    """The process-wide worker, so jobs survive Streamlit reruns and closed tabs."""
    global _WORKER
    with _WORKER_LOCK:
        if _WORKER is None:
            _WORKER = ThreadWorker()
        return _WORKER
