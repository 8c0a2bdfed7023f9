""""Overfit, then fix it": the variants Deep Learning with Python (chapter 4) compares, queued as one group.

Every variant trains on the same split with the same settings and seed; only the model or
the augmentation differs: the current model, a smaller one, the current one with an L2
penalty, with dropout before its classifier, and with augmentation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnviz.data.augmentation import PRESETS
from cnnviz.i18n import N_
from cnnviz.models.architectures import CUSTOM_LIMITS, build_model, simple_options
from cnnviz.models.regularization import L2, WeightPenalty, split_options, with_head_dropout, with_penalty
from cnnviz.runs.schema import ArchitectureChoice
from cnnviz.runs.store import Run
from cnnviz.training.groups import VARIANTS, GroupRequest, best_epoch, new_group
from cnnviz.training.jobs import training_job

if TYPE_CHECKING:
    import keras

    from cnnviz.data.augmentation import AugmentConfig
    from cnnviz.data.dataset import Dataset
    from cnnviz.runs.schema import TrainConfig
    from cnnviz.training.groups import Member
    from cnnviz.training.progress import TrainingProgress
    from cnnviz.training.worker import Job

CURRENT, SMALLER, WITH_L2, WITH_DROPOUT, WITH_AUGMENTATION = "current", "smaller", "l2", "dropout", "augmentation"
VARIANT_LABELS = {  # key: display name (through _())
    CURRENT: N_("current model"), SMALLER: N_("smaller model"), WITH_L2: N_("with L2 (0.001)"),
    WITH_DROPOUT: N_("with dropout (0.5)"), WITH_AUGMENTATION: N_("with augmentation"),
}  # fmt: skip
L2_STRENGTH = 1e-3
DROPOUT_RATE = 0.5
FALLBACK_AUGMENTATION = "dlwp"  # the preset used when the session has no augmentation chosen


def smaller_options(choice: ArchitectureChoice, input_shape: tuple[int, int, int]) -> dict[str, Any]:
    """Custom-builder options for a smaller network: half the filters and dense units of a custom
    or ``simple`` model; for any other architecture a 2-block custom model with 8 filters."""
    if choice.name == "custom":
        options = dict(choice.options)
    elif choice.name == "simple":
        options = simple_options(input_shape)
    else:
        options = {"blocks": min(2, max(1, min(input_shape[:2]).bit_length() - 1)), "filters": 16, "dense_units": 64}
    low = CUSTOM_LIMITS["filters"][0]
    options["filters"] = max(low, int(options.get("filters", 16)) // 2)
    options["dense_units"] = int(options.get("dense_units", 64)) // 2
    return split_options(options)[0]


def _variant(base: Run, key: str, model: keras.Model, choice: ArchitectureChoice) -> Run:
    return Run(model, replace(base.config, name=f"{base.label} · {key}", architecture=choice))


def variant_models(base: Run, dataset: Dataset) -> dict[str, Run]:
    """The model of each variant (the augmentation variant trains the current model)."""
    shape, classes = dataset.image_shape, dataset.num_classes
    smaller = smaller_options(base.config.architecture, shape)
    l2 = {**base.config.architecture.options, "penalty": L2, "penalty_strength": L2_STRENGTH}
    dropout = {**base.config.architecture.options, "head_dropout": DROPOUT_RATE}
    return {
        CURRENT: base,
        SMALLER: _variant(base, SMALLER, build_model("custom", shape, classes, **smaller),
                          ArchitectureChoice("custom", smaller)),
        WITH_L2: _variant(base, WITH_L2, with_penalty(base.model, WeightPenalty(L2, L2_STRENGTH)),
                          replace(base.config.architecture, options=l2)),
        WITH_DROPOUT: _variant(base, WITH_DROPOUT, with_head_dropout(base.model, DROPOUT_RATE),
                               replace(base.config.architecture, options=dropout)),
        WITH_AUGMENTATION: base,
    }  # fmt: skip


@dataclass(frozen=True)
class VariantsRequest(GroupRequest):
    """The variants trained one after another on the request's dataset, config and seed."""

    def members(self, base: Run) -> Iterator[tuple[Run, Dataset, TrainConfig, AugmentConfig | None]]:
        name = self.config.name or base.label  # run names are stored: not translated
        augmentation = self.augmentation
        if augmentation is None or augmentation.is_identity:
            augmentation = PRESETS[FALLBACK_AUGMENTATION]
        for key, model in variant_models(base, self.dataset).items():
            augmented = key == WITH_AUGMENTATION
            config = replace(self.config, augment=augmented, group_member=key, name=f"{name} · {key}")
            yield model, self.dataset, config, augmentation if augmented else None


def variants_job(
    base: Run | None, dataset: Dataset, config: TrainConfig, runs_dir: Path,
    *, augmentation: AugmentConfig | None = None,
) -> Job[TrainingProgress, Run]:  # fmt: skip
    """Stage the variant comparison as one job (its runs share a new group id)."""
    return training_job(base, dataset, new_group(config, VARIANTS), runs_dir, augmentation=augmentation,
                        request_type=VariantsRequest)  # fmt: skip


def variant_rows(members: list[Member]) -> list[dict[str, Any]]:
    """One row per trained variant: its key, best epoch, best validation accuracy, test accuracy."""
    rows = []
    for member in members:
        epoch, accuracy = best_epoch(member.history)
        rows.append({
            "variant": member.key, "best_epoch": epoch, "best_val_accuracy": accuracy,
            "test_accuracy": member.config.test_metrics.accuracy, "status": member.config.status,
        })  # fmt: skip
    return rows
