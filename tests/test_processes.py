"""Trainings in warm spawned processes: live progress, Stop, a killed process, a server restart, the next job."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cnnviz.data.cache import CACHE_FOLDER
from cnnviz.i18n import use_language
from cnnviz.limits import limits
from cnnviz.runs import loaded
from cnnviz.runs.store import CHECKPOINT_FILE, list_runs, load_run, read_history
from cnnviz.training.child import NICENESS
from cnnviz.training.jobs import JOB_FILE, recover_interrupted, training_job
from cnnviz.training.processes import ProcessWorker
from cnnviz.training.train import TrainConfig
from cnnviz.training.worker import DONE, FAILED
from tests.conftest import REPO_ROOT

LONG = TrainConfig(epochs=limits().epochs, batch_size=8, name="long")  # ended by the test, never by itself
RUN_FILES = {"model.keras", "config.json", "history.csv", "metrics.json", CHECKPOINT_FILE, JOB_FILE, "progress.json", "STOP"}


@pytest.fixture
def worker() -> Iterator[ProcessWorker]:
    """A one-slot ProcessWorker whose idle training process goes when the test ends."""
    worker = ProcessWorker(max_running=1)
    yield worker
    worker.close()


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 300) -> None:
    """Poll ``condition`` until it holds; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def checkpointed(staging: Path) -> bool:
    """The first epoch has ended: its checkpoint and its history row are on disk."""
    return (staging / CHECKPOINT_FILE).is_file() and len(read_history(staging)) >= 1


def follow_stop_and_check_saved(worker, small_shapes, tiny_run, runs_dir: Path) -> None:
    """A long training shows live batches; Stop ends it and it is saved as a "stopped" run."""
    job_id = worker.submit("alice", training_job(tiny_run, small_shapes, LONG, runs_dir))
    wait_until(lambda: len(worker.progress(job_id).snapshot().batch_loss) >= 3, "live batch losses")
    snapshot = worker.progress(job_id).snapshot()
    assert snapshot.phase == "training" and snapshot.epochs == LONG.epochs and snapshot.batches == 35
    worker.stop(job_id)
    info = worker.wait(job_id, timeout=300)
    assert info.state == DONE, info.error
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loaded, "load_run", None)  # the sidebar's status line loads no model
        assert worker.result_config(job_id).status == "stopped"
    run = worker.result(job_id)
    assert run.config.status == "stopped" and run.path.parent == runs_dir
    assert [summary.path for summary in list_runs(runs_dir)] == [run.path]
    assert not list(runs_dir.glob(".staging-*"))
    assert {path.name for path in run.path.iterdir()} <= RUN_FILES, "no dataset, request or base model copy"
    assert len(list((runs_dir / CACHE_FOLDER).glob("data-*"))) == 1, "the dataset is stored once, beside the runs"


def test_progress_comes_from_the_process_and_stop_saves_the_run(worker, small_shapes, tiny_run, tmp_path):
    follow_stop_and_check_saved(worker, small_shapes, tiny_run, tmp_path)


def test_a_training_process_yields_the_cpu_to_the_server(worker, small_shapes, tiny_run, tmp_path):
    job = training_job(tiny_run, small_shapes, LONG, tmp_path)
    job_id = worker.submit("carol", job)
    wait_until(lambda: len(worker.progress(job_id).snapshot().batch_loss) >= 1, "a live batch loss")
    training = os.getpriority(os.PRIO_PROCESS, worker.process_id(job_id))
    assert training == min(19, os.getpriority(os.PRIO_PROCESS, 0) + NICENESS)
    worker.stop(job_id)
    assert worker.wait(job_id, timeout=300).state == DONE


def test_a_killed_training_process_leaves_a_failed_run_with_its_checkpoint(
    worker, small_shapes, tiny_run, tmp_path
):
    job = training_job(tiny_run, small_shapes, LONG, tmp_path)
    job_id = worker.submit("bob", job)
    wait_until(lambda: checkpointed(job.request.staging), "the first checkpoint")
    os.kill(worker.process_id(job_id), signal.SIGKILL)
    info = worker.wait(job_id, timeout=120)
    assert info.state == FAILED and "ended unexpectedly" in str(info.error) and "checkpoint is saved" in str(info.error)
    with use_language("ko"):  # made in the watching thread, read by a Korean session: Korean
        assert "체크포인트" in str(info.error) and "ended unexpectedly" not in str(info.error)
    [summary] = list_runs(tmp_path)
    assert summary.status == "failed" and summary.epochs >= 1
    run = load_run(summary.path)
    assert run.model.output_shape[-1] == small_shapes.num_classes and len(run.history) >= 1
    after = worker.submit("bob", training_job(tiny_run, small_shapes, TrainConfig(epochs=1, batch_size=8), tmp_path))
    assert worker.wait(after, timeout=300).state == DONE, "the worker carries on after a crash, in a fresh process"


def trainer_pid(run_path: Path) -> int:
    """The pid of the process that trained a saved run (job.json stays in its folder)."""
    return json.loads((run_path / JOB_FILE).read_text(encoding="utf-8"))["pid"]


def test_the_next_training_finds_the_process_warm_and_trains_as_a_fresh_one(worker, small_shapes, tiny_run, tmp_path):
    config = TrainConfig(epochs=1, batch_size=8, seed=3)
    runs = []
    for owner in ("dana", "eve"):
        job_id = worker.submit(owner, training_job(tiny_run, small_shapes, config, tmp_path))
        assert worker.wait(job_id, timeout=300).state == DONE
        runs.append(worker.result(job_id))
    first, second = runs
    assert trainer_pid(first.path) == trainer_pid(second.path) != os.getpid(), "one warm process trained both"
    assert second.history == pytest.approx(first.history, rel=1e-4), "Keras' state was cleared between the jobs"


SERVER = """
import sys
from pathlib import Path
from cnnviz.data.dataset import DatasetSpec
from cnnviz.data.registry import load_dataset
from cnnviz.limits import limits
from cnnviz.training.jobs import training_job
from cnnviz.training.processes import ProcessWorker
from cnnviz.training.train import TrainConfig
from tests.conftest import tiny_model_run

if __name__ == "__main__":
    dataset = load_dataset(DatasetSpec(source="shapes", image_size=32, count=400))
    long = TrainConfig(epochs=limits().epochs, batch_size=8)  # ended by the test, never by itself
    job = training_job(tiny_model_run(dataset), dataset, long, Path(sys.argv[1]))
    worker = ProcessWorker(max_running=1)
    worker.wait(worker.submit("carol", job))
"""


def test_a_server_restart_during_training_keeps_it_as_an_interrupted_run(tmp_path):
    runs = tmp_path / "runs"
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(runs)], cwd=REPO_ROOT, start_new_session=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )  # fmt: skip
    try:
        wait_until(lambda: any(checkpointed(s) for s in runs.glob(".staging-*")), "the first checkpoint")
    finally:
        os.killpg(server.pid, signal.SIGKILL)  # the server and its training process die at once
        server.wait()
    [recovered] = recover_interrupted(runs)
    assert recovered.config.status == "interrupted" and len(recovered.history) >= 1
    [summary] = list_runs(runs)
    assert summary.path == recovered.path and summary.status == "interrupted"
    assert not list(runs.glob(".staging-*"))
    assert recover_interrupted(runs) == []


def test_recovery_leaves_a_living_trainers_folder_alone(small_shapes, tmp_path):
    job = training_job(None, small_shapes, LONG, tmp_path)  # job.json names this (living) process
    assert recover_interrupted(tmp_path) == []
    assert job.request.staging.is_dir()
