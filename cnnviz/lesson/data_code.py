"""Keras/NumPy code that loads a ``DatasetSpec`` and splits it as the app does.

Every source ends with the same names: ``x_train, y_train, x_val, y_val, x_test, y_test``
(uint8 images, int labels) and ``class_names``. The split mirrors ``cnnviz.data.split``:
per class, a seeded permutation cut in the spec's ratios.
"""

from __future__ import annotations

import inspect

from cnnviz.data.dataset import DatasetSpec
from cnnviz.data.registry import SOURCES
from cnnviz.data.split import split_by_class

SPLIT_FUNCTION = inspect.getsource(split_by_class).strip()


def dataset_code(spec: DatasetSpec) -> tuple[dict[str, object], str]:
    """Settings (the script's capitalised variables) and the code that loads and splits ``spec``."""
    common = {"SPLIT_SEED": spec.split_seed, "RATIOS": tuple(spec.ratios)}
    settings, code = SOURCES[spec.source].code(spec)
    return {**common, **settings}, SPLIT_FUNCTION + "\n\n\n" + code
