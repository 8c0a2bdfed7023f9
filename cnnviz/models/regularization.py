"""Weight penalties (L1, L2, L1+L2) on the kernels of conv and dense layers, of any built model.

A penalty is part of the model (Keras keeps ``kernel_regularizer`` in each layer's config), so
it is applied to a built model by cloning it with the regularizer set in every kernel layer's
config and copying the weights: the custom builder and every registry architecture get it the
same way. Keras adds the penalty terms to the training loss; the "data_loss" metric
(``data_loss_metrics``) keeps the loss without them, so curves can show both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cnnviz.i18n import N_, _

if TYPE_CHECKING:
    import keras

NONE, L1, L2, L1_L2 = "none", "l1", "l2", "l1_l2"
PENALTIES = {NONE: N_("none"), L1: N_("L1"), L2: N_("L2"), L1_L2: N_("L1 + L2")}  # key: display name
DATA_LOSS = "data_loss"  # the metric (and history column) of the loss without the penalty
KERNEL_LAYERS = ("Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "Dense")  # layers whose kernel is penalised


@dataclass(frozen=True)
class WeightPenalty:
    """A weight penalty: ``kind`` (none, l1, l2, l1_l2) and its strength (the factor of the sum)."""

    kind: str = NONE
    strength: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in PENALTIES:
            raise ValueError(_("the weight penalty must be one of {names}").format(names=", ".join(PENALTIES)))
        if self.strength < 0:
            raise ValueError(_("the weight penalty's strength must be 0 or more"))

    @property
    def is_on(self) -> bool:
        return self.kind != NONE and self.strength > 0

    def regularizer(self) -> keras.regularizers.Regularizer | None:
        """The Keras regularizer (None when the penalty is off)."""
        import keras

        if not self.is_on:
            return None
        if self.kind == L1:
            return keras.regularizers.L1(self.strength)
        if self.kind == L2:
            return keras.regularizers.L2(self.strength)
        return keras.regularizers.L1L2(l1=self.strength, l2=self.strength)

    def describe(self) -> str:
        """ "L2 (0.0001)" in the current language; "" when off."""
        return f"{_(PENALTIES[self.kind])} ({self.strength:g})" if self.is_on else ""


def _penalised(layer: keras.Layer, penalty: WeightPenalty) -> keras.Layer:
    """A new layer like ``layer``, with the penalty on its kernel when it has one."""
    config = layer.get_config()
    if type(layer).__name__ in KERNEL_LAYERS:
        config["kernel_regularizer"] = penalty.regularizer()
    return type(layer).from_config(config)


def with_penalty(model: keras.Model, penalty: WeightPenalty) -> keras.Model:
    """A copy of ``model`` (same weights) whose conv and dense kernels carry ``penalty``.

    Nested models (transfer bases) are cloned too; a penalty that is off removes any penalty.
    """
    import keras

    clone = keras.models.clone_model(model, clone_function=lambda layer: _penalised(layer, penalty), recursive=True)
    clone.set_weights(model.get_weights())
    return clone


def layer_penalty(layer: keras.Layer) -> str:
    """How a layer's kernel is penalised, e.g. "L2 (0.0001)"; "" when it is not."""
    regularizer = getattr(layer, "kernel_regularizer", None)
    if regularizer is None:
        return ""
    config = regularizer.get_config()
    l1, l2 = float(config.get("l1", 0.0)), float(config.get("l2", 0.0))
    if l1 and l2:
        return WeightPenalty(L1_L2, l1).describe() if l1 == l2 else f"L1 ({l1:g}) + L2 ({l2:g})"
    return WeightPenalty(L1, l1).describe() if l1 else WeightPenalty(L2, l2).describe()


def penalty_term(model: keras.Model) -> float:
    """The sum of the model's penalty terms for its current weights (what Keras adds to the loss)."""
    import keras

    return float(sum(keras.ops.convert_to_numpy(loss) for loss in model.losses)) if model.losses else 0.0


def data_loss_metrics(model: keras.Model) -> list[Any]:
    """A "data_loss" metric (cross-entropy alone) when the model carries a penalty, else none."""
    import keras

    return [keras.metrics.SparseCategoricalCrossentropy(name=DATA_LOSS)] if model.losses else []


REGULARIZATION_OPTIONS = ("penalty", "penalty_strength", "head_dropout")  # options any architecture takes


def split_options(options: dict[str, Any]) -> tuple[dict[str, Any], WeightPenalty, float]:
    """An architecture's options as (builder options, weight penalty, dropout rate before the classifier)."""
    builder = {k: v for k, v in options.items() if k not in REGULARIZATION_OPTIONS}
    penalty = WeightPenalty(options.get("penalty", NONE), float(options.get("penalty_strength", 0.0)))
    return builder, penalty, float(options.get("head_dropout", 0.0))


def regularize(model: keras.Model, penalty: WeightPenalty, head_dropout: float = 0.0) -> keras.Model:
    """``model`` with a dropout before its classifier and a weight penalty, when they are on."""
    if head_dropout:
        model = with_head_dropout(model, head_dropout)
    return with_penalty(model, penalty) if penalty.is_on else model


def with_head_dropout(model: keras.Model, rate: float) -> keras.Model:
    """``model`` with a Dropout layer ("head_dropout") before its "predictions" layer (layers shared)."""
    import keras

    head = model.get_layer("predictions")
    dropped = keras.layers.Dropout(rate, name="head_dropout")(head.input)
    return keras.Model(model.input, head(dropped), name=model.name)
