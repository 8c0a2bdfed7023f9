"""Data augmentation: one config, built from Keras preprocessing layers, for preview and training.

The seeds tuned Keras 2's image-generator augmentation by eye; here the same options map
onto Keras 3 layers that run on float [0, 1] batches (N, H, W, C) inside the tf.data training pipeline:

- rotation range in degrees -> ``RandomRotation(degrees / 360)`` (a fraction of a full turn);
- width/height shift (a fraction of the size) -> ``RandomTranslation``;
- shear -> ``RandomShear(x_factor=...)``, a horizontal shear as the seeds had, the factor being
  the shear slope: 0.2 is about 11 degrees, what ``shear_range=0.2`` meant when Keras read it in
  radians (as in the book). TF 2's image generator reads it in degrees, where 0.2 barely shows;
- zoom -> ``RandomZoom(z, z)``: height and width each scaled in [1 - z, 1 + z];
- brightness (low, high) multiplies each image by a factor in that range, the semantics of
  ``brightness_range=(0.5, 1.5)``. Keras' own RandomBrightness *adds* an offset, so a small
  ``RandomBrightnessScale`` layer here does the multiplication;
- contrast -> ``RandomContrast``; fill mode/value for the pixels a transform brings in.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, fields, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from cnnviz.data.pipeline import PIXEL_SCALE, to_model_input
from cnnviz.i18n import N_, _

if TYPE_CHECKING:
    import keras

BRIGHTNESS_LAYER = "RandomBrightnessScale"  # the one layer here, not in keras.layers
FILL_MODES = ("nearest", "reflect", "constant", "wrap")
TRANSFORM_LABELS = {  # key: what the preview calls it
    "rotation": N_("rotation"),
    "width_shift": N_("width shift"),
    "height_shift": N_("height shift"),
    "shear": N_("shear"),
    "zoom": N_("zoom"),
    "horizontal_flip": N_("horizontal flip"),
    "vertical_flip": N_("vertical flip"),
    "brightness": N_("brightness"),
    "contrast": N_("contrast"),
}
TRANSFORMS = tuple(TRANSFORM_LABELS)


@dataclass(frozen=True)
class AugmentConfig:
    """Every augmentation option the seeds used; the defaults switch everything off."""

    rotation_degrees: float = 0.0
    width_shift: float = 0.0
    height_shift: float = 0.0
    shear: float = 0.0
    zoom: float = 0.0
    horizontal_flip: bool = False
    vertical_flip: bool = False
    brightness: tuple[float, float] = (1.0, 1.0)
    contrast: float = 0.0
    fill_mode: str = "nearest"
    fill_value: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "brightness", tuple(float(b) for b in self.brightness))
        for message in _problems(self):
            raise ValueError(message)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["brightness"] = list(self.brightness)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AugmentConfig:
        """The inverse of to_dict; missing keys take their defaults, unknown keys are refused."""
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(
                _("unknown augmentation option(s): {names}").format(names=", ".join(sorted(unknown)))
            )
        return cls(**data)

    @property
    def is_identity(self) -> bool:
        """True when no transform is on, so augmenting changes nothing."""
        return replace(self, fill_mode="nearest", fill_value=0.0) == AugmentConfig()


def _problems(config: AugmentConfig) -> list[str]:
    """Plain-language reasons a config cannot be built (empty when it is fine)."""
    problems = []
    if not 0 <= config.rotation_degrees <= 180:
        problems.append(_("rotation must be between 0 and 180 degrees"))
    for name in ("width_shift", "height_shift", "shear", "contrast"):
        if not 0 <= getattr(config, name) <= 1:
            problems.append(_("{option} must be between 0 and 1").format(option=_(TRANSFORM_LABELS[name])))
    if not 0 <= config.zoom < 1:
        problems.append(_("zoom must be at least 0 and below 1"))
    low, high = config.brightness if len(config.brightness) == 2 else (-1.0, -1.0)
    if not 0 <= low <= high:
        problems.append(_("brightness must be a (low, high) range with 0 <= low <= high"))
    if config.fill_mode not in FILL_MODES:
        problems.append(_("fill mode must be one of {modes}").format(modes=", ".join(FILL_MODES)))
    return problems


# What both seeds' image-generator set-ups share; they differ in rotation and brightness.
_SEED_GEOMETRY: dict[str, Any] = {
    "width_shift": 0.2,
    "height_shift": 0.2,
    "shear": 0.2,
    "zoom": 0.2,
    "horizontal_flip": True,
    "fill_mode": "nearest",
}
PRESETS: dict[str, AugmentConfig] = {
    "none": AugmentConfig(),
    "weather": AugmentConfig(rotation_degrees=20, brightness=(0.5, 1.5), **_SEED_GEOMETRY),
    "dlwp": AugmentConfig(rotation_degrees=40, **_SEED_GEOMETRY),
}
PRESET_LABELS = {"none": N_("none"), "weather": N_("weather"), "dlwp": N_("Deep Learning with Python")}


class _Code(float):
    """A number that prints as the expression a person would type (``20 / 360``)."""

    def __new__(cls, value: float, text: str) -> _Code:
        number = super().__new__(cls, value)
        number.text = text
        return number

    def __repr__(self) -> str:
        return self.text


def _layer_specs(config: AugmentConfig) -> list[tuple[str, dict[str, Any]]]:
    """(layer class name, keyword arguments) for each transform that is on, in order."""
    fill = {"fill_mode": config.fill_mode}
    if config.fill_mode == "constant":
        fill["fill_value"] = config.fill_value
    flips = (("horizontal", config.horizontal_flip), ("vertical", config.vertical_flip))
    flip = "_and_".join(mode for mode, on in flips if on)
    degrees = config.rotation_degrees
    candidates = [
        (flip, "RandomFlip", {"mode": flip}),
        (degrees, "RandomRotation", {"factor": _Code(degrees / 360, f"{degrees:g} / 360"), **fill}),
        (
            config.width_shift or config.height_shift,
            "RandomTranslation",
            {"height_factor": config.height_shift, "width_factor": config.width_shift, **fill},
        ),
        (config.shear, "RandomShear", {"x_factor": config.shear, **fill}),
        (config.zoom, "RandomZoom", {"height_factor": config.zoom, "width_factor": config.zoom, **fill}),
        (config.brightness != (1.0, 1.0), BRIGHTNESS_LAYER, {"factor": config.brightness}),
        (config.contrast, "RandomContrast", {"factor": config.contrast, "value_range": (0, 1)}),
    ]
    return [(name, kwargs) for on, name, kwargs in candidates if on]


def to_code(config: AugmentConfig) -> str:
    """The Keras code that builds this augmentation, as a person would write it."""
    specs = _layer_specs(config)
    lines = [
        f"    {'' if name == BRIGHTNESS_LAYER else 'keras.layers.'}{name}("
        + ", ".join(f"{key}={value!r}" for key, value in kwargs.items())
        + "),"
        for name, kwargs in specs
    ]
    header = ["import keras"]
    if any(name == BRIGHTNESS_LAYER for name, _kwargs in specs):
        header.append(f"from cnnviz.data.augmentation import {BRIGHTNESS_LAYER}  # like brightness_range")
    body = "\n".join(lines) if lines else "    keras.layers.Identity(),  # all transforms off"
    return "\n".join(header) + "\n\naugment = keras.Sequential([\n" + body + "\n])\n"


@functools.cache
def _brightness_scale_class() -> type:
    """RandomBrightnessScale, defined on first use so importing this module stays free of TF."""
    import keras

    class RandomBrightnessScale(keras.layers.Layer):
        """Multiply each image by a factor drawn from [low, high], then clip to [0, 1]."""

        def __init__(self, factor: tuple[float, float], seed: int | None = None, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.factor = tuple(float(f) for f in factor)
            self.seed = seed
            self.generator = keras.random.SeedGenerator(seed)

        def call(self, images, training: bool = True):
            if not training:
                return images
            shape = (keras.ops.shape(images)[0], 1, 1, 1)
            scale = keras.random.uniform(shape, *self.factor, seed=self.generator, dtype=images.dtype)
            return keras.ops.clip(images * scale, 0.0, 1.0)

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "factor": self.factor, "seed": self.seed}

    return RandomBrightnessScale


def __getattr__(name: str) -> Any:
    """``from cnnviz.data.augmentation import RandomBrightnessScale`` imports Keras only then."""
    if name == BRIGHTNESS_LAYER:
        return _brightness_scale_class()
    raise AttributeError(_("module {module!r} has no attribute {name!r}").format(module=__name__, name=name))


def _make_layer(name: str, kwargs: dict[str, Any], seed: int | None) -> keras.Layer:
    import keras

    layer_class = _brightness_scale_class() if name == BRIGHTNESS_LAYER else getattr(keras.layers, name)
    return layer_class(**kwargs, seed=seed)


def build_augmenter(config: AugmentConfig, seed: int | None = None) -> keras.Sequential:
    """The Keras layers for ``config``, applied to float [0, 1] batches with training=True.

    Each layer gets its own seed (seed, seed + 1, ...) so that a fixed seed repeats the
    same sequence of images without the transforms moving in lockstep. An identity config
    gives a single ``Identity`` layer: the batch passes through unchanged.
    """
    import keras

    specs = _layer_specs(config)
    layers = [
        _make_layer(name, kwargs, None if seed is None else seed + index)
        for index, (name, kwargs) in enumerate(specs)
    ]
    return keras.Sequential(layers or [keras.layers.Identity()], name="augmentation")


def _to_uint8(images: Any) -> np.ndarray:
    return np.rint(np.clip(np.asarray(images), 0.0, 1.0) / PIXEL_SCALE).astype(np.uint8)


def augment_grid(image: np.ndarray, config: AugmentConfig, n: int, seed: int) -> np.ndarray:
    """n augmented versions of one uint8 (H, W, C) image, as uint8 (n, H, W, C).

    The augmenter is built afresh with ``seed`` (cheap), so the same seed gives the same
    grid; all n images go through it as one batch.
    """
    batch = np.repeat(to_model_input(image[np.newaxis]), n, axis=0)
    return _to_uint8(build_augmenter(config, seed)(batch, training=True))


DEFAULT_STRENGTHS = AugmentConfig(
    rotation_degrees=40, width_shift=0.2, height_shift=0.2, shear=0.2, zoom=0.2,
    horizontal_flip=True, vertical_flip=True, brightness=(0.5, 1.5), contrast=0.5,
)


def _strip_values(name: str, config: AugmentConfig, count: int) -> list[float]:
    """The strengths a row shows: the config's range if the transform is on, else a default."""
    def pick(field: str) -> Any:
        value = getattr(config, field)
        return value if value != getattr(AugmentConfig(), field) else getattr(DEFAULT_STRENGTHS, field)

    symmetric = {"rotation": "rotation_degrees", "width_shift": "width_shift",
                 "height_shift": "height_shift", "shear": "shear", "zoom": "zoom"}
    if name in symmetric:
        extent = pick(symmetric[name])
        return list(np.linspace(-extent, extent, count))
    if name == "brightness":
        return list(np.linspace(*pick("brightness"), count))
    if name == "contrast":
        extent = pick("contrast")
        return list(np.linspace(1 - extent, 1 + extent, count))
    return [0.0, 1.0]  # the flips: as is, flipped


