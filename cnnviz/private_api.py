"""Every private Keras name cnnviz uses, in one place, and the check that they still work.

Keras has no public way to re-apply a functional model's graph with a hook on each layer, which
layer tracing needs (``cnnviz.models.layers``), so it calls ``Functional._run_through_graph``.
``check()`` runs in the server's preload, right after Keras is imported (``cnnviz.runtime``), and
in tests/test_private_api.py: an upgrade that removes or changes the name fails there, naming the
Keras version. The app's private Streamlit names are in ``app/private_api.py`` (this library never
imports Streamlit).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cnnviz.i18n import _

if TYPE_CHECKING:
    import keras

KERAS_PIN = "keras==3.15.1"  # requirements.txt; the version these names were read from


def run_through_graph(model: keras.Model, inputs: Any, operation_fn: Callable[[Any], Callable[..., Any]]) -> Any:
    """Run a functional model's graph on ``inputs``, each layer called as ``operation_fn(layer)(...)``."""
    import keras

    walk = getattr(model, "_run_through_graph", None)
    if walk is None:
        raise RuntimeError(_(
            "This Keras version ({version}) has no Functional._run_through_graph; cnnviz's layer "
            "tracing needs updating."
        ).format(version=keras.__version__))
    return walk([inputs], operation_fn=operation_fn)


def _require(condition: bool, what: str) -> None:
    import keras

    if not condition:
        raise RuntimeError(_(
            "Keras {version} changed a private name cnnviz relies on ({what}); cnnviz was written for {pin}. "
            "Update cnnviz/private_api.py for this version."
        ).format(version=keras.__version__, what=what, pin=KERAS_PIN))


def check() -> None:
    """Raise RuntimeError naming the Keras version if ``_run_through_graph`` is gone, lost its
    ``operation_fn`` parameter, or no longer calls it once per layer in graph order."""
    import keras
    import numpy as np

    inputs = keras.Input((4, 4, 1))
    hidden = keras.layers.Conv2D(2, 3, name="probe_conv")(inputs)
    model = keras.Model(inputs, keras.layers.Flatten(name="probe_flat")(hidden))
    walk = getattr(model, "_run_through_graph", None)
    _require(walk is not None and "operation_fn" in inspect.signature(walk).parameters,
             "Functional._run_through_graph(inputs, operation_fn=...)")
    called: list[str] = []

    def hook(layer: keras.Layer) -> Callable[..., Any]:
        called.append(layer.name)
        return layer

    image = np.ones((1, 4, 4, 1), dtype="float32")
    output = run_through_graph(model, image, hook)
    _require(called == ["probe_conv", "probe_flat"] and np.allclose(np.asarray(output), np.asarray(model(image))),
             "_run_through_graph calls operation_fn once per layer, in order, and gives the model's output")
