"""AppTest of the Predict page: uploads, bad files on their own cards, the webcam, no model."""

from __future__ import annotations

import gettext
import io
import json

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from app.language import LANGUAGE_KEY
from app.state import MODEL_KEY
from tests.conftest import APPTEST_TIMEOUT_S, REPO_ROOT
from tests.test_photo import encode, png_header_only
from tests.test_prediction import shoe_like, tiny_run

PAGE = str(REPO_ROOT / "pages" / "predict.py")


@pytest.fixture(scope="module")
def run():
    return tiny_run()


@pytest.fixture
def page(run, tmp_path, monkeypatch) -> AppTest:
    """The page with the tiny run as the session's current model and an empty runs folder."""
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(tmp_path / "runs"))
    at = AppTest.from_file(PAGE, default_timeout=APPTEST_TIMEOUT_S)
    at.session_state[MODEL_KEY] = run
    at.run()
    assert not at.exception
    return at


def image_captions(at: AppTest) -> list[str]:
    return [caption for image in at.image for caption in image.captions]


def animated_gif() -> bytes:
    frames = [Image.fromarray(np.full((32, 32), value, np.uint8)) for value in (0, 128, 255)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=80)
    return buffer.getvalue()


def test_one_uploaded_photo_gets_steps_chart_and_gradcam(page):
    assert any("Drop one or more photos" in info.value for info in page.info)
    page.file_uploader[0].set_value(("shoe.png", shoe_like(0), "image/png")).run()
    assert not page.exception and not page.error
    assert len(page.get("plotly_chart")) == 1
    assert not page.get("download_button")  # no gallery for a single file
    captions = image_captions(page)
    steps = ["original", "oriented", "cropped", "grayscale", "inverted", "background levelled", "resized", "model input"]
    assert captions[: len(steps)] == steps
    notes = [caption.value for caption in page.caption]
    assert "object fit" in notes and "28x28" in notes
    assert any(caption.startswith("Grad-CAM") for caption in captions)
    assert any("shoe.png" in markdown.value for markdown in page.markdown)
    page.selectbox(key="predict_method").set_value("occlusion").run()
    assert not page.exception and not page.error
    assert any(caption.startswith("Occlusion: where the model saw") for caption in image_captions(page))


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_each_bad_file_gets_its_own_message_and_the_good_ones_still_show(page):
    truncated = encode(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))[:3000]
    files = [
        ("good.png", shoe_like(1), "image/png"),
        ("empty.jpg", b"", "image/jpeg"),
        ("letter.jpg", b"Dear diary, not a photo.\n" * 20, "image/jpeg"),
        ("cut.png", truncated, "image/png"),
        ("dot.png", encode(np.zeros((1, 1, 3), np.uint8)), "image/png"),
        ("bomb.png", png_header_only(8000, 8000), "image/png"),
        ("moving.gif", animated_gif(), "image/gif"),
        ("good2.png", shoe_like(2), "image/png"),
    ]
    page.file_uploader[0].set_value(files).run()
    assert not page.exception
    errors = [error.value for error in page.error]
    expected = ["empty", "not an image", "truncated", "only 1x1 pixels", "too large"]
    assert len(errors) == len(expected)
    for phrase, message in zip(expected, errors):
        assert phrase in message
    assert any("3 frames" in warning.value for warning in page.warning)
    assert len(page.get("plotly_chart")) == 3  # good.png, moving.gif, good2.png
    assert page.get("download_button")[0].label.startswith("Download predictions")
    names = " ".join(markdown.value for markdown in page.markdown)
    assert all(name in names for name, _, _ in files)


def test_real_photos_and_awkward_files_go_through_the_page(page, shared_data):
    paths = sorted((shared_data / "photos").glob("shoe*")) + sorted((shared_data / "awkward").glob("*.webp"))
    page.file_uploader[0].set_value([(p.name, p.read_bytes(), "image/jpeg") for p in paths]).run()
    assert not page.exception and not page.error
    assert len(page.get("plotly_chart")) == len(paths)


