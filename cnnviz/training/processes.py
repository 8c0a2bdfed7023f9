"""The default backend: trainings in warm child processes, off the server's GIL.

Each running job gets a training process of its own from a pool (cnnviz.training.warm):
``python -m cnnviz.training.child``, spawned, never forked (unlike multiprocessing's spawn it
does not re-run the Streamlit page that is ``__main__`` at that moment), with TensorFlow
imported and its thread pools sized to the job's share of the cores, kept for the next job.
The job's request goes to it by reference (cnnviz.training.jobs); progress and Stop go through
the staging folder, the saved run's path (or the error) comes back as a JSON line. A process
that dies without answering (killed, out of memory) leaves its run saved as "failed" from the
last checkpoint and history, and a fresh process takes its place.
"""

from __future__ import annotations

import functools
import gc
import logging
import os
import threading

from cnnviz.i18n import N_, LazyText, _, later
from cnnviz.runs.loaded import loaded_run, saved_config
from cnnviz.runs.schema import FAILED as FAILED_RUN
from cnnviz.runs.schema import RunConfig
from cnnviz.runs.store import Run
from cnnviz.text import error_message
from cnnviz.training.jobs import (
    PROGRESS_FILE, STOP_FILE, FlagFile, ProgressFile, TrainingRequest, encode_request, save_unfinished
)  # fmt: skip
from cnnviz.training.warm import ProcessPool, TrainingProcess
from cnnviz.training.worker import DONE, FAILED, Job, QueueWorker, _Entry

log = logging.getLogger(__name__)


@functools.cache  # once per process: TensorFlow refuses a change after its first operation
def configure_threads(threads: int) -> None:
    """Size TensorFlow's thread pools; must run before TensorFlow's first operation."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(min(threads, 2))


def forget_keras_state() -> None:
    """Between two jobs in one process: Keras' global state (layer names, graphs) and the last job's objects go."""
    import keras

    keras.backend.clear_session()
    gc.collect()


def crash_message(exitcode: int | None, saved: Run | None) -> LazyText:
    """Why a training failed when its process died; made in the watching thread, translated when shown."""
    if saved:
        return later(N_("The training process ended unexpectedly (exit code {code}); its last checkpoint is saved "
                        "as a failed run."), code=exitcode)
    return later(N_("The training process ended unexpectedly (exit code {code}); it had not saved a checkpoint "
                    "yet."), code=exitcode)


class StagedWorker(QueueWorker):
    """A backend whose jobs run staged TrainingRequests elsewhere and answer with the run's path."""

    def submit(self, owner: str, job: Job) -> str:
        if not isinstance(job.request, TrainingRequest):
            raise TypeError(_("{worker} runs training jobs: a Job with a TrainingRequest").format(
                worker=type(self).__name__))
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

    def result_config(self, job_id: str) -> RunConfig | None:
        """The saved run's config, read without loading its model: every session's sidebar shows it on each
        rerun, and a class's finished runs outnumber the models kept loaded."""
        path = super().result(job_id)
        return None if path is None else saved_config(path)

    def _encoded(self, entry: _Entry) -> tuple[str, dict[str, str]]:
        """(the job's request as a line for another process, {}), or ("", the error) when it cannot be handed over."""
        try:
            return encode_request(entry.job.request), {}
        except Exception as error:  # the dataset cache could not be written (a full disk, say)
            log.warning("a training could not be handed to its process", exc_info=error)
            return "", {"error": error_message(error)}

    def _answered(self, entry: _Entry, answer: dict[str, str]) -> bool:
        """Finish the job from its process's answer; False when there was none (the process died)."""
        if "path" in answer:
            self._finish(entry, answer["path"], DONE)
        elif "error" in answer:
            self._finish(entry, None, FAILED, answer["error"])
        return bool(answer)

    def _lost(self, entry: _Entry, exitcode: int | None) -> None:
        """The training's process died without answering: save what it left, report it."""
        saved = save_unfinished(entry.job.request.staging, FAILED_RUN)
        self._finish(entry, None, FAILED, crash_message(exitcode, saved))


class ProcessWorker(StagedWorker):
    """Runs each training request in a warm child process; ``result`` is the saved Run."""

    def __init__(self, max_running: int | None = None) -> None:
        super().__init__(max_running)
        self.threads_per_job = max(1, (os.cpu_count() or 1) // self.max_running)
        self._pool = ProcessPool(self.threads_per_job)
        self._processes: dict[str, TrainingProcess] = {}

    def _launch(self, entry: _Entry) -> None:
        process = self._pool.take()  # a fresh one is started, not waited for
        self._processes[entry.info.id] = process
        name = f"cnnviz-watch-{entry.info.id[:8]}"
        threading.Thread(target=self._watch, args=(entry, process), name=name, daemon=True).start()

    def _watch(self, entry: _Entry, process: TrainingProcess) -> None:
        """Hand the request to the process, wait for its answer (or its death), record how the job ended."""
        line, answer = self._encoded(entry)
        if line:
            answer = process.train(line)
        self._processes.pop(entry.info.id, None)
        self._pool.give_back(process, healthy="path" in answer or not line)  # before the next job starts
        if not self._answered(entry, answer):
            self._lost(entry, process.exit_code())

    def process_id(self, job_id: str) -> int | None:
        """The operating-system pid of a running job's process (None when it is not running)."""
        process = self._processes.get(job_id)
        return None if process is None else process.pid

    def close(self) -> None:
        """Let the idle training processes go (a server shutting down, a test ending)."""
        self._pool.close()
