"""The default backend: every training in its own fresh Python process, off the server's GIL.

A new interpreter is started per job (``python -m cnnviz.training.child``: spawned, never
forked, and unlike multiprocessing's spawn it does not re-run the Streamlit page that is
``__main__`` at that moment), with TensorFlow's thread pools sized to its share of the cores.
It follows the staged request (cnnviz.training.jobs): progress and Stop go through the staging
folder, the saved run's path (or the error) comes back as a JSON line on its stdout. A child
that dies without answering (killed, out of memory) leaves its run saved as "failed" from the
last checkpoint and history.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import cnnviz
from cnnviz.i18n import N_, LazyText, _, later
from cnnviz.runs.schema import FAILED as FAILED_RUN
from cnnviz.runs.schema import RunConfig
from cnnviz.runs.store import Run, load_run, read_config
from cnnviz.training.jobs import (
    PROGRESS_FILE, STOP_FILE, FlagFile, ProgressFile, TrainingRequest,
    load_request, run_training_here, save_unfinished,
)  # fmt: skip
from cnnviz.training.worker import DONE, FAILED, Job, QueueWorker, _Entry

LOADED_RUNS_KEPT = 2  # finished runs' models kept loaded in this process (the worker keeps paths)
SAVED_CONFIGS_KEPT = 256  # finished runs' configs (a few KB each), for the status lines shown on every rerun
PACKAGE_ROOT = Path(cnnviz.__file__).resolve().parent.parent


def configure_threads(threads: int) -> None:
    """Size TensorFlow's thread pools; must run before TensorFlow's first operation."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(min(threads, 2))


def train_staged(staging: str, threads: int) -> str:
    """Train the request staged in ``staging`` with ``threads`` TensorFlow threads; the run's path.

    Runs in a fresh process (a child interpreter or a Ray worker).
    """
    configure_threads(threads)
    return run_training_here(load_request(Path(staging)))


@functools.lru_cache(maxsize=LOADED_RUNS_KEPT)
def loaded_run(path: str) -> Run:
    """A finished job's run, loaded once; only the last few stay in memory."""
    return load_run(Path(path))


@functools.lru_cache(maxsize=SAVED_CONFIGS_KEPT)
def saved_config(path: str) -> RunConfig:
    """A finished job's run config, read once, without its model."""
    return read_config(Path(path))


def crash_message(exitcode: int | None, saved: Run | None) -> LazyText:
    """Why a training failed when its process died; made in the watching thread, translated when shown."""
    if saved:
        return later(N_("The training process ended unexpectedly (exit code {code}); its last checkpoint is saved "
                        "as a failed run."), code=exitcode)
    return later(N_("The training process ended unexpectedly (exit code {code}); it had not saved a checkpoint "
                    "yet."), code=exitcode)


def child_answer(output: str) -> dict[str, str]:
    """The child's last stdout line: {"path": ...} or {"error": ...}; {} when there is none."""
    lines = output.strip().splitlines()
    try:
        return json.loads(lines[-1]) if lines else {}
    except ValueError:
        return {}


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

    def _lost(self, entry: _Entry, exitcode: int | None) -> None:
        """The training's process died without answering: save what it left, report it."""
        saved = save_unfinished(entry.job.request.staging, FAILED_RUN)
        self._finish(entry, None, FAILED, crash_message(exitcode, saved))


class ProcessWorker(StagedWorker):
    """Runs each training request in a child interpreter; ``result`` is the saved Run."""

    def __init__(self, max_running: int | None = None) -> None:
        super().__init__(max_running)
        self.threads_per_job = max(1, (os.cpu_count() or 1) // self.max_running)
        self._processes: dict[str, subprocess.Popen] = {}

    def _launch(self, entry: _Entry) -> None:
        staging = str(entry.job.request.staging)
        command = [sys.executable, "-m", "cnnviz.training.child", staging, str(self.threads_per_job)]
        path = os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PYTHONPATH": path}
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
        self._processes[entry.info.id] = process
        name = f"cnnviz-watch-{entry.info.id[:8]}"
        threading.Thread(target=self._watch, args=(entry, process), name=name, daemon=True).start()

    def _watch(self, entry: _Entry, process: subprocess.Popen) -> None:
        """Wait for the child's answer (or its death) and record how the job ended."""
        output, _stderr = process.communicate()
        self._processes.pop(entry.info.id, None)
        answer = child_answer(output)
        if "path" in answer:
            self._finish(entry, answer["path"], DONE)
        elif "error" in answer:
            self._finish(entry, None, FAILED, answer["error"])
        else:
            code = process.returncode
            self._lost(entry, code)

    def process_id(self, job_id: str) -> int | None:
        """The operating-system pid of a running job's process (None when it is not running)."""
        process = self._processes.get(job_id)
        return None if process is None else process.pid
