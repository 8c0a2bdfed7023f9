"""Training requests handed to another process: small lines whatever the dataset, the dataset mapped there."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cnnviz.data.cache import cache_root
from cnnviz.training.jobs import decode_request, encode_request, training_job
from cnnviz.training.kfold import KFoldRequest, kfold_job
from cnnviz.training.train import TrainConfig


def test_a_request_carries_its_dataset_by_reference(small_shapes, tiny_run, tmp_path):
    job = training_job(tiny_run, small_shapes, TrainConfig(epochs=1, name="by reference"), tmp_path)
    line = encode_request(job.request)
    assert "\n" not in line and len(line) < small_shapes.train.x.nbytes / 20
    decoded = decode_request(line)
    assert isinstance(decoded.dataset.train.x, np.memmap) and not decoded.dataset.train.x.flags.writeable
    np.testing.assert_array_equal(decoded.dataset.test.x, small_shapes.test.x)
    assert (decoded.config, decoded.staging, decoded.base_config) == (job.request.config, job.request.staging,
                                                                      job.request.base_config)  # fmt: skip
    assert decoded.dataset.display_names == small_shapes.display_names
    [entry] = cache_root(tmp_path).glob("data-*")
    assert Path(decoded.dataset.train.x.filename).parent == entry, "mapped from the one entry of the dataset"


def test_a_group_request_keeps_its_kind(small_shapes, tiny_run, tmp_path):
    job = kfold_job(tiny_run, small_shapes, TrainConfig(epochs=1, kfold=2), tmp_path)
    decoded = decode_request(encode_request(job.request))
    assert type(decoded) is KFoldRequest and decoded.config.kfold == 2
