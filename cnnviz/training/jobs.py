"""Training jobs as requests any backend (thread, process, Ray) runs with ``request.run(progress, stop)``.

A training is staged at Start: a hidden staging folder in the runs directory holds the base
model (``base.keras``, removed once the training has loaded it) and ``job.json`` (who trains
it, and the run's config as far as it is known). A request pickled for another process
(``encode_request``) carries its dataset by reference: the arrays are stored once in the
dataset cache beside the runs (cnnviz.data.cache) and mapped read-only where it trains, so
neither the Start nor the run folder copies them. Whoever trains it writes ``progress.json``
there about twice a second and stops when a ``STOP`` file appears, so a training in another
process, or on another Ray node that sees the same runs directory, is followed and stopped
through the folder alone (``run_detached``). Keras' ModelCheckpoint (``best.keras``) and
CSVLogger (``history.csv``) write there too: a training whose process died is saved from
them as a "failed" or "interrupted" run.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import json
import os
import pickle
import shutil
import socket
import threading
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnviz.data.cache import DatasetRef, cache_root, dataset_ref
from cnnviz.runs.schema import INTERRUPTED, RunConfig
from cnnviz.runs.store import (
    CHECKPOINT_FILE, STAGING_PREFIX, Run, atomic_write, json_ready, read_history, save_run, stage_run
)  # fmt: skip
from cnnviz.limits import limits
from cnnviz.training.budget import JobClock, check_training
from cnnviz.training.progress import ProgressSnapshot, TrainingProgress
from cnnviz.training.worker import Job

if TYPE_CHECKING:
    from cnnviz.data.augmentation import AugmentConfig
    from cnnviz.data.dataset import Dataset
    from cnnviz.runs.schema import TrainConfig

BASE_MODEL_FILE = "base.keras"
JOB_FILE = "job.json"
PROGRESS_FILE = "progress.json"
STOP_FILE = "STOP"
PROGRESS_INTERVAL = 0.5  # seconds between progress.json writes


@dataclass(frozen=True)
class TrainingRequest:
    """Everything a training needs: the staging folder, the staged base model's config, the dataset, the settings.

    ``base_config`` is None when the default ``simple`` model is to be built for the dataset.
    """

    staging: Path
    base_config: RunConfig | None
    dataset: Dataset
    config: TrainConfig
    runs_dir: Path
    augmentation: AugmentConfig | None = None
    time_budget_s: float = dataclasses.field(default_factory=lambda: limits().job_seconds)  # from the limits at Start

    def base(self) -> Run:
        """The model to train: the staged one (its file then removed: a run keeps no copy), else ``simple``."""
        from cnnviz.runs.store import load_model_file
        from cnnviz.training.train import base_run

        if self.base_config is None:
            return base_run(self.dataset)
        path = self.staging / BASE_MODEL_FILE
        base = Run(load_model_file(path), self.base_config)
        path.unlink()
        return base

    def run(self, progress: TrainingProgress, stop: Any) -> Run:
        """Train as the request says, in this process, within the job's time budget (cnnviz.training.budget)."""
        return self.train(progress, JobClock(stop, self.time_budget_s))

    def train(self, progress: TrainingProgress, stop: JobClock) -> Run:
        """Train one model (a group of trainings overrides this)."""
        return self.train_one(self.staging, self.base(), self.dataset, self.config, self.augmentation, progress, stop)

    def train_one(
        self, staging: Path, base: Run, dataset: Dataset, config: TrainConfig, augmentation: AugmentConfig | None,
        progress: TrainingProgress, stop: Any,
    ) -> Run:  # fmt: skip
        """One training assembled in ``staging``; job.json names this process as the trainer, so a
        training whose process dies is saved from its checkpoint (``save_unfinished``)."""
        from cnnviz.training.train import run_description, train_run

        description = run_description(base, dataset, config, augmentation)
        _write_job_file(staging, state="running", description=description.to_dict())
        return train_run(
            base, dataset, config, self.runs_dir, augmentation=augmentation, progress=progress, stop=stop,
            staging=staging,
        )  # fmt: skip


def encode_request(request: TrainingRequest) -> str:
    """``request`` as one line of text for another process, its dataset by reference (stored in the
    dataset cache once, mapped read-only by ``decode_request``)."""
    fields = {field.name: getattr(request, field.name) for field in dataclasses.fields(request)}
    fields["dataset"] = dataset_ref(request.dataset, cache_root(request.runs_dir))
    return base64.b64encode(pickle.dumps((type(request), fields))).decode("ascii")


def decode_request(line: str) -> TrainingRequest:
    """The request ``encode_request`` wrote (by this server, for its own training processes)."""
    kind, fields = pickle.loads(base64.b64decode(line))
    dataset: DatasetRef = fields["dataset"]
    return kind(**{**fields, "dataset": dataset.open()})


