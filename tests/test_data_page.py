"""The app and its Data page, driven through Streamlit's AppTest."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.conftest import APPTEST_TIMEOUT_S, REPO_ROOT

DATA_PAGE = str(REPO_ROOT / "pages" / "data.py")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))


def data_page() -> AppTest:
    at = AppTest.from_file(DATA_PAGE, default_timeout=APPTEST_TIMEOUT_S)
    at.run()
    assert not at.exception
    return at


def choose_source(at: AppTest, source: str) -> None:
    at.selectbox[0].set_value(source).run()
    assert not at.exception


def test_data_page_in_korean_shows_korean_titles_and_class_names(in_korean):
    from cnnviz import i18n

    at = in_korean(AppTest.from_file(DATA_PAGE, default_timeout=APPTEST_TIMEOUT_S))
    at.run()
    assert not at.exception and not at.error
    assert at.title[0].value == "데이터" and at.button[0].label == "데이터셋 불러오기"
    captions = [image.captions[0] for image in at.image]
    assert captions == ["원", "사각형", "삼각형", "별"]
    with i18n.use_language("ko"):  # AppTest calls the widgets' format_func in this thread, outside the session
        at.toggle(key="data_both_languages").set_value(True).run()
    assert [image.captions[0] for image in at.image][0] == "원 · circle"
    assert not at.exception


def test_app_starts_on_the_data_page_with_shapes():
    at = AppTest.from_file(str(REPO_ROOT / "streamlit_app.py"), default_timeout=APPTEST_TIMEOUT_S)
    at.run()
    assert not at.exception and not at.error
    assert at.title[0].value == "Data" and at.subheader[0].value == "Shapes"
    assert len(at.get("plotly_chart")) == 1
    assert len(at.get("image")) == 4  # one row of samples per shape class
    assert any("Shapes" in m.value for m in at.sidebar.markdown)


def test_weather_flat_folder_loads_with_suggested_keywords(shared_data):
    at = data_page()
    choose_source(at, "flat_folder")
    at.text_input[0].set_value(str(shared_data / "weather_small")).run()
    assert at.text_input[1].value == "cloudy, rain, shine, sunrise"
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert at.subheader[0].value == "weather_small" and at.metric[0].value == "4"


def test_sidebar_shows_the_loaded_dataset_at_once(shared_data):
    at = AppTest.from_file(str(REPO_ROOT / "streamlit_app.py"), default_timeout=APPTEST_TIMEOUT_S)
    at.run()
    choose_source(at, "flat_folder")
    at.text_input[0].set_value(str(shared_data / "weather_small")).run()
    at.button[0].click().run()
    assert not at.exception and not at.error
    sidebar = " ".join(m.value for m in at.sidebar.markdown)
    assert "weather_small" in sidebar and "Shapes" not in sidebar


def test_zip_upload_loads_and_lists_a_corrupt_file():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, colour in (("red", (250, 0, 0)), ("blue", (0, 0, 250))):
            for i in range(6):
                image = io.BytesIO()
                Image.new("RGB", (20, 20), colour).save(image, "PNG")
                archive.writestr(f"colours/{name}/{i}.png", image.getvalue())
        archive.writestr("colours/red/broken.jpg", b"not really a jpeg")
    at = data_page()
    choose_source(at, "zip")
    at.get("file_uploader")[0].set_value(("colours.zip", buffer.getvalue(), "application/zip")).run()
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert at.subheader[0].value == "colours"
    assert any("1 file was skipped" in e.label for e in at.expander)


def test_failed_download_is_a_plain_message(monkeypatch):
    import cnnviz.data.keras_datasets as keras_datasets

    def no_network(source):
        raise keras_datasets.DownloadFailed(f"MNIST could not be downloaded; put mnist.npz into {keras_datasets.keras_cache_dir()}")

    monkeypatch.setattr(keras_datasets, "_download", no_network)
    at = data_page()
    choose_source(at, "mnist")
    at.button[0].click().run()
    assert not at.exception
    assert "could not be downloaded" in at.error[0].value and "keras" in at.error[0].value
    assert at.subheader[0].value == "Shapes"  # the previous dataset stays
