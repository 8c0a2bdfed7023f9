"""The lesson link: pure round trips for every page, bad links, and fresh AppTest sessions opened from links."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.data.augmentation import AugmentConfig
from cnnviz.data.dataset import DatasetSpec
from cnnviz.lesson.link import (
    MAX_LINK_LENGTH,
    PAGE_WIDGETS,
    LessonState,
    from_params,
    from_url,
    lesson_url,
    to_params,
)
from cnnviz.models.layers import LayerInfo
from cnnviz.runs.schema import TrainConfig
from tests.conftest import APPTEST_TIMEOUT_S, REPO_ROOT

BASE = "http://school.example:8501"
PAGE_CHOICES = {  # a value for every control a page's link carries
    "augment": {"augment_n": 4, "augment_src": "test_split", "augment_class": 2, "augment_index": 5},
    "lab": {"lab_epochs": 20, "lab_k": 5, "lab_shuffle": False, "lab_search": "hyperband", "lab_trials": 8},
    "activations": {"activations_layer": LayerInfo("block1_conv", "conv", (16, 16, 8)), "activations_colormap": "magma",
                    "activations_per_channel": False, "activations_columns": 8, "activations_image_class": 1},
    "filters": {"filters_layer": LayerInfo("block2_conv", "conv", (8, 8, 16)), "filters_first": 3, "filters_count": 4,
                "filters_steps": 20, "filters_step_size": 0.5, "filters_size": 64, "filters_class": 2},
    "gradcam": {"gradcam_layer": LayerInfo("block2_conv", "conv", (8, 8, 16)), "gradcam_class": None,
                "gradcam_methods": ["occlusion"], "gradcam_opacity": 0.6, "gradcam_image_index": 7},
    "convolution": {"conv_layer": LayerInfo("block1_conv", "conv", (32, 32, 8)), "conv_channel": 3, "conv_x": 4, "conv_y": 5},
    "predict": {"predict_fit": "pad", "predict_top": 2, "predict_cam": False, "predict_margin": 10,
                "predict_method": "occlusion"},
}  # fmt: skip
RICH = LessonState(
    dataset=DatasetSpec(source="flat_folder", path="/data/weather, small", image_size=48, color_mode="grayscale",
                        ratios=(0.6, 0.2, 0.2), keywords=("cloudy", "rain", "shine", "sunrise"), split_seed=7),
    architecture="custom", options={"blocks": 2, "pooling": "avg", "batch_norm": False, "dropout": 0.25},
    augmentation=AugmentConfig(rotation_degrees=30, zoom=0.2, brightness=(0.5, 1.5), horizontal_flip=True),
    training=TrainConfig(optimizer="sgd", learning_rate=0.01, epochs=3, early_stopping=True, reduce_lr=True),
    locked=("train_epochs", "model_architecture", "augment_zoom"),
)  # fmt: skip


@pytest.mark.parametrize("page", ["data", "model", "train", "runs", *PAGE_WIDGETS])
def test_a_link_round_trips_the_state_of_every_page(page):
    state = LessonState(**{**RICH.__dict__, "page": page, "widgets": PAGE_CHOICES.get(page, {})})
    url = lesson_url(BASE, state, {"lang": "ko"})
    assert len(url) < MAX_LINK_LENGTH
    assert from_url(url) == (state, [])
    assert url.startswith(f"{BASE}/?") and (page == "data") == ("page=" not in url)


def test_defaults_are_left_out_and_a_run_is_named_by_its_id():
    assert to_params(LessonState()) == {}
    assert lesson_url(BASE, LessonState()) == f"{BASE}/"
    params = to_params(LessonState(page="gradcam", run="simple-on-shapes-2"))
    assert params == {"page": "gradcam", "run": "simple-on-shapes-2"}
    assert to_params(LessonState(training=TrainConfig(learning_rate=0.01))) == {"train": "learning_rate:0.01"}


@pytest.mark.parametrize("params, expected", [
    ({"ds": "source:nowhere"}, "dataset settings are not valid"),
    ({"ds": "image_size:big"}, "dataset settings are not valid"),
    ({"ds": "no pairs"}, "dataset settings are not valid"),
    ({"arch": "resnet999"}, "an architecture this app does not have"),
    ({"aug": "zoom:5"}, "augmentation settings are not valid"),
    ({"train": "learning_rate:-1"}, "training settings are not valid"),
    ({"train": "optimizer:lion"}, "training settings are not valid"),
    ({"w": "gradcam_class:2"}, "controls this page does not have"),
    ({"page": "nowhere"}, "a page this app does not have"),
])  # fmt: skip
def test_bad_parts_of_a_link_give_a_message_and_keep_their_defaults(params, expected):
    state, problems = from_params({"page": "model", **params, "lock": "cnnviz_model,train_epochs"})
    assert len(problems) == 1 and expected in problems[0]
    assert state.locked == ("train_epochs",)  # only real controls can be locked
    default = LessonState(page="data" if "page" in params else "model", locked=("train_epochs",))
    assert state == default


def open_link(page: str, params: dict[str, str]) -> tuple[AppTest, str]:
    """A fresh app session opened from a link to ``page`` with ``params``; and its sidebar's link."""
    at = AppTest.from_file(str(REPO_ROOT / "streamlit_app.py"), default_timeout=APPTEST_TIMEOUT_S)
    for name, value in {"page": page, **params}.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception
    return at, at.sidebar.code[0].value


