"""K-fold cross-validation over the train + validation pool, as one queued group of runs.

The pool is cut into K stratified folds (each class spread evenly over the folds), in the
pool's order ("plain") or after a shuffle seeded by the training seed; fold i trains on the
other K - 1 folds and is validated on fold i. The test split is never in the pool. The
result is every fold's curves, the mean and standard deviation of the validation accuracy
per epoch, and the hold-out estimate (a normal training on the train split) beside it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cnnviz.data.dataset import Dataset, Split
from cnnviz.i18n import _
from cnnviz.runs.schema import KFOLD_RANGE
from cnnviz.training.groups import KFOLD, GroupRequest, new_group

HOLDOUT = "holdout"  # the member key of the hold-out training of a K-fold group
from cnnviz.training.jobs import training_job

if TYPE_CHECKING:
    from cnnviz.data.augmentation import AugmentConfig
    from cnnviz.runs.schema import TrainConfig
    from cnnviz.runs.store import Run
    from cnnviz.training.progress import TrainingProgress
    from cnnviz.training.worker import Job


def pool_of(dataset: Dataset) -> Split:
    """The train and validation splits as one pool (the folds are cut from it)."""
    parts = [dataset.train, dataset.val]
    boxes = None if any(p.boxes is None for p in parts) else np.concatenate([p.boxes for p in parts])
    return Split(np.concatenate([p.x for p in parts]), np.concatenate([p.y for p in parts]), boxes)


def check_k(k: int, pool_size: int) -> None:
    """ValueError (a message for the user) unless ``k`` folds can be cut from ``pool_size`` images."""
    low, high = KFOLD_RANGE
    if not low <= k <= high:
        raise ValueError(_("K of a K-fold must be between {low} and {high}").format(low=low, high=high))
    if pool_size < k:
        raise ValueError(_("{count} images cannot be cut into {k} folds.").format(count=pool_size, k=k))


def fold_indices(labels: np.ndarray, k: int, *, shuffle: bool, seed: int) -> list[np.ndarray]:
    """The pool indices of each fold's validation part: disjoint, covering the pool, stratified.

    Each class's indices (in pool order, or shuffled with ``seed``) are dealt out in K nearly
    equal consecutive parts, one per fold; the same arguments always give the same folds.
    """
    labels = np.asarray(labels)
    check_k(k, len(labels))
    rng = np.random.default_rng(seed)
    folds: list[list[np.ndarray]] = [[] for _fold in range(k)]
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if shuffle:
            members = rng.permutation(members)
        for fold, part in zip(folds, np.array_split(members, k)):
            fold.append(part)
    return [np.sort(np.concatenate(parts)) for parts in folds]


def fold_dataset(dataset: Dataset, pool: Split, validation: np.ndarray) -> Dataset:
    """The dataset of one fold: the rest of the pool to train on, ``validation`` to validate on."""
    train = np.setdiff1d(np.arange(len(pool)), validation)
    return replace(dataset, train=pool.take(train), val=pool.take(validation))


def folds_of(dataset: Dataset, config: TrainConfig) -> Iterator[tuple[int, Dataset]]:
    """(1-based fold number, its dataset) for ``config.kfold`` folds of the dataset's pool."""
    pool = pool_of(dataset)
    for number, validation in enumerate(
        fold_indices(pool.y, config.kfold, shuffle=config.kfold_shuffle, seed=config.seed), start=1
    ):
        yield number, fold_dataset(dataset, pool, validation)


@dataclass(frozen=True)
class KFoldRequest(GroupRequest):
    """The K folds of ``config.kfold`` trained one after another, one run each, then the hold-out
    training on the dataset's own split (member "holdout") for the estimate beside them."""

    def members(self, base: Run) -> Iterator[tuple[Run, Dataset, TrainConfig, AugmentConfig | None]]:
        name = self.config.name or base.label  # run names are stored: not translated
        for number, dataset in folds_of(self.dataset, self.config):
            fold = replace(self.config, group_member=str(number), name=f"{name} · fold {number}/{self.config.kfold}")
            yield base, dataset, fold, self.augmentation
        holdout = replace(self.config, group_member=HOLDOUT, name=f"{name} · hold-out")
        yield base, self.dataset, holdout, self.augmentation


def kfold_job(
    base: Run | None, dataset: Dataset, config: TrainConfig, runs_dir: Path,
    *, augmentation: AugmentConfig | None = None,
) -> Job[TrainingProgress, Run]:  # fmt: skip
    """Stage the K-fold of ``config.kfold`` folds as one job (its runs share a new group id)."""
    check_k(config.kfold, len(dataset.train) + len(dataset.val))
    return training_job(base, dataset, new_group(config, KFOLD), runs_dir, augmentation=augmentation,
                        request_type=KFoldRequest)  # fmt: skip


@dataclass(frozen=True)
class FoldSummary:
    """Validation accuracy per epoch over the folds: mean, standard deviation and fold count."""

    mean: list[float]
    std: list[float]
    folds: list[int]  # how many folds reached each epoch (early stopping may end some sooner)

    @property
    def final_mean(self) -> float | None:
        return self.mean[-1] if self.mean else None

    @property
    def final_std(self) -> float | None:
        return self.std[-1] if self.std else None


def summarize_folds(histories: Sequence[Sequence[dict[str, float]]], metric: str = "val_accuracy") -> FoldSummary:
    """The mean and (population) standard deviation of ``metric`` per epoch over the folds."""
    epochs = max((len(h) for h in histories), default=0)
    mean, std, counts = [], [], []
    for epoch in range(epochs):
        values = [h[epoch][metric] for h in histories if len(h) > epoch and h[epoch].get(metric) is not None]
        if not values:
            break
        mean.append(float(np.mean(values)))
        std.append(float(np.std(values)))
        counts.append(len(values))
    return FoldSummary(mean, std, counts)
