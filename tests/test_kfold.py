"""K-fold cross-validation: stratified, reproducible folds of the train + validation pool, queued as one group."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.runs.schema import TrainConfig
from cnnviz.training.kfold import fold_indices, summarize_folds

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
