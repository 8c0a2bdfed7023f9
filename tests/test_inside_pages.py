"""AppTest of the Activations, Filters and Where the network looks pages on a small trained model."""

from __future__ import annotations

import keras
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dataclasses import replace

from cnnviz.explain import saliency, sanity
from cnnviz.runs.store import Run
from app.language import LANGUAGE_KEY
from app.state import DATASET_KEY, MODEL_KEY
from tests.conftest import APPTEST_TIMEOUT_S, REPO_ROOT, tiny_model_run


def open_page(name: str, run: Run | None, dataset, tmp_path, monkeypatch, language: str = "en") -> AppTest:
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(tmp_path / "runs"))
    at = AppTest.from_file(str(REPO_ROOT / "pages" / f"{name}.py"), default_timeout=APPTEST_TIMEOUT_S)
    at.session_state[LANGUAGE_KEY] = language
    at.session_state[DATASET_KEY] = dataset
    if run is not None:
        at.session_state[MODEL_KEY] = run
    at.run()
    assert not at.exception
    return at


def captions(at: AppTest) -> list[str]:
    return [caption for image in at.image for caption in image.captions]


def test_activations_page_shows_every_channel_and_the_depth_strip(trained_shapes, tmp_path, monkeypatch):
    run, dataset = trained_shapes
    at = open_page("activations", run, dataset, tmp_path, monkeypatch)
    assert not at.error
    assert any(text.startswith("16 channels of block1_conv, 32×32 each") for text in captions(at))
    assert sum(text.startswith("block") for text in captions(at)) == 12  # one strip per layer
    at.selectbox(key="activations_layer").select_index(8).run()  # block3_conv
    assert not at.exception
    assert any(text.startswith("64 channels of block3_conv, 8×8 each") for text in captions(at))


def test_where_the_network_looks_shows_methods_side_by_side_and_the_sanity_check(trained_shapes, tmp_path, monkeypatch):
    run, dataset = trained_shapes
    at = open_page("gradcam", run, dataset, tmp_path, monkeypatch)
    assert not at.error and at.title[0].value == "Where the network looks"
    shown = captions(at)
    for label in ("Grad-CAM", "Occlusion", "SmoothGrad", "Integrated Gradients"):
        assert any(text.startswith(f"{label} for") for text in shown), shown
    assert any("grey" in caption.value for caption in at.caption)  # occlusion's one sentence
    assert len(at.image) == 1 + 4 + 3 and not at.metric  # image, four methods, top 3: the check waits
    at.toggle(key="gradcam_sanity").set_value(True).run()
    assert len(at.image) == 1 + 4 + 2 + 3  # and the sanity pair
    assert at.metric[0].label == "Rank correlation (Spearman)" and -1 <= float(at.metric[0].value) <= 1
    at.multiselect(key="gradcam_methods").set_value(["gradcam_plus_plus", "score_cam"])
    at.selectbox(key="gradcam_class").select_index(2)
    at.selectbox(key="gradcam_sanity_method").set_value("occlusion").run()
    assert not at.exception and not at.error
    shown = captions(at)
    assert any(text.startswith(f"Grad-CAM++ for {run.display_names[1]}") for text in shown)
    assert any(text.startswith(f"Score-CAM for {run.display_names[1]}") for text in shown)
    assert len(at.image) == 1 + 2 + 2 + 3


def count_calls(monkeypatch, module, name: str, calls: list[str]) -> None:
    """Record each call of ``module.name`` (pages import it by name when they run)."""
    original = getattr(module, name)

    def counted(*args, **kwargs):
        calls.append(name)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)


def with_sanity_check(at: AppTest) -> AppTest:
    return at.toggle(key="gradcam_sanity").set_value(True).run()


def test_sessions_looking_at_the_same_saved_run_share_its_maps(small_shapes, tmp_path, monkeypatch):
    """A class on one saved run: the first session computes the maps, the next ones show the same maps."""
    st.cache_resource.clear()
    calls: list[str] = []
    count_calls(monkeypatch, saliency, "saliency_map", calls)
    count_calls(monkeypatch, sanity, "sanity_check", calls)
    run = tiny_model_run(small_shapes)
    config = replace(run.config, created="2026-12-03T08:00:00")
    saved = replace(run, path=tmp_path / "runs" / "student-0", config=config)
    first = with_sanity_check(open_page("gradcam", saved, small_shapes, tmp_path, monkeypatch))
    computed = list(calls)
    second = with_sanity_check(open_page("gradcam", saved, small_shapes, tmp_path, monkeypatch))
    assert "saliency_map" in computed and "sanity_check" in computed
    assert calls == computed, "the second session computed maps again"
    assert captions(second) == captions(first) and len(second.image) == len(first.image)


def test_filters_page_generates_patterns_with_their_gain(trained_shapes, tmp_path, monkeypatch):
    run, dataset = trained_shapes
    at = open_page("filters", run, dataset, tmp_path, monkeypatch)
    assert any("Press Generate" in info.value for info in at.info)
    at.slider(key="filters_count").set_value(4)
    at.slider(key="filters_steps").set_value(8)
    at.button(key="filters_go").click().run()
    assert not at.exception and not at.error
    shown = captions(at)
    assert len(shown) == 4 and all(text.startswith(f"#{i}: ") for i, text in enumerate(shown))
    assert all("×" in text or text.endswith("silent") for text in shown)
    at.selectbox(key="filters_class").set_value(2)
    at.button(key="filters_class_go").click().run()
    assert not at.exception and not at.error
    assert captions(at)[-1].startswith(f"{run.display_names[2]}: ") and len(at.image) == 5


@pytest.mark.parametrize("name", ["activations", "filters", "gradcam"])
def test_pages_without_a_model_say_so(name, trained_shapes, tmp_path, monkeypatch):
    at = open_page(name, None, trained_shapes[1], tmp_path, monkeypatch)
    assert any("No model yet" in info.value for info in at.info)


@pytest.mark.parametrize("name", ["filters", "gradcam"])
def test_a_model_without_conv_layers_gets_a_clear_message(name, trained_shapes, tmp_path, monkeypatch):
    dense = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Flatten(), keras.layers.Dense(4, activation="softmax")])
    run = Run(dense, replace(trained_shapes[0].config, name="dense only"))
    at = open_page(name, run, trained_shapes[1], tmp_path, monkeypatch)
    assert any("no" in error.value.lower() and "conv" in error.value.lower() for error in at.error)


@pytest.mark.parametrize(
    ("name", "title", "layer_label"),
    [("activations", "중간 활성화", "층"), ("filters", "필터 패턴", "Conv 층"), ("gradcam", "신경망이 보는 곳", "Conv 층")],
)
def test_pages_in_korean(name, title, layer_label, trained_shapes, tmp_path, monkeypatch):
    from cnnviz import i18n
    from app import language as _language

    monkeypatch.setattr(i18n, "_provider", _language.session_language)  # what streamlit_app.py installs
    run, dataset = trained_shapes
    at = open_page(name, run, dataset, tmp_path, monkeypatch, language="ko")
    assert at.title[0].value == title and not at.error
    layers = at.selectbox(key=f"{name}_layer")
    assert layers.label == layer_label
    assert any("(합성곱, " in option for option in layers.options)  # kind labels are translated keys
