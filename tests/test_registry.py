"""One registry idiom (cnnviz/registry.py) for architectures, saliency methods, dataset sources and callbacks."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.data.dataset import DatasetSpec
from cnnviz.data.registry import SOURCES
from cnnviz.models.architectures import ARCHITECTURES
from cnnviz.registry import Registry
from cnnviz.runs.schema import TrainConfig
from cnnviz.training.callbacks import CALLBACKS, callback_specs
from tests.conftest import APPTEST_TIMEOUT_S, REPO_ROOT


@dataclass(frozen=True)
class Entry:
    key: str
    value: int = 0


def test_entries_keep_their_order_and_a_key_registered_twice_is_refused():
    registry: Registry[Entry] = Registry("example")
    registry.register(Entry("b", 1))

    @registry.entry(lambda function: Entry(function.__name__, function()))
    def a() -> int:
        return 2

    assert list(registry) == ["b", "a"] and registry["a"].value == 2 and a() == 2  # the function stays itself
    with pytest.raises(KeyError):
        registry.register(Entry("b"))
    assert "example registry: b, a" in repr(registry)


def test_the_library_registers_everything_the_same_way():
    from cnnviz.explain.saliency import METHODS

    assert all(isinstance(r, Registry) for r in (ARCHITECTURES, METHODS, SOURCES, CALLBACKS))
    assert [spec.name for spec in callback_specs(TrainConfig(early_stopping=True, reduce_lr=True))] == list(CALLBACKS)


@pytest.mark.parametrize("source", [key for key in SOURCES if key != "shapes"])
def test_the_data_page_draws_every_source_and_its_code_needs_no_chain(source, tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_CACHE", str(tmp_path / "cache"))
    at = AppTest.from_file(str(REPO_ROOT / "pages" / "data.py"), default_timeout=APPTEST_TIMEOUT_S)
    at.run()
    at.selectbox[0].set_value(source).run()
    assert not at.exception, at.exception
    settings, code = SOURCES[source].code(DatasetSpec(source=source, path=str(tmp_path / "missing")))
    assert "x_train" in code and all(name.isupper() for name in settings)  # every source ends with the splits


def test_every_source_loads_through_its_entry_with_progress(tmp_path):
    from PIL import Image

    from cnnviz.data.registry import load_dataset

    for name, colour in (("red", (255, 0, 0)), ("blue", (0, 0, 255))):
        (tmp_path / name).mkdir()
        for index in range(8):
            Image.new("RGB", (40, 40), colour).save(tmp_path / name / f"{index}.png")
    heard: list[int] = []
    dataset = load_dataset(DatasetSpec(source="folder", path=str(tmp_path), image_size=32),
                           progress=lambda done, total: heard.append(done))  # fmt: skip
    assert dataset.class_names == ["blue", "red"] and heard and heard[-1] == 16
