"""The default backend: every training in its own spawned process, off the web server's GIL.

A child process is spawned (never forked: the server has TensorFlow loaded) per job, with
TensorFlow's thread pools sized to its share of the cores. It follows the staged request
(cnnviz.training.jobs): progress and Stop go through the staging folder, the saved run's
path (or the error) comes back through a pipe. A child that dies without answering (killed,
out of memory) leaves its run saved as "failed" from the last checkpoint and history.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from cnnviz.runs.store import Run, load_run
from cnnviz.training.jobs import (
    PROGRESS_FILE, STOP_FILE, FlagFile, ProgressFile, TrainingRequest, run_training_here, save_unfinished
)  # fmt: skip
from cnnviz.training.worker import DONE, FAILED, Job, QueueWorker, _Entry

LOADED_RUNS_KEPT = 4  # finished runs' models kept loaded in this process (the worker keeps paths)


def configure_threads(threads: int) -> None:
    """Size TensorFlow's thread pools; must run before TensorFlow's first operation."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(min(threads, 2))


def child_main_body(request: TrainingRequest, threads: int) -> str:
    """Train in a fresh process with ``threads`` TensorFlow threads; the saved run's path."""
    configure_threads(threads)
    return run_training_here(request)


def child_main(request: TrainingRequest, threads: int, answer: Connection) -> None:
    """A training process: train, then send ("done", run path) or ("error", message)."""
    try:
        answer.send(("done", child_main_body(request, threads)))
    except Exception as error:  # reported to the page as the job's error
        answer.send(("error", str(error) or type(error).__name__))
    finally:
        answer.close()


@functools.lru_cache(maxsize=LOADED_RUNS_KEPT)
def loaded_run(path: str) -> Run:
    """A finished job's run, loaded once; only the last few stay in memory."""
    return load_run(Path(path))


def crash_message(exitcode: int | None, saved: Run | None) -> str:
    kept = "its last checkpoint is saved as a failed run" if saved else "it had not saved a checkpoint yet"
    return f"The training process ended unexpectedly (exit code {exitcode}); {kept}."


class StagedWorker(QueueWorker):
    """A backend whose jobs run staged TrainingRequests elsewhere and answer with the run's path."""

    def submit(self, owner: str, job: Job) -> str:
        if not isinstance(job.request, TrainingRequest):
            raise TypeError(f"{type(self).__name__} runs training jobs (Job.request must be a TrainingRequest)")
        job.progress = ProgressFile(job.request.staging / PROGRESS_FILE)
        return super().submit(owner, job)

    def stop(self, job_id: str) -> None:
        request = self._entry(job_id).job.request  # None once the job has finished
        super().stop(job_id)
        if request is not None:
            FlagFile(request.staging / STOP_FILE).set()

    def result(self, job_id: str) -> Run | None:
        """The saved run of a finished job, else None."""
        path = super().result(job_id)
        return None if path is None else loaded_run(path)

    def _lost(self, entry: _Entry, exitcode: int | None, why: str) -> None:
        """The training's process died without answering: save what it left, report it."""
        saved = save_unfinished(entry.job.request.staging, "failed", why)
        self._finish(entry, None, FAILED, crash_message(exitcode, saved))


class ProcessWorker(StagedWorker):
    """Runs each training request in a spawned process; ``result`` is the saved Run."""

    def __init__(self, max_running: int | None = None) -> None:
        super().__init__(max_running)
        self._context = multiprocessing.get_context("spawn")
        self.threads_per_job = max(1, (os.cpu_count() or 1) // self.max_running)
        self._processes: dict[str, Any] = {}

    def _launch(self, entry: _Entry) -> None:
        receive, send = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=child_main, args=(entry.job.request, self.threads_per_job, send),
            name=f"cnnviz-training-{entry.info.id[:8]}", daemon=True,
        )  # fmt: skip
        process.start()
        send.close()
        self._processes[entry.info.id] = process
        name = f"cnnviz-watch-{entry.info.id[:8]}"
        threading.Thread(target=self._watch, args=(entry, process, receive), name=name, daemon=True).start()

    def _watch(self, entry: _Entry, process: Any, receive: Connection) -> None:
        """Wait for the child's answer (or its death) and record how the job ended."""
        try:
            kind, value = receive.recv()
        except EOFError:  # died without answering
            kind, value = "crashed", None
        process.join()
        self._processes.pop(entry.info.id, None)
        if kind == "done":
            self._finish(entry, value, DONE)
        elif kind == "error":
            self._finish(entry, None, FAILED, value)
        else:
            code = process.exitcode
            self._lost(entry, code, f"The training process ended unexpectedly (exit code {code}).")

    def process_id(self, job_id: str) -> int | None:
        """The operating-system pid of a running job's process (None when it is not running)."""
        process = self._processes.get(job_id)
        return None if process is None else process.pid
