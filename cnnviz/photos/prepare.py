"""Photo preprocessing: turn a real photo into what a run's model saw in training, step by step.

``prepare_input`` is the one way any image (an uploaded photo, or an image of a dataset)
becomes a run's model input; every page goes through it. For a photo, every step is kept as
a small image so the Predict page can show the whole chain: original -> oriented -> cropped
-> colour/grayscale -> inverted (if needed) -> background levelled (object fit) -> resized
-> model input. How the model wants its input (size, channels, scaling, polarity) comes
only from the run's config.json (or, for a dataset without a run, from the dataset).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from cnnviz.data.dataset import Dataset
from cnnviz.data.images import ImageError, decode_image, fit_to_shape, frame_count
from cnnviz.data.pipeline import PIXEL_SCALE, to_model_input
from cnnviz.i18n import N_, _, later
from cnnviz.runs.schema import RunConfig

FITS = ("auto", "object", "crop", "pad")
INVERT_CHOICES = ("auto", "always", "never")
STEP_TITLES = {
    "original": N_("original"),
    "oriented": N_("oriented"),
    "cropped": N_("cropped"),
    "colour": N_("colour"),
    "grayscale": N_("grayscale"),
    "inverted": N_("inverted"),
    "background levelled": N_("background levelled"),
    "resized": N_("resized"),
    "model input": N_("model input"),
}
FIT_NOTES = {"object": N_("object fit"), "crop": N_("crop fit"), "pad": N_("pad fit")}
MIN_SIDE = 8  # smaller images hold too little to recognise anything
WORK_SIDE = 512  # photos are shrunk to this before processing; model inputs are smaller
BORDER = 0.03  # the outer ring (fraction of the shorter side) that samples the background
NOISE_CAP = 20  # most grey levels of background noise levelled away

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (x1, y1 exclusive)


@dataclass(frozen=True)
class InputSpec:
    """How a run's model takes its input, read from the run's config.json."""

    height: int
    width: int
    channels: int
    scale: float
    light_on_dark: bool

    @classmethod
    def from_config(cls, config: RunConfig) -> InputSpec:
        """Read input_shape and preprocessing; ValueError when they contradict each other."""
        height, width, channels = config.input_shape
        pre = config.preprocessing
        if (pre.color_mode == "grayscale") != (channels == 1):
            raise ValueError(
                _("config.json says {mode!r} but the input has {channels} channel(s)").format(
                    mode=pre.color_mode, channels=channels
                )
            )
        return cls(height, width, channels, pre.scale, pre.light_on_dark)

    @classmethod
    def for_dataset(cls, dataset: Dataset) -> InputSpec:
        """The input of a model built for ``dataset`` (for pages that have no run yet)."""
        height, width, channels = dataset.image_shape
        return cls(height, width, channels, PIXEL_SCALE, dataset.light_on_dark)

    @property
    def aspect(self) -> float:
        return self.width / self.height


@dataclass(frozen=True)
class PhotoOptions:
    """User choices; "auto" follows the run (object fit and polarity check for light-on-dark data)."""

    fit: str = "auto"
    invert: str = "auto"
    margin: float = 0.05  # space around a found object, as a fraction of its longer side

    def resolved_fit(self, spec: InputSpec) -> str:
        if self.fit not in FITS:
            raise ValueError(_("fit must be one of {choices}").format(choices=FITS))
        if self.fit == "auto":
            return "object" if spec.light_on_dark else "crop"
        return self.fit


@dataclass(frozen=True)
class Step:
    """One stage of the preprocessing, as a uint8 (H, W, C) image; ``key`` is one of STEP_TITLES."""

    key: str
    image: np.ndarray
    note: str = ""

    @property
    def title(self) -> str:
        """The step's name in the current language."""
        return _(STEP_TITLES[self.key])


@dataclass
class PreparedPhoto:
    """A photo ready for the model, with every step that led there."""

    steps: list[Step]
    image: np.ndarray  # uint8 (H, W, C), what the model sees before scaling
    model_input: np.ndarray  # float32 (H, W, C), image * scale
    inverted: bool
    cropped: np.ndarray  # uint8 RGB, the framed part of the photo at full resolution (for overlays)
    notes: list[str] = field(default_factory=list)


def prepare_input(
    source: bytes | str | Path | np.ndarray, spec: InputSpec, options: PhotoOptions = PhotoOptions()
) -> PreparedPhoto:
    """Any image as the run's model input: a photo file (bytes or path) goes through
    ``prepare_photo``; a uint8 (H, W, C) array from a dataset is only resized and converted."""
    if isinstance(source, np.ndarray):
        return _from_dataset_image(source, spec)
    return prepare_photo(source, spec, options)


