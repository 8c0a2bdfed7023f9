"""Every page's keyed controls are exactly the ones cnnviz/lesson/pages.py declares (AppTest of each page)."""

from __future__ import annotations

from dataclasses import fields

import pytest
from streamlit.testing.v1 import AppTest

from app.state import DATASET_KEY, MODEL_KEY
from cnnviz.data.augmentation import AugmentConfig
from cnnviz.lesson.controls import AUGMENT, CAMERA, MODEL_ARCHITECTURE_KEY, TRAIN, UPLOAD
from cnnviz.lesson.pages import PAGE_CONTROLS, PAGES
from cnnviz.runs.schema import TrainConfig
from tests.conftest import APPTEST_TIMEOUT_S, REPO_ROOT, tiny_model_run

WIDGET_KINDS = ("number_input", "slider", "select_slider", "checkbox", "toggle", "selectbox", "radio", "multiselect",
                "text_input", "text_area")  # fmt: skip
SCENARIOS = {  # session state that brings out each page's conditional controls
    "model": ({MODEL_ARCHITECTURE_KEY: "custom"}, {MODEL_ARCHITECTURE_KEY: "mobilenetv2", "model_page_weights": "random"}),
}


def keyed_controls(at: AppTest) -> set[str]:
    """The keys of the input widgets the page drew (buttons, charts and unkeyed widgets left out)."""
    return {widget.key for kind in WIDGET_KINDS for widget in getattr(at, kind) if widget.key is not None}


def page_keys(page: str, state: dict, dataset, tmp_path, monkeypatch) -> set[str]:
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(tmp_path / "runs"))
    at = AppTest.from_file(str(REPO_ROOT / "pages" / f"{page}.py"), default_timeout=APPTEST_TIMEOUT_S)
    at.session_state[DATASET_KEY] = dataset
    at.session_state[MODEL_KEY] = tiny_model_run(dataset)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return keyed_controls(at)


@pytest.mark.parametrize("page", PAGES)
def test_a_page_draws_exactly_its_declared_controls(page, small_shapes, tmp_path, monkeypatch):
    drawn = set().union(*(page_keys(page, state, small_shapes, tmp_path, monkeypatch)
                          for state in SCENARIOS.get(page, ({},))))  # fmt: skip
    declared = {control.key for control in PAGE_CONTROLS.get(page, ()) if control.kind not in (UPLOAD, CAMERA)}  # not in AppTest
    assert drawn - declared == set(), "keyed controls the page draws but cnnviz/lesson/pages.py does not declare"
    assert declared - drawn == set(), "declared controls the page does not draw"


def test_every_config_field_a_page_sets_has_one_control_with_the_config_default():
    assert sorted(c.field for c in AUGMENT) == sorted(f.name for f in fields(AugmentConfig))
    assert len({c.field for c in TRAIN}) == len(TRAIN) and all(c.default == getattr(TrainConfig(), c.field) for c in TRAIN)
    keys = [control.key for controls in PAGE_CONTROLS.values() for control in controls]
    assert len(keys) == len(set(keys)), "a key is declared twice"
