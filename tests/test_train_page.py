"""The Train page in Streamlit's AppTest: a tiny training starts, finishes and is adopted."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.data.dataset import DatasetSpec
from cnnviz.data.registry import load_dataset
from cnnviz.runs.schema import model_config
from cnnviz.runs.store import Run, list_runs
from cnnviz.training.backends import get_worker
from cnnviz.training.worker import DONE
from tests.conftest import APPTEST_TIMEOUT_S, REPO_ROOT, tiny_model_run

PAGE = str(REPO_ROOT / "pages" / "train.py")
TRAINING_TIMEOUT_S = 600  # generous: the machine may be loaded, and the wait ends when the training does


@pytest.fixture(scope="module")
def tiny_shapes():
    spec = DatasetSpec(source="shapes", image_size=32, count=80)
    return spec, load_dataset(spec)


def page_with(dataset_and_spec, tmp_path, monkeypatch) -> AppTest:
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(tmp_path))
    _, dataset = dataset_and_spec
    at = AppTest.from_file(PAGE, default_timeout=APPTEST_TIMEOUT_S)
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
    assert not at.error and any("Stop" in b.label for b in at.button), "the training is under way"
    job = get_worker().wait(at.session_state["cnnviz_train_job"], timeout=TRAINING_TIMEOUT_S)
    assert job.state == DONE, job.error
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
    config = replace(
        model_config("mnist_dlwp", {}, tiny_shapes[1]), name="mnist model", input_shape=(28, 28, 1),
        display_names=[str(i) for i in range(10)],
    )
    at.session_state["cnnviz_model"] = Run(None, config)  # type: ignore[arg-type]
    at.run()
    assert not at.exception
    assert "takes 28x28x1 images" in at.error[0].value
    assert not any("Start training" in b.label for b in at.button)


def test_a_second_start_replaces_the_waiting_training_and_the_queue_is_shown(tiny_shapes, tmp_path, monkeypatch):
    import threading

    from cnnviz.training import backends as worker_module
    from cnnviz.training.worker import CANCELLED, QUEUED, Job, ThreadWorker

    worker, gate = ThreadWorker(max_running=1), threading.Event()
    monkeypatch.setattr(worker_module, "_WORKER", worker)
    theirs = SimpleNamespace(run=lambda progress, stop: gate.wait())  # a request: anything with run()
    busy = worker.submit("another student", Job(theirs, label="theirs"))
    at = page_with(tiny_shapes, tmp_path, monkeypatch)
    at.run()
    next(t for t in at.text_input if t.label == "Run name").set_value("first try")
    next(b for b in at.button if "Start training" in b.label).click().run()
    first = at.session_state["cnnviz_train_job"]
    assert worker.info(first).state == QUEUED
    assert any("number 1 in the queue" in i.value for i in at.info), [i.value for i in at.info]
    next(t for t in at.text_input if t.label == "Run name").set_value("second try")
    next(b for b in at.button if "Start training" in b.label).click().run()
    second = at.session_state["cnnviz_train_job"]
    assert worker.info(first).state == CANCELLED and worker.info(second).state == QUEUED
    assert any("'first try' was replaced" in i.value for i in at.info), [i.value for i in at.info]
    assert not at.exception
    worker.stop(second)
    gate.set()
    worker.wait(busy, timeout=60)
    assert not list(tmp_path.glob(".staging-*")), "cancelled trainings leave no staging folder"


def test_a_finished_training_becomes_the_current_model_on_any_page(tiny_shapes, tmp_path, monkeypatch):
    """A student who left the Train page while training finds their trained model on the next page."""
    from cnnviz.training import backends as worker_module
    from cnnviz.training.progress import TrainingProgress
    from cnnviz.training.worker import Job, ThreadWorker

    worker = ThreadWorker(max_running=1)
    monkeypatch.setattr(worker_module, "_WORKER", worker)
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(tmp_path))
    untrained = tiny_model_run(tiny_shapes[1])
    trained = replace(untrained, config=replace(untrained.config, name="mine"))
    mine = SimpleNamespace(run=lambda progress, stop: trained)
    job_id = worker.submit("student", Job(mine, TrainingProgress(), label="mine"))
    worker.wait(job_id, timeout=60)
    at = AppTest.from_file(str(REPO_ROOT / "streamlit_app.py"), default_timeout=APPTEST_TIMEOUT_S)
    at.session_state["cnnviz_owner"], at.session_state["cnnviz_train_job"] = "student", job_id
    at.run()  # the Data page, the default
    assert not at.exception, at.exception
    assert at.session_state["cnnviz_model"] is trained
    assert any("**mine**" in m.value for m in at.sidebar.markdown)