def widget(at: AppTest, kind: str, key: str):
    return next(element for element in at.get(kind) if element.key == key)


SMALL_SHAPES = "source:shapes,image_size:32,count:400"


def test_a_model_link_loads_the_dataset_builds_the_model_and_locks_controls():
    at, link = open_link("model", {"ds": SMALL_SHAPES, "arch": "custom", "opt": "blocks:2,filters:8",
                             "lock": "model_architecture,model_blocks"})  # fmt: skip
    run = at.session_state["cnnviz_model"]
    assert run.config.architecture.name == "custom" and run.config.architecture.options == {"blocks": 2, "filters": 8}
    assert run.input_shape == (32, 32, 3) and at.session_state["cnnviz_dataset"].spec == DatasetSpec(image_size=32, count=400)
    architecture, blocks = widget(at, "selectbox", "model_architecture"), widget(at, "slider", "model_blocks")
    assert (architecture.value, architecture.disabled) == ("custom", True)
    assert (blocks.value, blocks.disabled) == (2, True)
    assert widget(at, "select_slider", "model_filters").value == 8 and not widget(at, "select_slider", "model_filters").disabled
    state, problems = from_url(link)  # the sidebar's link rebuilds the same set-up
    assert problems == [] and state.page == "model" and state.architecture == "custom" and state.locked == ()
    assert state.options["blocks"] == 2 and state.dataset == DatasetSpec(image_size=32, count=400)
    assert "layers.Conv2D(8, 3" in next(code.value for code in at.main.code)  # the Code expander follows the model


def test_a_train_link_sets_and_locks_the_training_settings_and_the_augmentation():
    at, _link = open_link("train", {"ds": SMALL_SHAPES, "arch": "simple", "aug": "rotation_degrees:20",
                             "train": "learning_rate:0.01,epochs:2,optimizer:sgd", "lock": "train_epochs,train_optimizer"})  # fmt: skip
    learning_rate, epochs = widget(at, "number_input", "train_learning_rate"), widget(at, "number_input", "train_epochs")
    assert (learning_rate.value, learning_rate.disabled) == (0.01, False)  # "only change the learning rate"
    assert (epochs.value, epochs.disabled) == (2, True)
    assert widget(at, "selectbox", "train_optimizer").disabled
    assert at.session_state["cnnviz_augmentation"] == AugmentConfig(rotation_degrees=20)
    code = next(code.value for code in at.main.code)
    assert "keras.optimizers.SGD(LEARNING_RATE" in code


def test_a_bad_link_opens_the_app_with_messages_and_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(tmp_path))
    at, _link = open_link("data", {"ds": "source:folder,path:/no/such/folder", "run": "gone-run", "train": "epochs:0"})
    messages = " ".join(warning.value for warning in at.warning)
    assert "dataset could not be loaded" in messages and "gone-run" not in messages and "training settings" in messages
    assert at.title[0].value == "Data" and "cnnviz_dataset" not in at.session_state
    at, _link = open_link("model", {"arch": "custom", "opt": "blocks:9"})
    assert "could not be built" in at.warning[0].value and "cnnviz_model" not in at.session_state
