"""Layer tracing's one private Keras call: it must keep working, and fail loudly when it cannot."""

from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest

from cnnviz.models.layers import trace, walk_functional_graph

KERAS_PIN = "keras==3.15.1"


def nested_functional() -> keras.Model:
    inner_input = keras.Input((12, 12, 3))
    inner = keras.Model(inner_input, keras.layers.Conv2D(4, 3, name="inner_conv")(inner_input), name="base")
    outer_input = keras.Input((12, 12, 3))
    pooled = keras.layers.GlobalAveragePooling2D(name="pool")(inner(outer_input))
    return keras.Model(outer_input, keras.layers.Dense(2, name="head")(pooled))


def test_keras_private_graph_walk_still_exists_with_its_signature():
    """If this fails, a Keras upgrade changed Functional._run_through_graph: rewrite walk_functional_graph."""
    walk = getattr(nested_functional(), "_run_through_graph", None)
    assert walk is not None, f"keras {keras.__version__} lost Functional._run_through_graph (pinned: {KERAS_PIN})"
    assert "operation_fn" in inspect.signature(walk).parameters, (
        f"keras {keras.__version__} changed _run_through_graph's signature (pinned: {KERAS_PIN})"
    )


def test_trace_reaches_inside_a_nested_base_and_matches_the_model():
    model = nested_functional()
    record = trace(model)
    assert list(record.layers) == ["inner_conv", "pool", "head"]
    replayed = keras.Model(record.input, [record.outputs["inner_conv"], record.output])
    image = np.random.default_rng(0).random((1, 12, 12, 3), dtype=np.float32)
    np.testing.assert_allclose(replayed(image)[1], model(image), atol=1e-6)


def test_a_model_without_the_graph_walk_gets_a_clear_error():
    class NoWalk:
        pass

    with pytest.raises(RuntimeError, match="_run_through_graph"):
        walk_functional_graph(NoWalk(), None, lambda layer: layer)  # type: ignore[arg-type]


def test_requirements_pin_keras():
    from tests.conftest import REPO_ROOT

    assert KERAS_PIN in (REPO_ROOT / "requirements.txt").read_text().split()
