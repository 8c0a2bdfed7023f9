"""The Augment page through AppTest: presets, grid size, re-roll, strips, code, bad uploads."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.data.augmentation import PRESETS, TRANSFORMS, AugmentConfig
from tests.conftest import APPTEST_TIMEOUT_S, REPO_ROOT

AUGMENT_PAGE = str(REPO_ROOT / "pages" / "augment.py")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def page() -> AppTest:
    """The page on the default Shapes dataset, run once and shared by the tests in order."""
    at = AppTest.from_file(AUGMENT_PAGE, default_timeout=APPTEST_TIMEOUT_S)
    at.run()
    assert not at.exception and not at.error
    return at


def images_shown(at: AppTest) -> int:
    return sum(len(element.value) for element in at.get("image"))


def grid_captions(at: AppTest) -> list[str]:
    return at.get("image")[1].captions


def test_page_shows_original_grid_strips_and_code(page):
    assert page.title[0].value == "Augment"
    assert page.session_state["cnnviz_augmentation"] == AugmentConfig()
    strips = 5 * 7 + 2 * 2  # seven transforms at five strengths, two flips as is / flipped
    assert images_shown(page) == 1 + 16 + strips
    assert "keras.layers.Identity()" in page.code[0].value
    assert [s.value for s in page.subheader] == ["Each transform alone", "As Keras code"]
    assert len(TRANSFORMS) == 9


def test_preset_button_sets_every_widget_and_the_session_config(page):
    page.button(key="augment_preset_weather").click().run()
    assert not page.exception
    assert page.session_state["cnnviz_augmentation"] == PRESETS["weather"]
    assert page.slider(key="augment_rotation_degrees").value == 20
    assert page.slider(key="augment_brightness").value == (0.5, 1.5)
    assert page.checkbox(key="augment_horizontal_flip").value
    assert "RandomRotation(factor=20 / 360, fill_mode='nearest')" in page.code[0].value


def test_widgets_change_the_config_and_the_grid_size(page):
    page.checkbox(key="augment_vertical_flip").check()
    page.slider(key="augment_contrast").set_value(0.3)
    page.select_slider(key="augment_n").set_value(4).run()
    assert not page.exception
    config = page.session_state["cnnviz_augmentation"]
    assert config.vertical_flip and config.contrast == 0.3 and config.zoom == 0.2
    assert images_shown(page) == 1 + 4 + 5 * 7 + 2 * 2
    assert "RandomContrast(factor=0.3, value_range=(0, 1))" in page.code[0].value


def test_reroll_changes_the_seed_and_captions(page):
    before = page.session_state["augment_seed"] if "augment_seed" in page.session_state else 0
    grid_before = page.get("image")[1].value
    page.button(key="augment_reroll").click().run()
    assert not page.exception
    assert page.session_state["augment_seed"] == before + 1
    assert grid_captions(page)[0] == f"seed {before + 1}, #0"
    assert page.get("image")[1].value != grid_before, "a new seed shows new images"


def test_page_comes_back_with_the_session_config():
    at = AppTest.from_file(AUGMENT_PAGE, default_timeout=APPTEST_TIMEOUT_S)
    at.session_state["cnnviz_augmentation"] = PRESETS["dlwp"]
    at.run()
    assert not at.exception
    assert at.slider(key="augment_rotation_degrees").value == 40
    assert at.selectbox(key="augment_fill_mode").value == "nearest"
    assert at.session_state["cnnviz_augmentation"] == PRESETS["dlwp"]


def test_grayscale_dataset_image_is_shown():
    from cnnviz.data.dataset import DatasetSpec
    from cnnviz.data.registry import load_dataset

    spec = DatasetSpec(source="shapes", image_size=32, count=200, color_mode="grayscale")
    at = AppTest.from_file(AUGMENT_PAGE, default_timeout=APPTEST_TIMEOUT_S)
    at.session_state["cnnviz_dataset"] = load_dataset(spec)
    at.session_state["cnnviz_augmentation"] = AugmentConfig(rotation_degrees=10, brightness=(0.8, 1.2))
    at.run()
    assert not at.exception and not at.error
    assert images_shown(at) == 1 + 16 + 5 * 7 + 2 * 2
    assert np.isclose(at.session_state["cnnviz_augmentation"].rotation_degrees, 10)


def test_uploaded_photo_is_augmented_and_a_broken_one_explained(shared_data):
    at = AppTest.from_file(AUGMENT_PAGE, default_timeout=APPTEST_TIMEOUT_S)
    at.run()
    at.radio(key="augment_src").set_value("upload").run()
    photo = next(shared_data.glob("cats_dogs_small/cats/*.jpg"))
    at.get("file_uploader")[0].set_value((photo.name, photo.read_bytes(), "image/jpeg")).run()
    assert not at.exception and not at.error
    assert at.get("image")[0].captions == [f"Original: {photo.name}"]
    assert images_shown(at) == 1 + 16 + 5 * 7 + 2 * 2
    at.get("file_uploader")[0].set_value(("broken.jpg", b"not an image", "image/jpeg")).run()
    assert not at.exception
    assert "broken.jpg" in at.error[0].value
    assert images_shown(at) == 0


def test_page_opens_from_the_app_navigation():
    at = AppTest.from_file(str(REPO_ROOT / "streamlit_app.py"), default_timeout=APPTEST_TIMEOUT_S)
    at.run()
    at.switch_page("pages/augment.py").run()
    assert not at.exception and not at.error
    assert at.title[0].value == "Augment"


def test_augment_page_in_korean(in_korean):
    at = in_korean(AppTest.from_file(AUGMENT_PAGE, default_timeout=APPTEST_TIMEOUT_S))
    at.run()
    assert not at.exception and not at.error
    assert at.title[0].value == "증강"
    assert "회전" in [caption.value for caption in at.caption]
    assert [button.label for button in at.button][:3] == ["없음", "날씨", "Deep Learning with Python"]
