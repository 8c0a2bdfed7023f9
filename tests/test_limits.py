"""The server's limits and the checks made before work starts: settings, model configs, dataset sizes."""

from __future__ import annotations

import json
import zipfile

import pytest

from cnnviz.data.registry import SOURCES, DatasetSpec
from cnnviz.limits import LimitExceeded, limits
from cnnviz.models.config_check import ModelConfigRefused, check_model_config
from cnnviz.runs.schema import TrainConfig
from cnnviz.training.budget import check_training


def test_limits_come_from_the_environment_with_defaults_the_seeds_fit(monkeypatch):
    assert limits().dataset_bytes >= 26_179 * 150 * 150 * 3  # Animals-10, every image, at 150 px
    assert limits().batch_size >= 500 and limits().epochs >= 50 and limits().image_size >= 256
    monkeypatch.setenv("CNNVIZ_MAX_EPOCHS", "7")
    monkeypatch.setenv("CNNVIZ_MAX_JOB_MINUTES", "0.5")
    assert limits().epochs == 7 and limits().job_seconds == 30
    monkeypatch.setenv("CNNVIZ_MAX_EPOCHS", "lots")
    with pytest.raises(ValueError, match="CNNVIZ_MAX_EPOCHS"):
        limits()


@pytest.mark.parametrize("config", [
    TrainConfig(epochs=500), TrainConfig(batch_size=2048), TrainConfig(epochs=200, kfold=10),
    TrainConfig(search="random", search_trials=100), TrainConfig(search="random", search_minutes=10_000),
])  # fmt: skip
def test_jobs_over_the_limits_are_refused_at_start(config):
    with pytest.raises(LimitExceeded, match="this server allows at most"):
        check_training(config)


def test_the_seed_workflows_fit():
    check_training(TrainConfig(epochs=50, batch_size=500))
    check_training(TrainConfig(epochs=10, kfold=5))
    assert SOURCES["cifar10"].estimate(DatasetSpec(source="cifar10")) == 60_000 * 32 * 32 * 3
    assert SOURCES["shapes"].estimate(DatasetSpec(image_size=128, count=20_000)) == 20_000 * 128 * 128 * 3


def saved_config(model, tmp_path) -> dict:
    path = tmp_path / "model.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))


@pytest.mark.parametrize("name, shape", [("simple", (64, 64, 3)), ("animals10", (150, 150, 3)),
                                         ("weather_bn", (64, 64, 3)), ("fashion_bn", (28, 28, 1))])  # fmt: skip
def test_the_registrys_models_pass_the_upload_check_with_their_exact_parameter_count(name, shape, tmp_path):
    from cnnviz.models.architectures import build_model

    model = build_model(name, shape, 4, penalty="l2", penalty_strength=1e-4)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])  # compile_config is not built
    assert check_model_config(saved_config(model, tmp_path)) == model.count_params()


def test_lambda_custom_and_unknown_classes_are_refused_however_they_are_spelled(tmp_path):
    import keras

    inputs = keras.Input((4,))
    config = saved_config(keras.Model(inputs, keras.layers.Dense(2)(inputs)), tmp_path)
    dense = config["config"]["layers"][1]
    escaped = json.loads(json.dumps(config).replace('"Dense"', '"L\\u0061mbda"'))  # what a regex missed
    custom = json.loads(json.dumps(config))
    custom["config"]["layers"][1].update(module="evil", registered_name="evil>Dense")
    hidden = json.loads(json.dumps(config))
    hidden["config"]["layers"][1]["config"]["kernel_initializer"] = {"module": "os", "class_name": "system",
                                                                    "config": {}, "registered_name": None}
    for refused in (escaped, custom, hidden):
        with pytest.raises(ModelConfigRefused, match="not one of Keras' standard layers"):
            check_model_config(refused)
    dense.pop("build_config")
    with pytest.raises(ModelConfigRefused, match="does not say what its layer"):
        check_model_config(config)