def _from_dataset_image(image: np.ndarray, spec: InputSpec) -> PreparedPhoto:
    fitted = fit_to_shape(image, (spec.height, spec.width, spec.channels))
    model_input = to_model_input(fitted, spec.scale)
    steps = [Step("original", image), _model_input_step(fitted, model_input)]
    return PreparedPhoto(steps, fitted, model_input, inverted=False, cropped=image)


def _model_input_step(image: np.ndarray, model_input: np.ndarray) -> Step:
    note = _("float32 in [{low:.2f}, {high:.2f}]").format(low=model_input.min(), high=model_input.max())
    return Step("model input", image, note)


def prepare_photo(
    source: bytes | str | Path, spec: InputSpec, options: PhotoOptions = PhotoOptions()
) -> PreparedPhoto:
    """Decode a photo and turn it into the run's model input; raises ImageError for bad files."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    stored, upright = decode_image(data)
    if min(upright.size) < MIN_SIDE:
        raise ImageError(later(
            N_("the image is only {width}x{height} pixels; at least {side}x{side} is needed to recognise anything"),
            width=upright.width, height=upright.height, side=MIN_SIDE,
        ))  # fmt: skip
    notes = _frame_notes(data)
    rgb = shrink(np.asarray(upright.convert("RGB")), WORK_SIDE)
    steps = [Step("original", shrink(np.asarray(stored.convert("RGB")), WORK_SIDE))]
    steps.append(Step("oriented", rgb, _("EXIF rotation applied") if stored is not upright else ""))
    return _finish(rgb, spec, options, steps, notes)


def _finish(
    rgb: np.ndarray, spec: InputSpec, options: PhotoOptions, steps: list[Step], notes: list[str]
) -> PreparedPhoto:
    fit = options.resolved_fit(spec)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)[..., None]
    dark_on_light = is_dark_on_light(gray[..., 0])
    inverted = _should_invert(options.invert, dark_on_light, spec)
    region = _region(gray, dark_on_light, fit, spec, options.margin)
    cropped = crop_padded(rgb, region, border_colour(rgb))
    steps.append(Step("cropped", cropped, _(FIT_NOTES[fit])))
    image = cropped if spec.channels == 3 else cv2.cvtColor(cropped, cv2.COLOR_RGB2GRAY)[..., None]
    steps.append(Step("colour" if spec.channels == 3 else "grayscale", image))
    if inverted:
        image = 255 - image
        steps.append(Step("inverted", image, _("dark object on a light background")))
    if fit == "object" and spec.light_on_dark and inverted == dark_on_light:  # now light on dark
        image = level_background(image, background_level(rgb if spec.channels == 3 else gray, inverted))
        steps.append(Step("background levelled", image))
    image = resize(image, spec.height, spec.width)
    steps.append(Step("resized", image, f"{spec.height}x{spec.width}"))
    model_input = to_model_input(image, spec.scale)
    steps.append(_model_input_step(image, model_input))
    return PreparedPhoto(steps, image, model_input, inverted, cropped, notes)


def _frame_notes(data: bytes) -> list[str]:
    frames = frame_count(data)
    if frames <= 1:
        return []
    return [_("animated image with {count} frames: only the first frame is used").format(count=frames)]


def _should_invert(choice: str, dark_on_light: bool, spec: InputSpec) -> bool:
    if choice not in INVERT_CHOICES:
        raise ValueError(_("invert must be one of {choices}").format(choices=INVERT_CHOICES))
    if choice == "auto":
        return spec.light_on_dark and dark_on_light
    return choice == "always"


def _region(gray: np.ndarray, dark_on_light: bool, fit: str, spec: InputSpec, margin: float) -> Box:
    height, width = gray.shape[:2]
    if fit != "object":
        return aspect_box((0, 0, width, height), spec.aspect, contain=fit == "pad")
    light = 255 - gray if dark_on_light else gray
    box = object_box(level_background(light, background_level(gray, dark_on_light))[..., 0])
    return aspect_box(box, spec.aspect, contain=True, margin=margin)


def background_level(image: np.ndarray, inverted: bool) -> tuple[int, ...]:
    """The backdrop's level after any inversion: the outer ring's median plus its noise
    (3 robust standard deviations, at most NOISE_CAP), so levelling also clears the noise."""
    ring = border_pixels(255 - image if inverted else image).astype(np.float32)
    median = np.median(ring, axis=0)
    noise = 1.4826 * np.median(np.abs(ring - median), axis=0)
    return tuple(int(v) for v in np.minimum(median + np.minimum(3 * noise, NOISE_CAP), 254))


def border_pixels(image: np.ndarray) -> np.ndarray:
    """The pixels of the outer ring, (N, C), where the background of a photo usually is."""
    image = image if image.ndim == 3 else image[..., None]
    ring = max(1, round(BORDER * min(image.shape[:2])))
    return np.concatenate(
        [image[:ring].reshape(-1, image.shape[2]), image[-ring:].reshape(-1, image.shape[2]),
         image[:, :ring].reshape(-1, image.shape[2]), image[:, -ring:].reshape(-1, image.shape[2])]
    )


def border_colour(image: np.ndarray) -> tuple[int, ...]:
    """The median colour of the outer ring: the background's colour."""
    return tuple(int(v) for v in np.median(border_pixels(image), axis=0))


