"""Per-model dtype policies: train in mixed bfloat16, explain in float32.

One server builds models for many sessions at once, so precision is set per layer, never with
Keras' process-wide policy: ``with_precision`` clones a model with each layer's ``dtype`` set
to ``mixed_bfloat16`` (weights stay float32, layers compute in bfloat16) except the output
layer, which keeps computing in float32. ``float32_copy`` turns a trained model back into an
all-float32 model with the same weights: what saved runs hold and every view explains.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras

FLOAT32, BFLOAT16 = "float32", "bfloat16"
MIXED_BFLOAT16 = "mixed_bfloat16"


def _output_layer_names(model: keras.Model) -> set[str]:
    """Names of the layers producing the model's outputs (they stay float32)."""
    outputs = {id(tensor) for tensor in model.outputs}
    return {layer.name for layer in model.layers if id(layer.output) in outputs}


def _clone_with_dtypes(model: keras.Model, dtype_of: Callable[[keras.Layer], str]) -> keras.Model:
    """A clone whose layer ``layer`` gets policy ``dtype_of(layer)``, with the same weights."""
    import keras

    def clone_layer(layer: keras.Layer) -> keras.Layer:
        config = layer.get_config()
        config["dtype"] = keras.DTypePolicy(dtype_of(layer))
        return layer.__class__.from_config(config)

    clone = keras.models.clone_model(model, clone_function=clone_layer, recursive=True)
    clone.set_weights(model.get_weights())
    return clone


def with_precision(model: keras.Model, precision: str) -> keras.Model:
    """``model`` computing in ``precision`` ("float32" or "bfloat16"); the output layer stays float32."""
    if precision == FLOAT32:
        return model
    keep_float32 = _output_layer_names(model)
    return _clone_with_dtypes(model, lambda layer: FLOAT32 if layer.name in keep_float32 else MIXED_BFLOAT16)


def computes_in_float32(model: keras.Model) -> bool:
    """True when every layer of ``model`` (nested ones too) computes in float32."""
    return all(layer.dtype_policy.compute_dtype == FLOAT32 for layer in _all_layers(model))


def _all_layers(model: keras.Model) -> list[keras.Layer]:
    import keras

    layers = []
    for layer in model.layers:
        layers.append(layer)
        if isinstance(layer, keras.Model):
            layers.extend(_all_layers(layer))
    return layers


def float32_copy(model: keras.Model) -> keras.Model:
    """``model`` itself when it computes in float32, else an all-float32 clone with its weights."""
    if computes_in_float32(model):
        return model
    return _clone_with_dtypes(model, lambda layer: FLOAT32)