def test_webcam_picture_is_predicted_like_an_upload(page):
    page.toggle(key="predict_webcam").set_value(True).run()
    jpeg = encode(np.full((48, 64, 3), 200, np.uint8), "JPEG")
    page.camera_input[0].set_value(("shot.jpg", jpeg, "image/jpeg")).run()
    assert not page.exception and not page.error
    assert any("webcam.jpg" in markdown.value for markdown in page.markdown)
    assert len(page.get("plotly_chart")) == 1


def test_switching_options_rerenders_without_errors(page):
    page.file_uploader[0].set_value(("shoe.png", shoe_like(3), "image/png")).run()
    page.radio(key="predict_fit").set_value("pad").run()
    page.checkbox(key="predict_cam").set_value(False).run()
    assert not page.exception and not page.error
    captions = image_captions(page)
    assert "pad fit" in [caption.value for caption in page.caption] and "background levelled" not in captions
    assert not any(caption.startswith("Grad-CAM") for caption in captions)


def test_without_a_model_the_page_explains_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(tmp_path / "empty"))
    at = AppTest.from_file(PAGE, default_timeout=APPTEST_TIMEOUT_S).run()
    assert not at.exception
    assert at.info and not at.get("file_uploader")


def test_a_saved_run_can_be_picked_and_used(run, tmp_path, monkeypatch):
    from cnnviz.runs.store import save_run

    save_run(run, tmp_path / "runs")
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(tmp_path / "runs"))
    at = AppTest.from_file(PAGE, default_timeout=APPTEST_TIMEOUT_S).run()
    assert not at.exception and "tiny" in at.selectbox(key="predict_model").options[0]
    at.file_uploader[0].set_value(("shoe.png", shoe_like(4), "image/png")).run()
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) == 1


def test_the_page_in_korean(run, tmp_path, monkeypatch):
    from cnnviz import i18n
    from app import language as _language

    monkeypatch.setattr(i18n, "_provider", _language.session_language)  # what streamlit_app.py installs
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(tmp_path / "runs"))
    at = AppTest.from_file(PAGE, default_timeout=APPTEST_TIMEOUT_S)
    at.session_state[LANGUAGE_KEY] = "ko"
    at.session_state[MODEL_KEY] = run
    at.run()
    assert at.title[0].value == "예측" and not at.exception
    with i18n.use_language("ko"):  # AppTest re-formats options in the test's thread
        at.file_uploader[0].set_value(("shoe.png", shoe_like(0), "image/png")).run()
    assert not at.exception and not at.error
    assert image_captions(at)[:4] == ["원본", "방향 보정", "잘라 냄", "흑백"]
    assert "객체 맞춤" in [caption.value for caption in at.caption]


class CatInKorean(gettext.NullTranslations):
    """A Korean catalog that knows one class name, so the test does not depend on the real one."""

    def gettext(self, message: str) -> str:
        return {"cat": "고양이"}.get(message, message)


def test_show_both_languages_names_each_class_in_korean_and_english(page, monkeypatch):
    from cnnviz import i18n

    catalogs = {"ko": CatInKorean()}
    monkeypatch.setattr(i18n, "translations", lambda code: catalogs.get(code, gettext.NullTranslations()))
    page.file_uploader[0].set_value(("shoe.png", shoe_like(1), "image/png")).run()
    bars = json.loads(page.get("plotly_chart")[0].proto.spec)["data"][0]["y"]
    assert "cat" in bars and "고양이 · cat" not in bars
    page.checkbox(key="predict_both_languages").set_value(True).run()
    assert not page.exception
    bars = json.loads(page.get("plotly_chart")[0].proto.spec)["data"][0]["y"]
    assert "고양이 · cat" in bars and "sneaker" in bars  # a name the catalog lacks stays as it is