def is_dark_on_light(gray: np.ndarray) -> bool:
    """Polarity check: True when the background (outer ring) is on the light side of Otsu's threshold."""
    blurred = cv2.GaussianBlur(gray, (5, 5), 0)
    threshold, _mask = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(np.median(border_pixels(gray))) > threshold


def level_background(image: np.ndarray, background: tuple[int, ...]) -> np.ndarray:
    """Map the background level to 0 and keep 255 at 255, so the backdrop is black as in MNIST."""
    level = np.asarray(background, dtype=np.float32)
    scaled = (image.astype(np.float32) - level) * (255.0 / np.maximum(255.0 - level, 1.0))
    return np.clip(scaled, 0, 255).astype(np.uint8)


def object_box(light: np.ndarray) -> Box:
    """Bounding box of the object(s) in a light-on-black image; the whole image if none is found."""
    height, width = light.shape
    blurred = cv2.GaussianBlur(light, (5, 5), 0)
    threshold, mask = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if threshold < 10:  # nothing stands out from the background
        return 0, 0, width, height
    size = max(3, round(0.01 * max(height, width)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    mask = cv2.morphologyEx(cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel), cv2.MORPH_CLOSE, kernel)
    contours, _hierarchy = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    areas = [cv2.contourArea(c) for c in contours]
    if not areas or max(areas) < 4:
        return 0, 0, width, height
    keep = [c for c, a in zip(contours, areas) if a >= 0.1 * max(areas)]
    x, y, w, h = cv2.boundingRect(np.concatenate(keep))
    return x, y, x + w, y + h


def aspect_box(box: Box, aspect: float, *, contain: bool, margin: float = 0.0) -> Box:
    """A box of the given width/height ratio centred on ``box``.

    contain=True: the smallest such box holding ``box`` plus ``margin`` (fraction of its longer
    side) on every side; contain=False: the largest such box inside ``box`` (a centre crop).
    """
    x0, y0, x1, y1 = box
    width, height = x1 - x0, y1 - y0
    pad = margin * max(width, height)
    width, height = width + 2 * pad, height + 2 * pad
    if (width / height > aspect) == contain:
        height = width / aspect
    else:
        width = height * aspect
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    left, top = round(cx - width / 2), round(cy - height / 2)
    return left, top, left + max(1, round(width)), top + max(1, round(height))


def crop_padded(image: np.ndarray, box: Box, fill: tuple[int, ...]) -> np.ndarray:
    """Cut ``box`` out of ``image``; parts outside the image are filled with ``fill``."""
    x0, y0, x1, y1 = box
    height, width = image.shape[:2]
    inside = image[max(y0, 0) : min(y1, height), max(x0, 0) : min(x1, width)]
    borders = (max(-y0, 0), max(y1 - height, 0), max(-x0, 0), max(x1 - width, 0))
    if not any(borders):
        return np.ascontiguousarray(inside)
    padded = cv2.copyMakeBorder(inside, *borders, cv2.BORDER_CONSTANT, value=fill)
    return padded if padded.ndim == image.ndim else padded[..., None]


def resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize with area averaging when shrinking (no aliasing) and bilinear when enlarging."""
    if image.shape[:2] == (height, width):
        return image
    shrinking = height * width < image.shape[0] * image.shape[1]
    resized = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    return resized if resized.ndim == image.ndim else resized[..., None]


def shrink(image: np.ndarray, side: int) -> np.ndarray:
    """Scale down (never up) so the longer side is at most ``side``."""
    scale = side / max(image.shape[:2])
    if scale >= 1:
        return image
    return resize(image, max(1, round(image.shape[0] * scale)), max(1, round(image.shape[1] * scale)))


def thumbnail(image: np.ndarray, height: int) -> np.ndarray:
    """A display copy ``height`` pixels tall: sharp pixels when enlarged, (H, W) for grayscale."""
    width = max(1, round(image.shape[1] * height / image.shape[0]))
    if height > image.shape[0]:
        shown = cv2.resize(image, (width, height), interpolation=cv2.INTER_NEAREST)
    else:
        shown = resize(image, height, width)
    return shown.reshape(shown.shape[:2]) if shown.ndim == 2 or shown.shape[2] == 1 else shown
