"""Shared fixtures: the real data beside the repo, and small datasets made offline."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
# AppTest's limit on one script run: generous, since the machine may be loaded (a run that ends early is not slowed).
APPTEST_TIMEOUT_S = 300


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data; a test that needs it is skipped loudly when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"REAL DATA ABSENT: {SHARED_DATA} not found; this data check did not run")
    return SHARED_DATA


@pytest.fixture(scope="session")
def small_shapes():
    """A small Shapes dataset (32x32 RGB, 400 images) shared by the whole session."""
    from cnnviz.data.registry import DatasetSpec, load_dataset

    return load_dataset(DatasetSpec(source="shapes", image_size=32, count=400))


TINY_OPTIONS = {"blocks": 2, "filters": 8, "dense_units": 16}


def tiny_model_run(dataset):
    """A fresh, untrained Run for ``dataset``: a 2-block custom model (quick to trace and train)."""
    from cnnviz.models.architectures import build_model
    from cnnviz.runs.schema import model_config
    from cnnviz.runs.store import Run

    model = build_model("custom", dataset.image_shape, dataset.num_classes, **TINY_OPTIONS)
    return Run(model, model_config("custom", TINY_OPTIONS, dataset))


@pytest.fixture
def in_korean(monkeypatch):
    """A function that opens an AppTest session in Korean, with the app's per-session language provider."""
    from cnnviz import i18n
    from app import language as _language

    monkeypatch.setattr(i18n, "_provider", _language.session_language)  # what streamlit_app.py installs

    def korean(at):
        at.session_state[_language.LANGUAGE_KEY] = "ko"
        return at

    return korean


@pytest.fixture
def tiny_run(small_shapes):
    return tiny_model_run(small_shapes)


LOOKING_OPTIONS = {"blocks": 3, "filters": 16, "global_pooling": True, "dense_units": 0}


@pytest.fixture(scope="session")
def trained_shapes():
    """(Run, Dataset): a 3-block GAP model trained on 32x32 Shapes (~0.85 test accuracy).

    Its last conv layer keeps an 8x8 map, fine enough for Grad-CAM to localise the shape.
    """
    import keras

    from cnnviz.data.pipeline import make_pipeline
    from cnnviz.models.architectures import build_model
    from cnnviz.runs.schema import model_config
    from cnnviz.data.registry import DatasetSpec, load_dataset
    from cnnviz.runs.store import Run

    dataset = load_dataset(DatasetSpec(source="shapes", image_size=32, count=2000))
    keras.utils.set_random_seed(1)
    model = build_model("custom", dataset.image_shape, dataset.num_classes, **LOOKING_OPTIONS)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(make_pipeline(dataset.train, 32, training=True, seed=1), epochs=8, shuffle=False, verbose=0)
    return Run(model, model_config("custom", LOOKING_OPTIONS, dataset)), dataset


@pytest.fixture(scope="session")
def tiny_shapes(small_shapes):
    """200 images of small_shapes (120 train, 40 val, 40 test): for tests that train many small models."""
    from dataclasses import replace

    import numpy as np

    keep = np.arange(120)
    return replace(small_shapes, train=small_shapes.train.take(keep), val=small_shapes.val.take(keep[:40]),
                   test=small_shapes.test.take(keep[:40]))  # fmt: skip
