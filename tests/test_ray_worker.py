"""The Ray backend with a real local Ray (2 CPUs): live progress, Stop and the saved run."""

from __future__ import annotations

import pytest
import ray

from cnnviz.runs.store import list_runs
from cnnviz.training.jobs import training_job
from cnnviz.training.train import TrainConfig
from cnnviz.training.worker import DONE
from tests.test_processes import LONG, wait_until



@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_a_training_on_ray_shows_live_progress_stops_and_is_saved(local_ray, small_shapes, tiny_run, tmp_path):
    from cnnviz.training.ray_worker import RayWorker

    worker = RayWorker(max_running=2)
    job_id = worker.submit("alice", training_job(tiny_run, small_shapes, LONG, tmp_path))
    wait_until(lambda: len(worker.progress(job_id).snapshot().batch_loss) >= 3, "live batch losses from Ray")
    assert worker.progress(job_id).snapshot().epochs == LONG.epochs
    worker.stop(job_id)
    info = worker.wait(job_id, timeout=300)
    assert info.state == DONE, info.error
    run = worker.result(job_id)
    assert run.config["status"] == "stopped" and run.path.parent == tmp_path
    assert [summary.path for summary in list_runs(tmp_path)] == [run.path]


def test_a_failing_training_on_ray_reports_its_message(local_ray, small_shapes, tiny_run, tmp_path):
    from cnnviz.training.ray_worker import RayWorker

    worker = RayWorker(max_running=1)
    job = training_job(tiny_run, small_shapes, TrainConfig(epochs=1), tmp_path)
    (job.request.staging / "base.keras").write_bytes(b"not a model")
    info = worker.wait(worker.submit("bob", job), timeout=300)
    assert info.state == "failed" and "not a .keras model" in info.error
