"""Layer tracing's one private Keras call: it must keep working, and fail loudly when it cannot."""

from __future__ import annotations

import inspect
import threading

import keras
import numpy as np
import pytest

from cnnviz.models.layers import cached, trace, walk_functional_graph

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


def test_builds_for_one_model_run_one_at_a_time_and_each_key_once():
    """Two sessions building for the same model: the second build starts after the first has ended
    (Keras layers called from two threads at once can corrupt the graph), and a key is built once."""
    model, events = nested_functional(), []
    first_inside, second_called, second_inside = threading.Event(), threading.Event(), threading.Event()

    def first_build() -> str:
        events.append("first starts")
        first_inside.set()
        second_called.wait(timeout=30)  # the other session is now asking for a build of the same model
        second_inside.wait(timeout=2)  # were builds not one at a time, the second would now start
        events.append("first ends")
        return "first"

    def second_build() -> str:
        events.append("second starts")
        second_inside.set()
        return "second"

    def second_session() -> None:
        first_inside.wait(timeout=30)
        second_called.set()
        cached(model, ("second",), second_build)

    other = threading.Thread(target=second_session)
    other.start()
    assert cached(model, ("first",), first_build) == "first"
    other.join(timeout=60)
    assert events == ["first starts", "first ends", "second starts"]
    assert cached(model, ("second",), lambda: "built again") == "second"
    assert cached(model, ("first",), lambda: cached(model, ("nested",), lambda: "nested")) == "first"
    assert cached(model, ("outer",), lambda: cached(model, ("nested",), lambda: "nested")) == "nested"

