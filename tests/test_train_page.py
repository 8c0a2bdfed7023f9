"""The Train page in Streamlit's AppTest: a tiny training starts, finishes and is adopted."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.data.registry import DatasetSpec, load_dataset
from cnnviz.runs.store import Run, list_runs
from cnnviz.training.worker import DONE, get_worker
from tests.conftest import APPTEST_TIMEOUT_S, REPO_ROOT, tiny_model_run

PAGE = str(REPO_ROOT / "pages" / "train.py")
TRAINING_TIMEOUT_S = 600  # generous: the machine may be loaded, and the wait ends when the training does


@pytest.fixture(scope="module")
def tiny_shapes():
    spec = DatasetSpec(source="shapes", image_size=32, count=80)
    return spec, load_dataset(spec)


def page_with(dataset_and_spec, tmp_path, monkeypatch) -> AppTest:
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(tmp_path))
    spec, dataset = dataset_and_spec
    at = AppTest.from_file(PAGE, default_timeout=APPTEST_TIMEOUT_S)
    at.session_state["cnnviz_dataset_spec"] = spec
    at.session_state["cnnviz_dataset"] = dataset
    return at


def test_a_tiny_training_runs_to_the_end(tiny_shapes, tmp_path, monkeypatch):
    at = page_with(tiny_shapes, tmp_path, monkeypatch)
    at.session_state["cnnviz_model"] = tiny_model_run(tiny_shapes[1])
    at.run()
    assert not at.exception
    next(n for n in at.number_input if n.label == "Epochs").set_value(1)
    next(n for n in at.number_input if n.label == "Batch size").set_value(4)  # divides 56/12/12
    next(t for t in at.text_input if t.label == "Run name").set_value("page test")
    next(b for b in at.button if "Start training" in b.label).click()
    at.run()
    assert not at.exception
    assert get_worker().wait(at.session_state["cnnviz_train_job"], timeout=TRAINING_TIMEOUT_S).state == DONE
    at.run()
    assert not at.exception, at.exception
    assert [m.label for m in at.metric] == ["Test accuracy", "Test loss", "Epochs run"]
    assert at.metric[2].value == "1"
    model = at.session_state["cnnviz_model"]
    assert isinstance(model, Run) and model.label == "page test" and model.path.parent == tmp_path
    assert [s.name for s in list_runs(tmp_path)] == ["page test"]
    assert any("Misclassified test images" in h.value for h in at.subheader)


def test_a_model_that_does_not_fit_the_dataset_is_explained(tiny_shapes, tmp_path, monkeypatch):
    at = page_with(tiny_shapes, tmp_path, monkeypatch)
    config = {"name": "mnist model", "input_shape": [28, 28, 1], "display_names": [str(i) for i in range(10)],
              "architecture": {"name": "mnist_dlwp", "options": {}}}
    at.session_state["cnnviz_model"] = Run(None, config)  # type: ignore[arg-type]
    at.run()
    assert not at.exception
    assert "takes 28x28x1 images" in at.error[0].value
    assert not any("Start training" in b.label for b in at.button)
