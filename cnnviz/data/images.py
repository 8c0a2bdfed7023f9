"""Decoding any image file a user may have into a clean RGB or grayscale array."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image, ImageOps

from cnnviz.i18n import N_, LazyText, _, later

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp")
MAX_PIXELS = 50_000_000  # larger images are refused as possible decompression bombs
COLOR_MODES = ("rgb", "grayscale")

Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class ImageError(ValueError):
    """An image that cannot be used, with a message meant for the user (translated when shown)."""

    def __init__(self, reason: LazyText) -> None:
        super().__init__(reason)
        self.reason = reason


def is_image_file(path: Path) -> bool:
    """True for visible files with an image extension."""
    return path.suffix.lower() in IMAGE_EXTENSIONS and not path.name.startswith(".")


def open_image(source: str | Path | bytes) -> Image.Image:
    """Decode a file path or raw bytes into an upright RGB/L/RGBA-free PIL image.

    EXIF orientation is applied, transparency is composited on white, palette, CMYK and
    16-bit images are converted, and only the first frame of an animation is kept.
    Raises ImageError with a plain-language reason when the data is not a usable image.
    """
    return decode_image(source)[1]


def decode_image(source: str | Path | bytes) -> tuple[Image.Image, Image.Image]:
    """The first frame as stored and upright (EXIF orientation applied), both cleaned as
    open_image does; the two are the same object when the file has no orientation tag."""
    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else source
    if not data:
        raise ImageError(later(N_("the file is empty (0 bytes)")))
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise Image.DecompressionBombError(f"{image.width}x{image.height}")
            image.seek(0)
            image.load()
            upright = _normalise(ImageOps.exif_transpose(image) or image)
            if image.getexif().get(ExifTags.Base.Orientation, 1) == 1:
                return upright, upright
            return _normalise(image.copy()), upright
    except ImageError:
        raise
    except Image.DecompressionBombError as error:
        raise ImageError(
            later(N_("the image is too large to open safely (over {limit:,} pixels)"), limit=MAX_PIXELS)
        ) from error
    except Image.UnidentifiedImageError as error:
        raise ImageError(later(N_("not an image file, or in a format that cannot be read"))) from error
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageError(later(N_("the image data is corrupt or truncated ({error})"), error=str(error))) from error


def frame_count(source: bytes) -> int:
    """How many frames an image holds (more than 1 for an animated GIF or WEBP)."""
    try:
        with Image.open(io.BytesIO(source)) as image:
            return int(getattr(image, "n_frames", 1))
    except (OSError, SyntaxError, ValueError):
        return 1


def _normalise(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        scaled = np.asarray(image, dtype=np.float64)
        peak = scaled.max() or 1.0
        image = Image.fromarray((scaled * (255.0 / peak)).astype(np.uint8), mode="L")
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    if min(image.size) < 1:
        raise ImageError(later(N_("the image has no pixels")))
    return image


def to_array(image: Image.Image, size: tuple[int, int] | None, color_mode: str) -> np.ndarray:
    """A PIL image as uint8 (H, W, C), resized to size=(height, width) if given."""
    if color_mode not in COLOR_MODES:
        raise ValueError(_("color_mode must be one of {modes}").format(modes=COLOR_MODES))
    image = image.convert("RGB" if color_mode == "rgb" else "L")
    if size is not None and image.size != (size[1], size[0]):
        image = image.resize((size[1], size[0]), Image.Resampling.BILINEAR, reducing_gap=3.0)
    array = np.asarray(image, dtype=np.uint8)
    return array[..., np.newaxis] if array.ndim == 2 else array


def load_image_array(
    source: str | Path | bytes, size: tuple[int, int] | None, color_mode: str = "rgb"
) -> np.ndarray:
    """Decode, clean and resize in one call (raises ImageError)."""
    return to_array(open_image(source), size, color_mode)


def fit_to_shape(image: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    """A uint8 (H, W, C) image resized and colour-converted to a model's (H, W, C) input."""
    height, width, channels = shape
    if image.shape == tuple(shape):
        return image
    pil = Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)
    return to_array(pil, (height, width), "grayscale" if channels == 1 else "rgb")
