"""The Overfitting lab page and the Model page's weight penalty in AppTest."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.data.dataset import DatasetSpec
from cnnviz.data.registry import load_dataset
from cnnviz.training import backends
from cnnviz.training.groups import KFOLD, group_members
from cnnviz.training.kfold import HOLDOUT, pool_of, summarize_folds
from cnnviz.training.worker import DONE, ThreadWorker
from app import jobs
from tests.conftest import APPTEST_TIMEOUT_S, REPO_ROOT, tiny_model_run

TRAINING_TIMEOUT_S = 600  # generous: the machine may be loaded, and the wait ends when the trainings do


@pytest.fixture(scope="module")
def lab_shapes():
    return load_dataset(DatasetSpec(source="shapes", image_size=32, count=80))


def page(name: str, dataset, tmp_path, monkeypatch) -> AppTest:
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(tmp_path))
    at = AppTest.from_file(str(REPO_ROOT / "pages" / name), default_timeout=APPTEST_TIMEOUT_S)
    at.session_state["cnnviz_dataset"] = dataset
    return at


def test_a_kfold_from_the_lab_goes_through_the_queue_and_shows_the_folds_beside_the_hold_out(
    lab_shapes, tmp_path, monkeypatch
):
    worker = ThreadWorker(max_running=1)  # the queue under test; the training backend is not
    monkeypatch.setattr(backends, "get_worker", lambda: worker)
    monkeypatch.setattr(jobs, "get_worker", lambda: worker)
    at = page("lab.py", lab_shapes, tmp_path, monkeypatch)
    at.session_state["cnnviz_model"] = tiny_model_run(lab_shapes)
    at.run()
    assert not at.exception
    assert [t.label for t in at.tabs] == ["K-fold validation", "Overfit, then fix it", "Hyper-parameter search"]
    assert any(b.label == "▶ Train the 5 variants" for b in at.button)
    assert any(b.label == "▶ Start the search" for b in at.button)
    next(n for n in at.number_input if n.key == "lab_epochs").set_value(1)
    next(n for n in at.number_input if n.key == "lab_batch_size").set_value(16)
    next(s for s in at.slider if s.key == "lab_k").set_value(2)
    at.run()
    next(b for b in at.button if b.key == "lab_start_kfold").click()
    at.run()
    assert not at.exception and not at.error
    job_id, kind, group = at.session_state["cnnviz_lab_job"]
    assert kind == KFOLD
    assert worker.wait(job_id, timeout=TRAINING_TIMEOUT_S).state == DONE
    at.run()
    assert not at.exception, at.exception

    members = group_members(tmp_path, group)  # one group of runs: the folds, then the hold-out
    assert [m.key for m in members] == ["1", "2", HOLDOUT]
    assert not list(tmp_path.glob(".staging-*"))  # the job's own folder is gone
    folds, pool = members[:2], len(pool_of(lab_shapes))
    assert sum(m.config.dataset.sizes["val"] for m in folds) == pool
    assert all(m.config.dataset.sizes["train"] + m.config.dataset.sizes["val"] == pool for m in folds)
    assert members[2].config.dataset.sizes == {name: len(s) for name, s in lab_shapes.splits().items()}
    summary = summarize_folds([m.history for m in folds])
    assert summary.final_mean == pytest.approx(sum(m.history[-1]["val_accuracy"] for m in folds) / 2)

    labels = [m.label for m in at.metric]
    assert labels == ["K-fold validation accuracy (last epoch)", "Hold-out validation accuracy"]
    assert at.metric[0].value == f"{100 * summary.final_mean:.1f}% ± {100 * summary.final_std:.1f}"


def test_the_model_page_puts_a_penalty_on_a_registry_architecture_and_its_table_says_so(
    lab_shapes, tmp_path, monkeypatch
):
    at = page("model.py", lab_shapes, tmp_path, monkeypatch)
    at.run()
    at.selectbox(key="model_penalty").set_value("l2")
    at.run()
    assert not at.exception
    table = at.dataframe[0].value
    penalised = table[table["type"].isin(["Conv2D", "Dense"])]
    assert len(penalised) and (penalised["penalty"] == "L2 (0.0001)").all()
    assert (table[~table["type"].isin(["Conv2D", "Dense"])]["penalty"] == "").all()
