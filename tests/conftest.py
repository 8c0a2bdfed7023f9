"""Shared fixtures: the real data beside the repo, small datasets made offline, and the training seeds.

Tests of a trained model's figure take the ``training_seed`` fixture (directly or through
``trained_shapes``) and report each figure with ``figure(...)``. ``--seeds N`` reruns them under
seeds 1..N (or ``--seeds 3,7`` under those), and the summary at the end lists each figure's worst
value against its bar; ``-m trained`` selects only them. The audit of issue 26, in one line each:

    TF_ENABLE_ONEDNN_OPTS=1 python -m pytest -m trained --seeds 5
    TF_ENABLE_ONEDNN_OPTS=0 python -m pytest -m trained --seeds 5
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
# AppTest's limit on one script run: generous, since the machine may be loaded (a run that ends early is not slowed).
APPTEST_TIMEOUT_S = 300


DEFAULT_SEEDS = "1"
FIGURES = pytest.StashKey[list["Figure"]]()  # every figure the trained-model tests asserted in this run


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--seeds", default=DEFAULT_SEEDS,
        help="training seeds of the trained-model tests: a count N (seeds 1..N) or a comma list (3,7)",
    )


def training_seeds(config: pytest.Config) -> list[int]:
    """The seeds ``--seeds`` names: "5" is 1..5, "3,7" is 3 and 7."""
    text = str(config.getoption("--seeds"))
    if "," in text:
        return [int(part) for part in text.split(",") if part.strip()]
    count = int(text)
    if count < 1:
        raise pytest.UsageError("--seeds needs a count of at least 1 or a comma list of seeds")
    return list(range(1, count + 1))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "trained: asserts a figure of a trained model (rerun with --seeds N)")
    config.stash[FIGURES] = []


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "training_seed" in metafunc.fixturenames:  # the test, or a fixture it uses, trains a model
        seeds = training_seeds(metafunc.config)
        metafunc.parametrize("training_seed", seeds, ids=[f"seed{seed}" for seed in seeds], scope="session")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "training_seed" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.trained)


@dataclass(frozen=True)
class Figure:
    """One figure a trained-model test asserted: its value against the bar it must stay above (or below)."""

    test: str  # the test's id without its seed
    name: str
    value: float
    bar: float
    above: bool  # True: the value must be >= bar; False: <= bar

    @property
    def margin(self) -> float:
        """How far the value is from failing, in the bar's units (negative: it failed)."""
        return self.value - self.bar if self.above else self.bar - self.value


def figure_key(item: pytest.Item) -> str:
    """The test's id with every parameter but the seed: one line per figure in the summary."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    shown = [str(value) for name, value in params.items() if name != "training_seed"]
    name = f"{item.path.name}::{getattr(item, 'originalname', item.name)}"
    return f"{name}[{'-'.join(shown)}]" if shown else name


@pytest.fixture
def figure(request: pytest.FixtureRequest):
    """Records a figure for the end-of-run summary and returns whether it clears its bar.

    ``assert figure("median enrichment", value, above=1.1)`` (or ``below=0.5``).
    """
    test = figure_key(request.node)

    def record(name: str, value: float, *, above: float | None = None, below: float | None = None) -> bool:
        assert (above is None) != (below is None), "a figure has one bar: above= or below="
        bar = above if above is not None else below
        found = Figure(test, name, float(value), float(bar), above is not None)
        request.config.stash[FIGURES].append(found)
        return found.margin >= 0

    return record


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """Each asserted figure's worst and best value over the seeds run, tightest margin first."""
    runs: dict[tuple[str, str], list[Figure]] = defaultdict(list)
    for found in config.stash.get(FIGURES, []):
        runs[found.test, found.name].append(found)
    if not runs:
        return
    terminalreporter.section(f"figures the tests asserted, worst over seeds {config.getoption('--seeds')}")
    for (test, name), seen in sorted(runs.items(), key=lambda item: min(f.margin for f in item[1])):
        worst, best = min(seen, key=lambda f: f.margin), max(seen, key=lambda f: f.margin)
        sign = ">=" if worst.above else "<="
        terminalreporter.write_line(
            f"margin {worst.margin:+8.3f}  {name}: worst {worst.value:.3f}, best {best.value:.3f} "
            f"(bar {sign} {worst.bar:g}, {len(seen)} runs)  {test}"
        )


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
def trained_shapes(training_seed: int):
    """(Run, Dataset): a 3-block GAP model trained on 32x32 Shapes (~0.85 test accuracy), seeded by ``--seeds``.

    Its last conv layer keeps an 8x8 map, fine enough for Grad-CAM to localise the shape.
    """
    import keras

    from cnnviz.data.pipeline import make_pipeline
    from cnnviz.models.architectures import build_model
    from cnnviz.runs.schema import model_config
    from cnnviz.data.registry import DatasetSpec, load_dataset
    from cnnviz.runs.store import Run

    dataset = load_dataset(DatasetSpec(source="shapes", image_size=32, count=2000))
    keras.utils.set_random_seed(training_seed)
    model = build_model("custom", dataset.image_shape, dataset.num_classes, **LOOKING_OPTIONS)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    pipeline = make_pipeline(dataset.train, 32, training=True, seed=training_seed)
    model.fit(pipeline, epochs=8, shuffle=False, verbose=0)
    return Run(model, model_config("custom", LOOKING_OPTIONS, dataset)), dataset


@pytest.fixture(scope="session")
def tiny_shapes(small_shapes):
    """200 images of small_shapes (120 train, 40 val, 40 test): for tests that train many small models."""
    from dataclasses import replace

    import numpy as np

    keep = np.arange(120)
    return replace(small_shapes, train=small_shapes.train.take(keep), val=small_shapes.val.take(keep[:40]),
                   test=small_shapes.test.take(keep[:40]))  # fmt: skip