class FlagFile:
    """A stop flag any process that sees the folder can set and check (``is_set`` per batch)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def set(self) -> None:
        try:
            self.path.touch()
        except FileNotFoundError:
            pass  # the folder is gone: the training has already ended

    def is_set(self) -> bool:
        return self.path.exists()


def _write_job_file(staging: Path, **fields: Any) -> None:
    fields = {"host": socket.gethostname(), "pid": os.getpid(), **fields}
    atomic_write(staging / JOB_FILE, json.dumps(json_ready(fields)))


def read_job_file(staging: Path) -> dict[str, Any] | None:
    try:
        return json.loads((staging / JOB_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def training_job(
    base: Run | None,
    dataset: Dataset,
    config: TrainConfig,
    runs_dir: Path,
    *,
    augmentation: AugmentConfig | None = None,
    request_type: type[TrainingRequest] = TrainingRequest,
) -> Job[TrainingProgress, Run]:
    """Stage a training of ``base`` (the ``simple`` model when None) and describe it as a Job.

    ``request_type`` is a TrainingRequest subclass for a group of trainings run as one job.
    Raises LimitExceeded when the settings are over the server's limits.
    """
    from cnnviz.training.train import default_name

    check_training(config)
    runs_dir = Path(runs_dir)
    staging = stage_run(runs_dir)
    if base is not None:
        base.model.save(staging / BASE_MODEL_FILE)
    _write_job_file(staging, state="queued")
    request = request_type(
        staging, None if base is None else base.config, dataset, config, runs_dir, augmentation
    )
    label = config.name or default_name(base.config.architecture.name if base else "simple", dataset)
    return Job(
        request, progress=TrainingProgress(), label=label,
        discard=functools.partial(shutil.rmtree, staging, ignore_errors=True),
    )  # fmt: skip


def run_detached(request: TrainingRequest) -> Run:
    """Run ``request`` away from the server that follows it: progress goes to the staging folder's
    ``progress.json``, Stop comes from its ``STOP`` file."""
    progress = TrainingProgress()
    with ProgressWriter(progress, request.staging / PROGRESS_FILE):
        return request.run(progress, FlagFile(request.staging / STOP_FILE))


class ProgressWriter:
    """Writes a TrainingProgress's snapshot to a JSON file every PROGRESS_INTERVAL, in a thread."""

    def __init__(self, progress: TrainingProgress, path: Path) -> None:
        self.progress, self.path = progress, path
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cnnviz-progress-writer", daemon=True)

    def __enter__(self) -> ProgressWriter:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._done.wait(PROGRESS_INTERVAL):
            self._write()

    def _write(self) -> None:
        if self.path.parent.is_dir():  # gone once the run is renamed into place
            try:
                atomic_write(self.path, json.dumps(asdict(self.progress.snapshot())))
            except OSError:
                pass  # the folder was renamed meanwhile


class ProgressFile:
    """Reads the snapshot a ProgressWriter writes; keeps the last one once the file is gone."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp = 0
        self._last = ProgressSnapshot()

    def snapshot(self) -> ProgressSnapshot:
        with self._lock:
            try:
                stamp = self.path.stat().st_mtime_ns
                if stamp != self._stamp:
                    self._last = ProgressSnapshot(**json.loads(self.path.read_text(encoding="utf-8")))
                    self._stamp = stamp
            except (OSError, ValueError):
                pass
            return self._last


def save_unfinished(staging: Path, status: str) -> Run | None:
    """Save a training whose process died as a run from its last checkpoint and history.

    Returns the saved Run, or None (the folder removed) when no checkpoint was written yet.
    """
    from cnnviz.runs.store import RunError, load_model_file

    job = read_job_file(staging) or {}
    description = job.get("description")
    if description is None or not (staging / CHECKPOINT_FILE).is_file():
        shutil.rmtree(staging, ignore_errors=True)
        return None
    history = read_history(staging)
    config = replace(RunConfig.from_dict(description), status=status, epochs_run=len(history))
    for name in (JOB_FILE, PROGRESS_FILE, STOP_FILE, BASE_MODEL_FILE):
        (staging / name).unlink(missing_ok=True)
    try:
        model = load_model_file(staging / CHECKPOINT_FILE)
    except RunError:  # killed while Keras was writing the checkpoint
        shutil.rmtree(staging, ignore_errors=True)
        return None
    return save_run(Run(model, config, history), staging.parent, staging=staging, metrics={})


def _alive_here(job: dict[str, Any]) -> bool:
    """Whether the process that job.json names still runs (a zombie does not; another host's may)."""
    if job.get("host") != socket.gethostname():
        return True  # another node's training: not ours to judge
    pid = int(job.get("pid") or 0)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return pid > 0
    return pid > 0 and state not in ("Z", "X")


def recover_interrupted(runs_dir: Path) -> list[Run]:
    """After a restart: trainings whose process is gone are saved as "interrupted" runs.

    Waiting trainings that never started leave nothing and are removed.
    """
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        return []
    recovered = []
    for staging in runs_dir.glob(f"{STAGING_PREFIX}*"):
        job = read_job_file(staging)
        if job is None or _alive_here(job):
            continue
        run = save_unfinished(staging, INTERRUPTED)
        if run is not None:
            recovered.append(run)
    return recovered
