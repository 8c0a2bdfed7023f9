"""Shared fixtures: the real data beside the repo, and small datasets made offline."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data; a test that needs it is skipped loudly when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"REAL DATA ABSENT: {SHARED_DATA} not found; this data check did not run")
    return SHARED_DATA


@pytest.fixture(scope="session")
def small_shapes():
    """A small Shapes dataset (32x32 RGB, 400 images) shared by the whole session."""
    from cnnviz.registry import DatasetSpec, load_dataset

    return load_dataset(DatasetSpec(source="shapes", image_size=32, count=400))


TINY_OPTIONS = {"blocks": 2, "filters": 8, "dense_units": 16}


def tiny_model_run(dataset):
    """A fresh, untrained Run for ``dataset``: a 2-block custom model (quick to trace and train)."""
    from cnnviz.architectures import build_model, model_config
    from cnnviz.runs import Run

    model = build_model("custom", dataset.image_shape, dataset.num_classes, **TINY_OPTIONS)
    return Run(model, model_config("custom", TINY_OPTIONS, dataset))


@pytest.fixture
def tiny_run(small_shapes):
    return tiny_model_run(small_shapes)
