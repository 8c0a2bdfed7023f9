"""Groups of runs trained as one queued job: a K-fold, a variant comparison, a search.

A group is one job in the fair queue (so one student's K folds never take K training slots);
it trains its members one after another, each saved as a normal run whose TrainConfig
carries the group's id, kind and the member's key. Stop ends the member in training (saved
as "stopped") and skips the rest. The page follows a group through the saved runs.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnviz.i18n import _
from cnnviz.runs.store import RunError, is_complete, read_config, read_history, stage_run
from cnnviz.training.jobs import TrainingRequest

if TYPE_CHECKING:
    from cnnviz.data.augmentation import AugmentConfig
    from cnnviz.data.dataset import Dataset
    from cnnviz.runs.schema import RunConfig, TrainConfig
    from cnnviz.runs.store import Run
    from cnnviz.training.progress import TrainingProgress

KFOLD, VARIANTS, SEARCH = "kfold", "variants", "search"  # TrainConfig.group_kind


def new_group(config: TrainConfig, kind: str) -> TrainConfig:
    """``config`` with a fresh group id of this kind."""
    return replace(config, group=uuid.uuid4().hex[:12], group_kind=kind)


@dataclass(frozen=True)
class GroupRequest(TrainingRequest):
    """A TrainingRequest whose ``run`` trains several members; subclasses say which."""

    def members(self, base: Run) -> Iterator[tuple[Run, Dataset, TrainConfig, AugmentConfig | None]]:
        """(base model, dataset, config, augmentation) of each member, in training order."""
        raise NotImplementedError

    def train(self, progress: TrainingProgress, stop: Any) -> Run:
        """Train every member (until Stop), each in a staging folder of its own (recovered like any
        training); the last member's run. The job's own folder is removed after."""
        try:
            last = None
            for base, dataset, config, augmentation in self.members(self.base()):
                last = self.train_one(stage_run(self.runs_dir), base, dataset, config, augmentation, progress, stop)
                if stop is not None and stop.is_set():
                    break
            return self.finish(last, progress, stop)
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)

    def finish(self, last: Run | None, progress: TrainingProgress, stop: Any) -> Run:
        """The job's result once the members are trained (a search saves its best trial here)."""
        if last is None:
            raise RuntimeError(_("This group of trainings had nothing to train."))
        return last


@dataclass(frozen=True)
class Member:
    """A saved member of a group, read without loading its model."""

    path: Path
    config: RunConfig
    history: list[dict[str, float]]

    @property
    def key(self) -> str:
        hyper = self.config.hyperparameters
        return hyper.group_member if hyper else ""


def group_members(runs_dir: Path, group: str) -> list[Member]:
    """The saved runs of a group, oldest first."""
    runs_dir = Path(runs_dir)
    if not group or not runs_dir.is_dir():
        return []
    members = []
    for path in runs_dir.iterdir():
        if not is_complete(path):
            continue
        try:
            config = read_config(path)
        except RunError:  # an unreadable run is simply not a member
            continue
        if config.hyperparameters is not None and config.hyperparameters.group == group:
            members.append(Member(path, config, read_history(path)))
    return sorted(members, key=lambda m: (m.config.created, m.path.name))


def best_epoch(history: list[dict[str, float]], metric: str = "val_accuracy") -> tuple[int, float | None]:
    """(1-based epoch, value) of the highest ``metric``; (0, None) when it was never logged."""
    values = [(row[metric], epoch) for epoch, row in enumerate(history, start=1) if row.get(metric) is not None]
    if not values:
        return 0, None
    value, epoch = max(values)
    return epoch, float(value)
