"""Stratified, seeded train/validation/test splits."""

from __future__ import annotations

import numpy as np

from cnnviz.i18n import _

DEFAULT_RATIOS = (0.70, 0.15, 0.15)


def stratified_split(
    labels: np.ndarray, ratios: tuple[float, float, float] = DEFAULT_RATIOS, seed: int = 42
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of train, validation and test; every class is split in the same ratios.

    The same labels, ratios and seed always give the same split.
    """
    weights = np.asarray(ratios, dtype=np.float64)
    if weights.shape != (3,) or (weights < 0).any() or weights.sum() <= 0:
        raise ValueError(_("ratios must be three non-negative numbers with a positive sum"))
    return split_by_class(labels, weights / weights.sum(), seed)


def split_by_class(labels: np.ndarray, shares: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per class, a seeded permutation cut into train, validation and test ``shares`` (summing to 1).

    Scripts exported by cnnviz.lesson inline this function, so it needs NumPy only.
    """
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[], [], []]
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        n_val = int(round(len(members) * shares[1]))
        n_test = int(round(len(members) * shares[2]))
        n_train = len(members) - n_val - n_test
        for part, chunk in zip(parts, np.split(members, [n_train, n_train + n_val])):
            part.append(chunk)
    return tuple(np.sort(np.concatenate(p)).astype(np.int64) for p in parts)  # type: ignore[return-value]
