"""Standard array formats: MNIST-style IDX files and NumPy .npz archives."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from cnnviz.i18n import _

IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class FormatError(ValueError):
    """A file that is not in the expected format, with a message meant for the user."""


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (optionally gzipped) into an array."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as stream:
            data = stream.read()
    except (OSError, EOFError) as error:
        raise FormatError(_("{file}: cannot be read ({error})").format(file=path.name, error=error)) from error
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in IDX_DTYPES:
        raise FormatError(_("{file}: not an IDX file (bad magic number)").format(file=path.name))
    ndim = data[3]
    header_end = 4 + 4 * ndim
    shape = tuple(int(d) for d in np.frombuffer(data[4:header_end], dtype=">u4"))
    dtype = np.dtype(IDX_DTYPES[data[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header_end != expected:
        raise FormatError(
            _("{file}: holds {size} bytes of data, expected {expected}").format(
                file=path.name, size=len(data) - header_end, expected=expected
            )
        )
    return np.frombuffer(data, dtype=dtype, offset=header_end).reshape(shape)


def find_idx_pair(path: Path) -> tuple[Path, Path]:
    """The (images, labels) IDX files given either one of them or their folder."""
    candidates = sorted(path.iterdir()) if path.is_dir() else [path]
    images = [p for p in candidates if "idx3" in p.name and not p.name.startswith(".")]
    if not images:
        raise FormatError(_("no '*-images-idx3-ubyte[.gz]' file found at {path}").format(path=path))
    labels = images[0].with_name(images[0].name.replace("images-idx3", "labels-idx1"))
    if not labels.exists():
        raise FormatError(
            _("found {images} but not its labels file {labels}").format(images=images[0].name, labels=labels.name)
        )
    return images[0], labels


def load_idx_pair(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, H, W, 1) uint8 and labels (N,) from an IDX pair."""
    images_path, labels_path = find_idx_pair(path)
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise FormatError(
            _("{images} and {labels} do not match in shape").format(images=images_path.name, labels=labels_path.name)
        )
    return as_uint8_images(images), labels.astype(np.int32)


def load_npz(path: Path) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    """Images, labels and optional class names from an .npz with 'x' and 'y' arrays."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            keys = set(archive.files)
            if not {"x", "y"} <= keys:
                raise FormatError(
                    _("{file} must hold arrays named 'x' and 'y' (found: {keys})").format(file=path.name, keys=sorted(keys))
                )
            x, y = archive["x"], archive["y"]
            names = [str(n) for n in archive["class_names"]] if "class_names" in keys else None
    except (OSError, ValueError) as error:
        if isinstance(error, FormatError):
            raise
        raise FormatError(
            _("{file}: not a readable .npz file ({error})").format(file=path.name, error=error)
        ) from error
    if y.ndim == 2:  # one-hot labels
        y = y.argmax(axis=1)
    if len(x) != len(y):
        raise FormatError(
            _("{file}: {images} images but {labels} labels").format(file=path.name, images=len(x), labels=len(y))
        )
    return as_uint8_images(x), y.astype(np.int32), names


def as_uint8_images(x: np.ndarray) -> np.ndarray:
    """(N, H, W[, C]) numbers as uint8 (N, H, W, C); floats in [0, 1] are scaled to 0-255."""
    if x.ndim == 3:
        x = x[..., np.newaxis]
    if x.ndim != 4 or x.shape[-1] not in (1, 3):
        raise FormatError(_("images must be (N, H, W) or (N, H, W, 1 or 3), got {shape}").format(shape=x.shape))
    if np.issubdtype(x.dtype, np.floating) and x.size and float(x.max()) <= 1.0:
        x = x * 255.0
    return np.clip(x, 0, 255).astype(np.uint8)


def detect_light_on_dark(x: np.ndarray) -> bool:
    """True when images show light objects on a dark border, like MNIST and Fashion-MNIST."""
    sample = x[: min(len(x), 500)].astype(np.float32)
    border = np.concatenate(
        [sample[:, 0].ravel(), sample[:, -1].ravel(), sample[:, :, 0].ravel(), sample[:, :, -1].ravel()]
    )
    return bool(border.mean() < 0.2 * 255 and sample.mean() > border.mean())
