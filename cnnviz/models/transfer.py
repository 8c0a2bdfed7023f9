"""Transfer learning: an ImageNet base (MobileNetV2 or VGG16) with a new classifier head.

Models are built FLAT: the base's layers sit directly in ``model.layers`` (so Grad-CAM and
the activation views can reach ``block5_conv3`` or ``Conv_1``). The [0, 1] input is mapped
to what the base expects with plain layers, never Lambda (safe_mode loading refuses it):
grayscale is repeated to 3 channels, images under 32 pixels are resized up, MobileNetV2
gets [-1, 1], VGG16 gets 0-255 minus the ImageNet channel means.

VGG16's ImageNet weights expect BGR channel order. Instead of permuting the input, the
loaded ``block1_conv1`` kernel is flipped along its input-channel axis, which is exactly
equivalent and lets the model take RGB like every other cnnviz model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cnnviz.i18n import _
from cnnviz.models.heads import classifier, dense_stack

if TYPE_CHECKING:
    import keras

MIN_SIZE = 32  # the smallest input keras.applications accepts for these bases
MODES = ("feature_extraction", "fine_tune")
VGG16_RGB_MEANS = (123.68, 116.779, 103.939)


class WeightsUnavailable(RuntimeError):
    """The ImageNet weights could not be downloaded; the message says where to put them."""


@dataclass(frozen=True)
class Base:
    """How to build one ImageNet base and where to cut it."""

    label: str
    application: str  # the keras.applications constructor
    fine_tune_from: str  # default first trainable layer when fine-tuning
    last_conv: str
    head_pooling: str  # "flatten" (as in the VGG16 seed) or "avg"


BASES = {
    "mobilenetv2": Base("MobileNetV2", "MobileNetV2", "block_16_expand", "Conv_1", "avg"),
    "vgg16": Base("VGG16", "VGG16", "block5_conv1", "block5_conv3", "flatten"),
}


def keras_weights_dir() -> Path:
    """Where Keras keeps downloaded weights: $KERAS_HOME/models, default ~/.keras/models."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models"


def build_transfer(
    base_name: str,
    input_shape: tuple[int, int, int],
    num_classes: int,
    *,
    weights: str | None = "imagenet",
    mode: str = "feature_extraction",
    fine_tune_from: str | None = None,
    dense_units: int = 256,
    dropout: float = 0.5,
) -> keras.Model:
    """A flat model: preprocessing -> base -> pooling -> Dense -> Dropout -> predictions.

    ``feature_extraction`` freezes the whole base; ``fine_tune`` makes every base layer
    from ``fine_tune_from`` on trainable. Raises WeightsUnavailable when the ImageNet
    weights cannot be downloaded, ValueError for bad options.
    """
    import keras
    from keras import layers

    base_spec = BASES[base_name]
    if mode not in MODES:
        raise ValueError(_("mode must be one of {modes}.").format(modes=", ".join(MODES)))
    if weights not in ("imagenet", None):
        raise ValueError(_("weights must be 'imagenet' or None (random initialisation)."))
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = _preprocess(_to_rgb_min_size(inputs), base_name)
    base = getattr(keras.applications, base_spec.application)(include_top=False, weights=None, input_tensor=x)
    if weights == "imagenet":
        _load_imagenet(base, base_spec)
    _set_trainable(base, mode, fine_tune_from or base_spec.fine_tune_from)
    if base_spec.head_pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="head_pool")(base.output)
    else:
        x = layers.Flatten(name="head_flatten")(base.output)
    x = dense_stack(x, [dense_units], dropout=dropout)
    return keras.Model(inputs, classifier(x, num_classes), name=f"{base_name}_transfer")


def _to_rgb_min_size(x):
    """Repeat a grayscale channel to RGB and resize images smaller than MIN_SIZE up."""
    from keras import layers

    if x.shape[-1] == 1:
        x = layers.Concatenate(name="gray_to_rgb")([x, x, x])
    elif x.shape[-1] != 3:
        raise ValueError(
            _("transfer models take 1 or 3 channels, not {channels}.").format(channels=x.shape[-1])
        )
    height, width = int(x.shape[1]), int(x.shape[2])
    if min(height, width) < MIN_SIZE:
        x = layers.Resizing(max(height, MIN_SIZE), max(width, MIN_SIZE), name="upsize")(x)
    return x


def _preprocess(x, base_name: str):
    """[0, 1] RGB -> the value range the base was trained on."""
    from keras import layers

    if base_name == "mobilenetv2":
        return layers.Rescaling(2.0, offset=-1.0, name="to_minus1_1")(x)
    x = layers.Rescaling(255.0, name="to_0_255")(x)
    return layers.Normalization(mean=VGG16_RGB_MEANS, variance=(1.0, 1.0, 1.0), name="imagenet_mean")(x)


def _load_imagenet(base: keras.Model, spec: Base) -> None:
    """Copy ImageNet weights into the flat base by layer name (downloaded once by Keras)."""
    import keras

    try:
        reference = getattr(keras.applications, spec.application)(
            include_top=False, weights="imagenet", input_shape=(224, 224, 3)
        )
    except Exception as error:  # Keras raises a bare Exception when the download fails
        raise WeightsUnavailable(
            _(
                "Could not get the ImageNet weights for {model} ({error}). Without network access, "
                "put the weight file in the Keras cache folder {folder} "
                "($KERAS_HOME/models, default ~/.keras/models), or choose random initialisation."
            ).format(model=spec.label, error=error, folder=keras_weights_dir())
        ) from error
    for layer in reference.layers:
        if layer.weights:
            base.get_layer(layer.name).set_weights(layer.get_weights())
    if spec.application == "VGG16":
        first = base.get_layer("block1_conv1")
        kernel, bias = first.get_weights()
        first.set_weights([kernel[:, :, ::-1, :], bias])  # BGR weights -> RGB input


def _set_trainable(base: keras.Model, mode: str, fine_tune_from: str) -> None:
    """Freeze the base, or (fine-tuning) leave every layer from ``fine_tune_from`` on trainable."""
    names = [layer.name for layer in base.layers]
    if mode == "fine_tune" and fine_tune_from not in names:
        convs = [layer.name for layer in base.layers if "conv" in layer.name.lower()]
        raise ValueError(
            _("no layer {name!r} in the base; try one of: {names}.").format(name=fine_tune_from, names=", ".join(convs[-6:]))
        )
    first = names.index(fine_tune_from) if mode == "fine_tune" else len(names)
    for index, layer in enumerate(base.layers):
        layer.trainable = index >= first


def base_layer_names(base_name: str) -> list[str]:
    """The layers of a base with weights, in order: the choices for ``fine_tune_from``."""
    import keras

    base = getattr(keras.applications, BASES[base_name].application)(
        include_top=False, weights=None, input_shape=(MIN_SIZE, MIN_SIZE, 3)
    )
    return [layer.name for layer in base.layers if layer.weights]
