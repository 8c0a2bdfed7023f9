"""Background jobs (trainings) that outlive Streamlit reruns, page switches and closed tabs.

``Worker`` is the interface pages and the CLI use. ``QueueWorker`` keeps the fair queue
every backend shares: at most ``max_running`` jobs at a time, at most one running and one
waiting job per owner (one owner per browser session; a second submit replaces the owner's
waiting job), queue positions and estimated waits. Backends only launch and stop jobs:
``ThreadWorker`` here runs them in threads of this process; ``ProcessWorker``
(cnnviz.training.processes) in spawned processes and ``RayWorker`` (cnnviz.training.ray_worker)
on Ray. ``get_worker()`` returns the process-wide one that $CNNVIZ_WORKER names.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Protocol, TypeVar

from cnnviz.i18n import LazyText, _
from cnnviz.text import error_message

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)
MAX_TRAININGS_ENV = "CNNVIZ_MAX_TRAININGS"
WORKER_ENV = "CNNVIZ_WORKER"
KEEP_FINISHED = 5  # finished jobs kept per owner (older ones are forgotten)
DURATIONS_KEPT = 10  # finished jobs' durations that estimate the wait in the queue


ProgressT = TypeVar("ProgressT")  # what a job reports while it runs (trainings: TrainingProgress)
ResultT = TypeVar("ResultT")  # what a job returns (trainings: the saved Run)


class Request(Protocol):
    """The work of a job: every backend calls ``run`` (in this process, a child process or on Ray)."""

    def run(self, progress: Any, stop: Any) -> Any:
        """Do the work, updating ``progress``; end early once ``stop.is_set()``; the result."""
        ...


@dataclass
class Job(Generic[ProgressT, ResultT]):
    """Work to run: ``request.run(progress, stop)`` returns the result.

    ``progress`` is any object the job updates while it runs (handed back by
    ``Worker.progress``); ``label`` names the job in lists. Out-of-process backends pickle
    the request (a TrainingRequest) to run it elsewhere. ``discard`` is called when the job
    is cancelled before it started. A finished job drops ``request`` and ``discard``, and
    with them its dataset and model.
    """

    request: Request | None
    progress: ProgressT | None = None
    label: str = ""
    discard: Callable[[], None] | None = None


@dataclass
class JobInfo:
    """A job's public state; ``error`` is a message for the user when it failed.

    ``replaced`` names the waiting job this one replaced; ``estimated_wait`` (seconds) is
    known for a waiting job once some jobs have finished.
    """

    id: str
    owner: str
    label: str
    state: str
    submitted: float
    queue_position: int | None = None
    estimated_wait: float | None = None
    error: str | LazyText = ""  # LazyText: made outside any session, translated when shown
    replaced: str = ""


class Worker(Protocol):
    def submit(self, owner: str, job: Job) -> str: ...
    def progress(self, job_id: str) -> Any: ...
    def stop(self, job_id: str) -> None: ...
    def result(self, job_id: str) -> Any: ...
    def result_config(self, job_id: str) -> Any: ...
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
    started: float = 0.0


def default_max_running() -> int:
    """$CNNVIZ_MAX_TRAININGS, else half the CPU cores (at least 1)."""
    value = os.environ.get(MAX_TRAININGS_ENV, "")
    if value.strip().isdigit() and int(value) > 0:
        return int(value)
    return max(1, (os.cpu_count() or 1) // 2)


class QueueWorker:
    """The fair queue of every backend; subclasses implement ``_launch`` (and may extend ``stop``).

    A launched job ends with ``_finish``, called from any thread.
    """

    def __init__(self, max_running: int | None = None) -> None:
        self.max_running = max_running or default_max_running()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._entries: dict[str, _Entry] = {}
        self._queue: deque[str] = deque()
        self._running: set[str] = set()
        self._durations: deque[float] = deque(maxlen=DURATIONS_KEPT)

    def submit(self, owner: str, job: Job) -> str:
        """Queue a job; it takes the place of the owner's waiting job, if there is one."""
        job_id = uuid.uuid4().hex
        info = JobInfo(job_id, owner, job.label, QUEUED, time.time())
        with self._lock:
            self._forget_old(owner)
            self._entries[job_id] = _Entry(job, info)
            waiting = self._waiting_job_of(owner)
            if waiting is None:
                self._queue.append(job_id)
            else:
                self._queue[self._queue.index(waiting.info.id)] = job_id
                self._cancel(waiting)
                info.replaced = waiting.info.label
            self._start_ready()
        return job_id

    def _waiting_job_of(self, owner: str) -> _Entry | None:
        return next((self._entries[i] for i in self._queue if self._entries[i].info.owner == owner), None)

    def _forget_old(self, owner: str) -> None:
        finished = [e for e in self._entries.values() if e.info.owner == owner and e.info.state in FINISHED]
        surplus = max(0, len(finished) - KEEP_FINISHED + 1)
        for entry in sorted(finished, key=lambda e: e.info.submitted)[:surplus]:
            del self._entries[entry.info.id]

    def _start_ready(self) -> None:
        """Start waiting jobs, oldest first, while there is room; an owner runs one job at a time.

        Call with the lock held.
        """
        busy_owners = {self._entries[i].info.owner for i in self._running}
        for job_id in list(self._queue):
            if len(self._running) >= self.max_running:
                return
            entry = self._entries[job_id]
            if entry.info.owner in busy_owners:
                continue
            self._queue.remove(job_id)
            entry.info.state, entry.started = RUNNING, time.monotonic()
            self._running.add(job_id)
            busy_owners.add(entry.info.owner)
            self._launch(entry)

    def _launch(self, entry: _Entry) -> None:
        """Start running ``entry.job``; call ``_finish`` when it ends (lock held: do not block)."""
        raise NotImplementedError

    def _finish(self, entry: _Entry, result: Any, state: str, error: str | LazyText = "") -> None:
        """Record how a launched job ended and start the next ones."""
        with self._lock:
            entry.result, entry.info.state, entry.info.error = result, state, error
            entry.job = replace(entry.job, request=None, discard=None)
            if state == DONE:
                self._durations.append(time.monotonic() - entry.started)
            self._running.discard(entry.info.id)
            self._start_ready()
            self._changed.notify_all()

    def _cancel(self, entry: _Entry) -> None:
        """A waiting job ends without running (call with the lock held)."""
        entry.info.state = CANCELLED
        entry.stop.set()
        if entry.job.discard is not None:
            entry.job.discard()
        entry.job = replace(entry.job, request=None, discard=None)
        self._changed.notify_all()

    def _entry(self, job_id: str) -> _Entry:
        try:
            return self._entries[job_id]
        except KeyError:
            raise KeyError(_("unknown job {job!r}").format(job=job_id)) from None

    def progress(self, job_id: str) -> Any:
        return self._entry(job_id).job.progress

    def stop(self, job_id: str) -> None:
        """A waiting job is cancelled; a running one is asked to stop (after its current batch)."""
        with self._lock:
            entry = self._entry(job_id)
            if entry.info.state == QUEUED:
                self._queue.remove(job_id)
                self._cancel(entry)
            entry.stop.set()

    def result(self, job_id: str) -> Any:
        """The job's return value once it is done, else None."""
        return self._entry(job_id).result

    def result_config(self, job_id: str) -> Any:
        """A finished training's RunConfig (what its status line shows), else None."""
        result = self.result(job_id)
        return None if result is None else result.config

    def _position(self, job_id: str) -> int | None:
        return self._queue.index(job_id) + 1 if job_id in self._queue else None

    def _estimated_wait(self, position: int | None) -> float | None:
        """Seconds until a waiting job starts: the finished jobs' mean duration per round ahead."""
        if position is None or not self._durations:
            return None
        mean = sum(self._durations) / len(self._durations)
        return mean * math.ceil(position / self.max_running)

    def queue_position(self, job_id: str) -> int | None:
        """1 for the next job to start; None when the job is not waiting."""
        with self._lock:
            return self._position(job_id)

    def info(self, job_id: str) -> JobInfo:
        """A copy of the job's state, with its current queue position and estimated wait."""
        with self._lock:
            position = self._position(job_id)
            estimate = self._estimated_wait(position)
            return replace(self._entry(job_id).info, queue_position=position, estimated_wait=estimate)

    def jobs_for(self, owner: str) -> list[JobInfo]:
        """The owner's jobs, oldest first."""
        with self._lock:
            ids = [i for i, e in self._entries.items() if e.info.owner == owner]
        return sorted((self.info(i) for i in ids), key=lambda info: info.submitted)

    def wait(self, job_id: str, timeout: float | None = None) -> JobInfo:
        """Block until the job has finished (or the timeout passed); returns its info."""
        with self._changed:
            self._changed.wait_for(lambda: self._entry(job_id).info.state in FINISHED, timeout)
        return self.info(job_id)


class ThreadWorker(QueueWorker):
    """The in-process backend: one thread per running job ($CNNVIZ_WORKER=thread, and the CLI)."""

    def _launch(self, entry: _Entry) -> None:
        name = f"cnnviz-job-{entry.info.id[:8]}"
        threading.Thread(target=self._run, args=(entry,), daemon=True, name=name).start()

    def _run(self, entry: _Entry) -> None:
        try:
            result = entry.job.request.run(entry.job.progress, entry.stop)
        except Exception as exc:  # the job's failure is reported to its owner (no server paths), not raised here
            log.warning("training job %s failed", entry.info.id, exc_info=exc)
            self._finish(entry, None, FAILED, error_message(exc))
        else:
            self._finish(entry, result, DONE)
