"""K-fold cross-validation: stratified, reproducible folds of the train + validation pool, queued as one group."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.runs.schema import TrainConfig
from cnnviz.training.groups import KFOLD, group_members
from cnnviz.training.kfold import HOLDOUT, fold_indices, kfold_job, pool_of, summarize_folds
from cnnviz.training.worker import DONE, ThreadWorker

LABELS = np.repeat(np.arange(4), [30, 20, 25, 13])  # unbalanced classes, in blocks as a folder gives them


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("k", [2, 5, 10])
def test_folds_are_disjoint_cover_the_pool_and_are_stratified(k, shuffle):
    folds = fold_indices(LABELS, k, shuffle=shuffle, seed=3)
    assert len(folds) == k
    joined = np.concatenate(folds)
    assert len(joined) == len(set(joined.tolist())) == len(LABELS)  # disjoint and covering
    overall = np.bincount(LABELS) / k
    for fold in folds:  # every class spread evenly: at most one image more or less than its share
        assert np.all(np.abs(np.bincount(LABELS[fold], minlength=4) - overall) < 1)


def test_folds_are_reproducible_per_seed_and_plain_folds_keep_the_pool_order():
    shuffled = fold_indices(LABELS, 3, shuffle=True, seed=7)
    assert all(np.array_equal(a, b) for a, b in zip(shuffled, fold_indices(LABELS, 3, shuffle=True, seed=7)))
    assert not all(np.array_equal(a, b) for a, b in zip(shuffled, fold_indices(LABELS, 3, shuffle=True, seed=8)))
    plain = fold_indices(LABELS, 3, shuffle=False, seed=7)
    assert plain[0][:10].tolist() == list(range(10))  # the first tenth of class 0, in order
    assert all(np.array_equal(a, b) for a, b in zip(plain, fold_indices(LABELS, 3, shuffle=False, seed=99)))


def test_k_outside_2_to_10_is_refused_with_a_message():
    with pytest.raises(ValueError, match="between 2 and 10"):
        fold_indices(LABELS, 11, shuffle=False, seed=0)
    with pytest.raises(ValueError, match="between 2 and 10"):
        TrainConfig(kfold=1)


def test_the_mean_and_std_per_epoch_are_the_folds_own():
    histories = [[{"val_accuracy": 0.5}, {"val_accuracy": 0.7}], [{"val_accuracy": 0.7}, {"val_accuracy": 0.9}],
                 [{"val_accuracy": 0.6}]]  # the last fold stopped early
    summary = summarize_folds(histories)
    assert summary.mean == pytest.approx([0.6, 0.8]) and summary.folds == [3, 2]
    assert summary.std == pytest.approx([np.std([0.5, 0.7, 0.6]), 0.1])


def test_a_kfold_goes_through_the_queue_as_one_group_of_runs(tiny_shapes, tiny_run, tmp_path):
    config = TrainConfig(epochs=1, batch_size=64, kfold=2, kfold_shuffle=True, checkpoint=False, name="cv")
    worker = ThreadWorker(max_running=1)
    job_id = worker.submit("student", kfold_job(tiny_run, tiny_shapes, config, tmp_path))
    assert worker.wait(job_id, timeout=300).state == DONE
    members = group_members(tmp_path, worker.result(job_id).config.hyperparameters.group)
    assert [m.key for m in members] == ["1", "2", HOLDOUT]
    assert all(m.config.hyperparameters.group_kind == KFOLD for m in members)
    assert [p.name for p in tmp_path.iterdir()] and not list(tmp_path.glob(".staging-*"))  # the job's folder is gone
    pool = len(pool_of(tiny_shapes))
    folds = members[:2]
    validation = [m.config.dataset.sizes["val"] for m in folds]
    assert sum(validation) == pool and all(abs(v - pool / 2) <= tiny_shapes.num_classes for v in validation)
    assert all(m.config.dataset.sizes["train"] + m.config.dataset.sizes["val"] == pool for m in folds)
    assert members[2].config.dataset.sizes == {name: len(s) for name, s in tiny_shapes.splits().items()}
    summary = summarize_folds([m.history for m in folds])
    assert summary.final_mean == pytest.approx(np.mean([m.history[-1]["val_accuracy"] for m in folds]))