def _strip_label(name: str, value: float) -> str:
    if name.endswith("_flip"):
        return _("flipped") if value else _("as is")
    if name in ("brightness", "contrast"):
        return f"×{value:.3g}"
    if not value:
        return "0"
    unit = {"rotation": "°", "zoom": " " + (_("(out)") if value > 0 else _("(in)"))}.get(name, "")
    return f"{value:+.3g}{unit}"


def _fixed_transform(name: str, value: float, config: AugmentConfig, batch: Any) -> Any:
    """One transform at exactly one strength, through the same Keras layer training uses.

    Layers whose range can be pinned to (v, v) get that range; shear (random sign), contrast
    (range 1 +- f) and the flips (random coin) get a fixed transformation instead.
    """
    import keras

    layers = keras.layers
    fill = {"fill_mode": config.fill_mode, "fill_value": config.fill_value}
    pinned = (value, value)
    if name == "rotation":
        return layers.RandomRotation((value / 360, value / 360), **fill)(batch, training=True)
    if name == "width_shift":
        return layers.RandomTranslation((0.0, 0.0), pinned, **fill)(batch, training=True)
    if name == "height_shift":
        return layers.RandomTranslation(pinned, (0.0, 0.0), **fill)(batch, training=True)
    if name == "zoom":
        return layers.RandomZoom(pinned, pinned, **fill)(batch, training=True)
    if name == "brightness":
        return _brightness_scale_class()(pinned)(batch, training=True)
    if name == "shear":
        shear = layers.RandomShear(x_factor=abs(value), **fill)
        return shear.transform_images(batch, {"shear_factor": np.array([[value, 0.0]], "float32")})
    if name == "contrast":
        contrast = layers.RandomContrast(0.0, value_range=(0, 1))
        return contrast.transform_images(batch, {"contrast_factor": np.float32(value)})
    flip = layers.RandomFlip(name.removesuffix("_flip"))
    return flip.transform_images(batch, {"flips": bool(value)})


def transform_strips(
    image: np.ndarray, config: AugmentConfig | None = None, strengths: int = 5
) -> list[tuple[str, list[tuple[str, np.ndarray]]]]:
    """For every transform, the image under that transform alone at a few strengths.

    Strengths span the config's range for the transforms that are on and a typical range
    for the others; fill mode and value come from the config.
    """
    config = config or AugmentConfig()
    batch = to_model_input(image[np.newaxis])
    return [
        (
            name,
            [
                (_strip_label(name, value), _to_uint8(_fixed_transform(name, float(value), config, batch))[0])
                for value in _strip_values(name, config, strengths)
            ],
        )
        for name in TRANSFORMS
    ]
