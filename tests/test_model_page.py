"""The Model page in Streamlit's AppTest: build, inspect, adopt; clear messages when it can't."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.runs.store import Run
from tests.conftest import APPTEST_TIMEOUT_S, REPO_ROOT

PAGE = str(REPO_ROOT / "pages" / "model.py")


@pytest.fixture
def page(small_shapes) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=APPTEST_TIMEOUT_S)
    at.session_state["cnnviz_dataset"] = small_shapes
    at.run()
    assert not at.exception
    return at


def choose(at: AppTest, architecture: str) -> None:
    next(s for s in at.selectbox if s.label == "Architecture").set_value(architecture)
    at.run()
    assert not at.exception


def test_simple_is_shown_and_becomes_the_current_model(page):
    assert next(s for s in page.selectbox if s.label == "Architecture").value == "simple"
    table = page.dataframe[0].value
    assert table["layer"].iloc[0] == "image" and table["layer"].iloc[-1] == "predictions"
    assert table["output shape"].iloc[-1] == "4"
    assert [m.label for m in page.metric] == ["Parameters", "Trainable", "Non-trainable"]
    assert int(page.metric[0].value.replace(",", "")) == table["parameters"].sum()
    next(b for b in page.button if b.label == "Use this model").click()
    page.run()
    assert not page.exception
    run = page.session_state["cnnviz_model"]
    assert isinstance(run, Run) and run.path is None and run.history == []
    assert run.model.input_shape == (None, 32, 32, 3) and run.model.output_shape == (None, 4)
    assert run.config.to_dict()["architecture"] == {"name": "simple", "options": {}}
    assert run.config.input_shape == (32, 32, 3) and run.config.dataset.spec.count == 400
    assert "simple" in page.success[0].value


def test_custom_options_change_the_model(page):
    choose(page, "custom")
    next(s for s in page.slider if s.label.startswith("Conv blocks")).set_value(2)
    next(c for c in page.checkbox if c.label == "Batch normalisation").uncheck()
    page.run()
    assert not page.exception
    types = list(page.dataframe[0].value["type"])
    assert types.count("Conv2D") == 2 and "BatchNormalization" not in types


def test_a_seed_too_big_for_the_images_shows_an_error(page):
    choose(page, "cats_dogs")
    assert "cats_dogs cannot take 32x32 images" in page.error[0].value
    assert not page.dataframe and not [b for b in page.button if b.label == "Use this model"]


def test_missing_imagenet_weights_offer_random_initialisation(page, monkeypatch):
    from keras.src.utils import file_utils

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure: no network")

    monkeypatch.setattr(file_utils, "get_file", offline)
    choose(page, "mobilenetv2")
    assert "random initialisation" in page.error[0].value
    next(b for b in page.button if b.label == "Use random initialisation instead").click()
    page.run()
    assert not page.exception and not page.error
    assert page.radio(key="model_page_weights").value == "random"
    assert "Conv_1" in list(page.dataframe[0].value["layer"])


def test_model_page_in_korean(small_shapes, in_korean):
    at = in_korean(AppTest.from_file(PAGE, default_timeout=APPTEST_TIMEOUT_S))
    at.session_state["cnnviz_dataset"] = small_shapes
    at.run()
    assert not at.exception and not at.error
    assert at.title[0].value == "🧱 모델"
    assert at.selectbox[0].label == "아키텍처" and at.metric[0].label == "파라미터"
    assert at.markdown[0].value.startswith("작고 빠른 기본 모델")
