"""A model's inspectable layers, in order and inside nested bases, and feature models over them.

Every view "inside the network" starts from ``trace``: the model's layers re-applied to a
fresh ``keras.Input``, descending into nested sub-models (a MobileNetV2 base inside a
Sequential, say). The result is ONE flat graph in which every layer's output, however deeply
nested, can be a model output or a gradient target. This avoids two Keras 3 pitfalls: a
Sequential model's ``layer.output`` is unusable until the model has been called, and a
sub-model cut at a layer inside a nested base fails with "Graph disconnected".
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cnnviz import private_api
from cnnviz.i18n import N_, _

if TYPE_CHECKING:
    import keras

KINDS = ("conv", "pooling", "batch-norm", "activation")
KIND_LABELS = {
    "conv": N_("conv"),
    "pooling": N_("pooling"),
    "batch-norm": N_("batch-norm"),
    "activation": N_("activation"),
}


class NoConvLayerError(ValueError):
    """A model without a convolutional layer, with a message meant for the user."""


@dataclass(frozen=True)
class LayerInfo:
    """One layer whose output is a stack of feature maps."""

    name: str
    kind: str
    shape: tuple[int, int, int]  # output height, width, channels

    @property
    def label(self) -> str:
        height, width, channels = self.shape
        return _("{name} ({kind}, {height}×{width}×{channels})").format(
            name=self.name, kind=_(KIND_LABELS[self.kind]), height=height, width=width, channels=channels
        )


@dataclass
class Trace:
    """A model replayed on a fresh keras.Input: each layer's input and output tensors by name."""

    input: Any
    output: Any
    layers: dict[str, keras.Layer] = field(default_factory=dict)  # in execution order
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)


_CACHES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_BUILD_LOCKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def cached(model: keras.Model, key: tuple, build: Callable[[], Any]) -> Any:
    """``build()``'s result, made once per model object and key, dropped with the model.

    The per-model store holds feature models and compiled functions, so that after a
    warm-up every view of the same model reuses them. Builds of one model run one at a
    time (other models' builds go on meanwhile): a build calls the model's layers on new
    tensors, and a Keras layer called from two threads at once can record a tensor's
    history on the other call's node, which leaves a graph that fails later with "Graph
    disconnected" for every session that uses it. A build may use other builds of the
    same model (the lock is re-entrant).
    """
    with _LOCK:
        store = _CACHES.setdefault(model, {})
        if key in store:
            return store[key]
        building = _BUILD_LOCKS.setdefault(model, threading.RLock())
    with building:
        with _LOCK:
            if key in store:  # another session built it while this one waited
                return store[key]
        value = build()
        with _LOCK:
            return store.setdefault(key, value)


def input_shape(model: keras.Model) -> tuple[int, int, int]:
    """The model's (height, width, channels); raises ValueError for an unbuilt model."""
    try:
        shape = tuple(model.inputs[0].shape[1:])
    except (AttributeError, IndexError, ValueError) as error:
        raise ValueError(_("The model has not been built yet, so its input size is unknown.")) from error
    if len(shape) != 3 or None in shape:
        raise ValueError(
            _("Expected an image model with input (height, width, channels), got {shape}.").format(shape=shape)
        )
    return shape  # type: ignore[return-value]


def trace(model: keras.Model, shape: tuple[int | None, int | None, int] | None = None) -> Trace:
    """The model re-applied to a fresh Input of ``shape`` (default: its own), cached per model."""
    shape = tuple(shape or input_shape(model))
    return cached(model, ("trace", shape), lambda: _replay_on_input(model, shape))


def _replay_on_input(model: keras.Model, shape: tuple) -> Trace:
    import keras

    fresh = keras.Input(shape=shape)
    record = Trace(input=fresh, output=None)
    record.output = _replay(model, fresh, record)
    return record


def _replay(model: keras.Model, inputs: Any, record: Trace) -> Any:
    """Apply a (possibly nested) model layer by layer, recording each layer's tensors."""
    import keras

    def apply(layer: keras.Layer) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if isinstance(layer, keras.Model):
                return _replay(layer, args[0], record)
            output = layer(*args, **kwargs)
            name = _unique(layer.name, record.layers)
            record.layers[name], record.inputs[name], record.outputs[name] = layer, args[0], output
            return output

        return call

    if isinstance(model, keras.Sequential):
        for layer in model.layers:
            inputs = apply(layer)(inputs)
        return inputs
    return walk_functional_graph(model, inputs, apply)


def walk_functional_graph(model: keras.Model, inputs: Any, apply: Callable[[keras.Layer], Callable[..., Any]]) -> Any:
    """Run a functional model's graph on ``inputs``, each layer called through ``apply(layer)``.

    Keras has no public way to do this: it goes through cnnviz's one private Keras name
    (``cnnviz.private_api.run_through_graph``), which the app checks at start-up.
    """
    return private_api.run_through_graph(model, inputs, apply)


def _unique(name: str, taken: dict) -> str:
    suffix = 1
    unique = name
    while unique in taken:
        suffix += 1
        unique = f"{name}_{suffix}"
    return unique


def layer_kind(layer: keras.Layer) -> str | None:
    """"conv", "pooling", "batch-norm", "activation", or None for any other layer."""
    import keras

    kinds = {
        "conv": (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.SeparableConv2D),
        "pooling": (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D),
        "batch-norm": (keras.layers.BatchNormalization,),
        "activation": (keras.layers.Activation, keras.layers.ReLU, keras.layers.LeakyReLU,
                       keras.layers.ELU, keras.layers.PReLU),
    }
    return next((kind for kind, types in kinds.items() if isinstance(layer, types)), None)


def inspectable_layers(model: keras.Model) -> list[LayerInfo]:
    """Every conv, pooling, batch-norm and activation layer with a feature-map output, in order."""
    record = trace(model)
    found = []
    for name, layer in record.layers.items():
        kind, shape = layer_kind(layer), tuple(record.outputs[name].shape[1:])
        if kind is not None and len(shape) == 3:
            found.append(LayerInfo(name, kind, shape))  # type: ignore[arg-type]
    return found


def conv_layers(model: keras.Model) -> list[LayerInfo]:
    """The convolutional layers, in order, including those inside nested bases."""
    return [info for info in inspectable_layers(model) if info.kind == "conv"]


def last_conv_layer(model: keras.Model) -> str:
    """The name of the last convolutional layer; raises NoConvLayerError if there is none."""
    convs = conv_layers(model)
    if not convs:
        raise NoConvLayerError(_(
            "This model has no convolutional layer, so there are no feature maps to look at. "
            "Pick a model with Conv2D layers."
        ))
    return convs[-1].name


def feature_model(model: keras.Model, names: tuple[str, ...]) -> keras.Model:
    """One model from the input to the named layers' outputs (a list), cached per model."""
    import keras

    def build() -> keras.Model:
        record = trace(model)
        missing = [name for name in names if name not in record.outputs]
        if missing:
            raise KeyError(_("No layer named {names} in this model.").format(names=", ".join(missing)))
        return keras.Model(record.input, [record.outputs[name] for name in names])

    return cached(model, ("features", names), build)
