"""A dataset's decoded size, estimated before anything is decoded or allocated.

Shapes: count x image bytes; folders and zips: image files x image bytes (a zip's members
are counted in its directory, without extracting it); Keras' datasets: their known sizes;
.npz and IDX files: the bytes of the arrays they store. Each source names its estimate
(``cnnviz.data.registry.Source.estimate``); ``check_size`` checks it against the limits.
"""

from __future__ import annotations

import gzip
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cnnviz.data.folders import image_files_below, visible_children
from cnnviz.data.images import is_image_file
from cnnviz.i18n import _
from cnnviz.limits import LimitExceeded, at_most, check_dataset_bytes, limits

KERAS_IMAGES = {"mnist": (70_000, 28 * 28), "fashion_mnist": (70_000, 28 * 28), "cifar10": (60_000, 32 * 32 * 3)}
IDX_ITEM_BYTES = {0x08: 1, 0x09: 1, 0x0B: 2, 0x0C: 4, 0x0D: 4, 0x0E: 8}  # by the IDX type code


def check_size(spec, estimate: Callable[[Any], int], resized: bool) -> int:
    """The spec's estimated decoded bytes (its source's ``estimate``), after checking them, and for a source
    that decodes at the spec's size (``resized``) its image size, against the limits.

    ``spec`` is a DatasetSpec whose path, if any, has passed ``roots.check_readable``.
    Raises LimitExceeded.
    """
    if resized:
        at_most(spec.image_size, limits().image_size, _("The image size"))
    estimated = estimate(spec)
    check_dataset_bytes(estimated, Path(spec.path).name or spec.source)
    if spec.source == "zip":  # a zip's own check: its images against its size
        _check_expansion(Path(spec.path), estimated)
    return estimated


def image_bytes(spec) -> int:
    """Bytes of one decoded image of the spec (uint8, square)."""
    channels = 1 if spec.color_mode == "grayscale" else 3
    return spec.image_size * spec.image_size * channels


def shapes_bytes(spec) -> int:
    return max(0, spec.count) * image_bytes(spec)


def keras_bytes(spec) -> int:
    """A Keras dataset's known size."""
    count, size = KERAS_IMAGES[spec.source]
    return count * size


def zip_bytes(spec) -> int:
    return zip_image_count(Path(spec.path)) * image_bytes(spec)


def folder_bytes(spec) -> int:
    return folder_image_count(Path(spec.path)) * image_bytes(spec)


def npz_bytes(spec) -> int:
    """The uncompressed bytes of an .npz's arrays, from its zip directory."""
    try:
        with zipfile.ZipFile(Path(spec.path)) as opened:
            return sum(member.file_size for member in opened.infolist())
    except (OSError, zipfile.BadZipFile):
        return 0


def idx_bytes(spec) -> int:
    """The bytes of the IDX files the path names (a gzipped file's size is read from its trailer)."""
    path = Path(spec.path)
    files = [p for p in path.iterdir() if p.is_file()] if path.is_dir() else [path]
    return sum(_unpacked_size(file) for file in files if "idx" in file.name)


def folder_image_count(root: Path) -> int:
    """Image files below a folder (0 when it is not one)."""
    if not root.is_dir():
        return 0
    flat = sum(1 for child in visible_children(root) if child.is_file() and is_image_file(child))
    return flat + sum(len(image_files_below(child)) for child in visible_children(root) if child.is_dir())


def zip_image_count(archive: Path) -> int:
    """Image members of a zip, read from its directory (0 when it is not a readable zip)."""
    try:
        with zipfile.ZipFile(archive) as opened:
            return sum(1 for member in opened.infolist() if not member.is_dir() and is_image_file(Path(member.filename)))
    except (OSError, zipfile.BadZipFile):
        return 0


def _check_expansion(archive: Path, estimated: int) -> None:
    """Refuse a zip whose decoded images would be far bigger than the zip (tiny images blown up)."""
    ratio = limits().zip_expansion
    size = archive.stat().st_size if archive.is_file() else 0
    if size and estimated > ratio * size:
        raise LimitExceeded(
            _("{name}'s images would take {times:,.0f} times the zip's size once decoded; this server allows "
              "{limit}. Use smaller images.").format(name=archive.name, times=estimated / size, limit=ratio)
        )


def _unpacked_size(file: Path) -> int:
    """The bytes an IDX file's header declares (its dimensions times the item size), gzipped or not."""
    opener = gzip.open if file.suffix == ".gz" else open
    try:
        with opener(file, "rb") as stream:
            _zero, kind, dimensions = struct.unpack(">HBB", stream.read(4))
            shape = struct.unpack(f">{dimensions}I", stream.read(4 * dimensions))
    except (OSError, struct.error):
        return 0  # not an IDX file: the loader says so
    count = 1
    for size in shape:
        count *= size
    return count * IDX_ITEM_BYTES.get(kind, 8)
