""""Overfit, then fix it": the chapter's variants trained as one group on the same split and seed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cnnviz.runs.schema import TrainConfig
from cnnviz.training.groups import VARIANTS, group_members
from cnnviz.training.progress import TrainingProgress
from cnnviz.training.variants import (
    CURRENT, SMALLER, VARIANT_LABELS, WITH_AUGMENTATION, WITH_DROPOUT, WITH_L2, variant_rows, variants_job,
)  # fmt: skip


@pytest.fixture(scope="module")
def variants(tiny_shapes, tmp_path_factory):
    """The saved variants of a tiny model, trained for one epoch by the job's own request (no worker)."""
    from tests.conftest import tiny_model_run

    runs_dir = tmp_path_factory.mktemp("variants")
    config = TrainConfig(epochs=1, batch_size=64, seed=5, checkpoint=False, name="lab")
    job = variants_job(tiny_model_run(tiny_shapes), tiny_shapes, config, runs_dir)
    job.request.run(TrainingProgress(), None)
    return group_members(runs_dir, job.request.config.group)


def test_every_variant_is_trained_once_in_its_group(variants):
    assert [m.key for m in variants] == list(VARIANT_LABELS)
    assert {m.config.hyperparameters.group_kind for m in variants} == {VARIANTS}


def test_the_variants_share_split_and_seed_and_differ_only_where_they_should(variants):
    by_key = {m.key: m for m in variants}
    first = by_key[CURRENT].config
    for member in variants:
        assert member.config.dataset.sizes == first.dataset.sizes
        assert member.config.dataset.split_seed == first.dataset.split_seed
        same = replace(member.config.hyperparameters, name="", group_member="", augment=False)
        assert same == replace(first.hyperparameters, name="", group_member="")
    assert by_key[SMALLER].config.architecture.options["filters"] == first.architecture.options["filters"] // 2
    assert by_key[WITH_L2].config.architecture.options["penalty"] == "l2"
    assert "data_loss" in by_key[WITH_L2].history[0]  # the data loss is logged beside the total loss
    assert by_key[WITH_DROPOUT].config.architecture.options["head_dropout"] == 0.5
    augmented = by_key[WITH_AUGMENTATION].config
    assert augmented.hyperparameters.augment and augmented.augmentation is not None
    assert all(m.config.augmentation is None for m in variants if m.key != WITH_AUGMENTATION)


def test_the_table_has_best_epoch_and_accuracies_per_variant(variants):
    rows = variant_rows(variants)
    assert [row["variant"] for row in rows] == list(VARIANT_LABELS)
    for row, member in zip(rows, variants):
        assert row["best_epoch"] == 1 and row["best_val_accuracy"] == member.history[0]["val_accuracy"]
        assert row["test_accuracy"] == member.config.test_metrics.accuracy
