"""A dataset's decoded size, estimated before anything is decoded or allocated.

Shapes: count x image bytes; folders and zips: image files x image bytes (a zip's members
are counted in its directory, without extracting it); Keras' datasets: their known sizes;
.npz and IDX files: the bytes of the arrays they store.
"""

from __future__ import annotations

import gzip
import struct
import zipfile
from pathlib import Path

from cnnviz.data.folders import image_files_below, visible_children
from cnnviz.data.images import is_image_file
from cnnviz.i18n import _
from cnnviz.limits import LimitExceeded, at_most, check_dataset_bytes, limits

KERAS_IMAGES = {"mnist": (70_000, 28 * 28), "fashion_mnist": (70_000, 28 * 28), "cifar10": (60_000, 32 * 32 * 3)}
IDX_ITEM_BYTES = {0x08: 1, 0x09: 1, 0x0B: 2, 0x0C: 4, 0x0D: 4, 0x0E: 8}  # by the IDX type code
RESIZED_SOURCES = ("shapes", "folder", "flat_folder", "zip")  # their images are decoded at spec.image_size


def check_size(spec) -> int:
    """The spec's estimated decoded bytes, after checking them and its image size against the limits.

    ``spec`` is a DatasetSpec whose path, if any, has passed ``roots.check_readable``.
    Raises LimitExceeded.
    """
    if spec.source in RESIZED_SOURCES:
        at_most(spec.image_size, limits().image_size, _("The image size"))
    estimated = estimated_bytes(spec)
    check_dataset_bytes(estimated, Path(spec.path).name or spec.source)
    if spec.source == "zip":
        _check_expansion(Path(spec.path), estimated)
    return estimated


def image_bytes(spec) -> int:
    """Bytes of one decoded image of the spec (uint8, square)."""
    channels = 1 if spec.color_mode == "grayscale" else 3
    return spec.image_size * spec.image_size * channels


def estimated_bytes(spec) -> int:
    """Decoded bytes of the spec's images (0 for a source this module cannot size)."""
    if spec.source == "shapes":
        return max(0, spec.count) * image_bytes(spec)
    if spec.source in KERAS_IMAGES:
        count, size = KERAS_IMAGES[spec.source]
        return count * size
    path = Path(spec.path)
    if spec.source == "zip":
        return zip_image_count(path) * image_bytes(spec)
    if spec.source in ("folder", "flat_folder"):
        return folder_image_count(path) * image_bytes(spec)
    if spec.source == "npz":
        return _npz_bytes(path)
    if spec.source == "idx":
        return _idx_bytes(path)
    return 0


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


def _npz_bytes(path: Path) -> int:
    """The uncompressed bytes of an .npz's arrays, from its zip directory."""
    try:
        with zipfile.ZipFile(path) as opened:
            return sum(member.file_size for member in opened.infolist())
    except (OSError, zipfile.BadZipFile):
        return 0


def _idx_bytes(path: Path) -> int:
    """The bytes of the IDX files the path names (a gzipped file's size is read from its trailer)."""
    files = [p for p in path.iterdir() if p.is_file()] if path.is_dir() else [path]
    return sum(_unpacked_size(file) for file in files if "idx" in file.name)


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
