"""The Ray backend with a real local Ray (2 CPUs): live progress, Stop and the saved run."""

from __future__ import annotations

import pytest
import ray

from cnnviz.training.jobs import training_job
from cnnviz.training.train import TrainConfig
from tests.test_processes import follow_stop_and_check_saved


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_a_training_on_ray_shows_live_progress_stops_and_is_saved(local_ray, small_shapes, tiny_run, tmp_path):
    from cnnviz.training.ray_worker import RayWorker

    follow_stop_and_check_saved(RayWorker(max_running=2), small_shapes, tiny_run, tmp_path)


def test_a_failing_training_on_ray_reports_its_message(local_ray, small_shapes, tiny_run, tmp_path):
    from cnnviz.training.ray_worker import RayWorker

    worker = RayWorker(max_running=1)
    job = training_job(tiny_run, small_shapes, TrainConfig(epochs=1), tmp_path)
    (job.request.staging / "base.keras").write_bytes(b"not a model")
    info = worker.wait(worker.submit("bob", job), timeout=300)
    assert info.state == "failed" and "not a .keras model" in info.error
