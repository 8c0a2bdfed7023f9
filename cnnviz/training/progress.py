"""The live state of one training: written by the training callback, read by pages and the CLI.

``TrainingProgress`` is thread-safe: the training thread adds a few floats per batch and
the Train page, the sidebar or the terminal take consistent snapshots whenever they like.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from cnnviz.i18n import N_, _
from cnnviz.runs.schema import STATUS_LABELS
from cnnviz.training.worker import FAILED, QUEUED, RUNNING, JobInfo

if TYPE_CHECKING:
    from cnnviz.runs.schema import RunConfig


# A batch loss beyond this, or NaN, means the training diverged. A learning classifier's cross-entropy
# stays within tens; in bfloat16 (float32's exponent range) exploding weights give huge finite losses, not NaN.
DIVERGED_LOSS = 1e6

@dataclass
class ProgressSnapshot:
    """What the live view shows; a copy, safe to read while training goes on."""

    phase: str = "waiting"  # waiting, training, evaluating, saving, done
    epoch: int = 0  # 1-based epoch in progress
    epochs: int = 0
    batch: int = 0  # 1-based batch within the epoch
    batches: int = 0  # batches per epoch
    batch_position: list[float] = field(default_factory=list)  # fractional epochs
    batch_loss: list[float] = field(default_factory=list)
    batch_accuracy: list[float] = field(default_factory=list)
    history: list[dict[str, float]] = field(default_factory=list)  # per-epoch logs + learning_rate
    elapsed: float = 0.0
    eta: float | None = None
    diverged: bool = False

    @property
    def fraction(self) -> float:
        """Share of all batches done, for a progress bar."""
        total = self.epochs * self.batches
        return 0.0 if not total else min(1.0, ((self.epoch - 1) * self.batches + self.batch) / total)


class TrainingProgress:
    """Thread-safe live state of one training: the callback writes, pages and the CLI read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = ProgressSnapshot()
        self._started = 0.0

    def start(self, epochs: int, batches: int) -> None:
        with self._lock:
            self._state = ProgressSnapshot(phase="training", epochs=epochs, batches=batches)
            self._started = time.perf_counter()

    def set_phase(self, phase: str) -> None:
        with self._lock:
            self._state.phase = phase

    def begin_epoch(self, epoch: int) -> None:
        with self._lock:
            self._state.epoch, self._state.batch = epoch + 1, 0

    def add_batch(self, batch: int, loss: float, accuracy: float) -> bool:
        """Per-batch update: a few floats, kept tiny so training speed is unaffected.

        Returns True once the training has diverged (see ``DIVERGED_LOSS``).
        """
        with self._lock:
            state = self._state
            # Keras reports once per steps_per_execution group; a last, shorter group still says its full end
            state.batch = min(batch + 1, state.batches) if state.batches else batch + 1
            state.batch_position.append(state.epoch - 1 + state.batch / max(state.batches, 1))
            state.batch_loss.append(loss)
            state.batch_accuracy.append(accuracy)
            state.diverged = state.diverged or not loss < DIVERGED_LOSS  # NaN compares False too
            self._update_clock(state)
            return state.diverged

    def add_epoch(self, logs: dict[str, float]) -> None:
        with self._lock:
            self._state.history.append(dict(logs))
            self._update_clock(self._state)

    def _update_clock(self, state: ProgressSnapshot) -> None:
        state.elapsed = time.perf_counter() - self._started
        done = (state.epoch - 1) * state.batches + state.batch
        remaining = state.epochs * state.batches - done
        state.eta = state.elapsed / done * remaining if done else None

    def snapshot(self) -> ProgressSnapshot:
        with self._lock:
            state = self._state
            return replace(
                state,
                batch_position=list(state.batch_position),
                batch_loss=list(state.batch_loss),
                batch_accuracy=list(state.batch_accuracy),
                history=[dict(row) for row in state.history],
            )


def format_seconds(seconds: float | None) -> str:
    """12.3 -> "0:12", 3725 -> "1:02:05"; "?" when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "?"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


PHASES = {"evaluating": N_("evaluating"), "saving": N_("saving"), "done": N_("done")}
JOB_STATES = {"done": N_("done"), "cancelled": N_("cancelled")}


def progress_text(snapshot: ProgressSnapshot) -> str:
    """ "epoch 2/5 · batch 10/30 · 0:12 elapsed · ETA 0:40" (or the phase after training)."""
    if snapshot.phase == "waiting":
        return _("starting")
    if snapshot.phase in PHASES:
        return _("{phase} ({elapsed} of training)").format(
            phase=_(PHASES[snapshot.phase]), elapsed=format_seconds(snapshot.elapsed)
        )
    return _("epoch {epoch}/{epochs} · batch {batch}/{batches} · {elapsed} elapsed · ETA {eta}").format(
        epoch=snapshot.epoch, epochs=snapshot.epochs, batch=snapshot.batch, batches=snapshot.batches,
        elapsed=format_seconds(snapshot.elapsed), eta=format_seconds(snapshot.eta),
    )


def waiting_text(job: JobInfo) -> str:
    """ "number 3 in the queue, about 2:10 to wait" (no estimate before any job has finished)."""
    if job.estimated_wait is None:
        return _("number {position} in the queue").format(position=job.queue_position)
    return _("number {position} in the queue, about {wait} to wait").format(
        position=job.queue_position, wait=format_seconds(job.estimated_wait)
    )


def status_line(job: JobInfo, snapshot: ProgressSnapshot, config: RunConfig | None = None) -> str:
    """One line about a training job: waiting, its progress, or how it ended (``config``: its saved run's)."""
    if job.state == QUEUED:
        return _("{label}: waiting, {position}").format(label=job.label, position=waiting_text(job))
    if job.state == RUNNING:
        return f"{job.label}: {progress_text(snapshot)}"
    if job.state == FAILED:
        return _("{label}: failed: {error}").format(label=job.label, error=job.error)
    if config is None:
        return f"{job.label}: {_(JOB_STATES.get(job.state, job.state))}"
    accuracy = config.test_metrics.accuracy
    status = _(STATUS_LABELS[config.status])
    if accuracy is None:
        return f"{job.label}: {status}"
    return _("{label}: {status}, test accuracy {accuracy:.1f}%").format(
        label=job.label, status=status, accuracy=100 * accuracy
    )
