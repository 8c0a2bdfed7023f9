"""Weight penalties: L1/L2 on conv and dense kernels of any model, and the data loss beside the total."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.models.architectures import build_model
from cnnviz.models.info import summary_rows
from cnnviz.models.regularization import (
    DATA_LOSS, L1, L1_L2, L2, NONE, WeightPenalty, layer_penalty, with_head_dropout, with_penalty,
)  # fmt: skip
from cnnviz.runs.schema import TrainConfig
from cnnviz.training.train import compile_model
from tests.conftest import TINY_OPTIONS


def kernel_sums(model) -> tuple[float, float]:
    """(sum of |w|, sum of w²) over every conv and dense kernel."""
    kernels = [layer.kernel.numpy() for layer in model.layers if type(layer).__name__ in ("Conv2D", "Dense")]
    return float(sum(np.abs(k).sum() for k in kernels)), float(sum((k**2).sum() for k in kernels))


@pytest.fixture(scope="module")
def plain_model(small_shapes):
    return build_model("custom", small_shapes.image_shape, small_shapes.num_classes, **TINY_OPTIONS)


@pytest.mark.parametrize("kind", [L1, L2, L1_L2])
def test_a_penalty_adds_exactly_its_term_to_the_loss_on_a_fixed_batch(small_shapes, plain_model, kind):
    strength = 0.01
    penalised = with_penalty(plain_model, WeightPenalty(kind, strength))
    x, y = small_shapes.test.x[:16].astype("float32") / 255.0, small_shapes.test.y[:16]
    config = TrainConfig()
    compile_model(plain_model, config)
    compile_model(penalised, config)
    plain = plain_model.test_on_batch(x, y, return_dict=True)
    total = penalised.test_on_batch(x, y, return_dict=True)
    l1, l2 = kernel_sums(plain_model)
    expected = strength * {L1: l1, L2: l2, L1_L2: l1 + l2}[kind]
    assert total["loss"] - plain["loss"] == pytest.approx(expected, rel=1e-3)
    assert total[DATA_LOSS] == pytest.approx(plain["loss"], rel=1e-5)  # the data loss leaves the penalty out
    assert DATA_LOSS not in plain  # no penalty, no separate data loss


def test_every_conv_and_dense_kernel_of_a_registry_model_carries_the_penalty_and_the_table_says_so():
    model = build_model("weather_bn", (64, 64, 3), 4, penalty=L2, penalty_strength=1e-4)
    rows = summary_rows(model)
    kernels = [row for row in rows if row["type"] in ("Conv2D", "Dense")]
    assert kernels and all(row["penalty"] == "L2 (0.0001)" for row in kernels)
    assert all(row["penalty"] == "" for row in rows if row["type"] not in ("Conv2D", "Dense"))
    assert len(model.losses) == len(kernels)


def test_a_penalty_copy_keeps_the_weights_and_none_removes_it(plain_model):
    penalised = with_penalty(plain_model, WeightPenalty(L1, 0.5))
    for before, after in zip(plain_model.get_weights(), penalised.get_weights()):
        np.testing.assert_array_equal(before, after)
    assert layer_penalty(penalised.get_layer("block1_conv")) == "L1 (0.5)"
    assert not with_penalty(penalised, WeightPenalty(NONE, 0.0)).losses


def test_dropout_goes_in_before_the_classifier_of_any_model(plain_model):
    model = with_head_dropout(plain_model, 0.5)
    names = [layer.name for layer in model.layers]
    assert names[-2:] == ["head_dropout", "predictions"]
    assert model.count_params() == plain_model.count_params()


def test_bad_penalties_are_refused_with_a_message():
    with pytest.raises(ValueError, match="weight penalty"):
        WeightPenalty("l3", 0.1)
    with pytest.raises(ValueError, match="strength"):
        WeightPenalty(L2, -1.0)


def test_the_loss_chart_shows_the_data_loss_beside_the_total_only_when_there_is_one():
    from cnnviz.charts import training_curves

    plain = [{"loss": 1.0, "val_loss": 1.1, "accuracy": 0.5, "val_accuracy": 0.4}]
    penalised = [{**plain[0], "data_loss": 0.9, "val_data_loss": 1.0}]
    names = {trace.name for trace in training_curves(penalised).data}
    assert {"train data loss (without the penalty)", "validation data loss"} <= names
    assert not any("data loss" in (trace.name or "") for trace in training_curves(plain).data)
    [data_loss] = [t for t in training_curves(penalised).data if t.name == "validation data loss"]
    assert list(data_loss.y) == [1.0] and data_loss.xaxis == "x"  # in the loss panel, beside the total loss
