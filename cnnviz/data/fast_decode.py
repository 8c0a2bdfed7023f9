"""Fast decoding of a folder's images: plain JPEG/PNG with OpenCV in threads, the rest with PIL.

A file counts as plain when its first bytes show an 8-bit JPEG with 1 or 3 colour components
and no EXIF rotation, or an 8-bit grey or RGB PNG without transparency or animation, and it
is complete (it ends as its format says). OpenCV decodes those straight to RGB or grey (the
same libjpeg and ITU-R 601 luma PIL uses) and resizes them as PIL's antialiased bilinear
resize does, to within a grey level on average (``resize_like_pil``); OpenCV releases the
GIL, so the threads decode in parallel.
Everything else (EXIF orientation, CMYK, 16-bit, palette, transparency, truncated files,
other formats, odd files) and any file OpenCV fails on goes through ``cnnviz.data.images``
exactly as before, so skip reasons stay the same. Every image is written straight into one
preallocated array: no per-image list to stack afterwards.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from cnnviz.data.images import MAX_PIXELS, ImageError, load_image_array
from cnnviz.i18n import N_, LazyText, later

Progress = Callable[[int, int], None]  # (files done, files in all)
Decoded = np.ndarray | LazyText  # the image, or why the file was skipped (translated when shown)
HEADER_BYTES = 65536
FILES_PER_TASK = 16
JPEG_START = b"\xff\xd8"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BASELINE_AND_PROGRESSIVE_SOF = (0xC0, 0xC1, 0xC2)  # Huffman-coded frames libjpeg decodes as PIL does
OTHER_SOF = (0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF)
ORIENTATION_TAG = 0x0112
PLAIN_PNG_COLOUR_TYPES = (0, 2)  # grey, RGB (palette, alpha: PIL)
PNG_EXTRA_CHUNKS = (b"tRNS", b"acTL", b"eXIf")  # transparency, animation, EXIF: PIL
REDUCING_GAP = 3.0  # as cnnviz.data.images.to_array asks PIL: a box reduction first when shrinking 6x or more
TRIANGLE_AS_GAUSSIAN = 0.425  # sigma per unit of sqrt(scale^2 - 1): PIL's triangle filter minus what linear adds


def exif_orientation(tiff: bytes) -> int:
    """The orientation tag of an EXIF block's first IFD (1 = upright, also when absent or unreadable)."""
    order = {b"II": "little", b"MM": "big"}.get(tiff[:2])
    if order is None or len(tiff) < 8:
        return 1
    offset = int.from_bytes(tiff[4:8], order)
    count = int.from_bytes(tiff[offset:offset + 2], order)
    for entry in range(offset + 2, offset + 2 + 12 * count, 12):
        if int.from_bytes(tiff[entry:entry + 2], order) == ORIENTATION_TAG:
            return int.from_bytes(tiff[entry + 8:entry + 10], order) or 1
    return 1


def _jpeg_is_plain(head: bytes) -> bool:
    position = 2
    while position + 4 <= len(head):
        if head[position] != 0xFF:
            return False
        marker = head[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        length = int.from_bytes(head[position + 2:position + 4], "big")
        segment = head[position + 4:position + 2 + length]
        if marker == 0xE1 and segment.startswith(b"Exif\x00\x00") and exif_orientation(segment[6:]) != 1:
            return False
        if marker in BASELINE_AND_PROGRESSIVE_SOF:
            height, width = int.from_bytes(segment[1:3], "big"), int.from_bytes(segment[3:5], "big")
            return segment[0] == 8 and segment[5:6] in (b"\x01", b"\x03") and 0 < height * width <= MAX_PIXELS
        if marker in OTHER_SOF or marker == 0xDA:  # a rare coding, or image data before any frame header
            return False
        position += 2 + length
    return False  # header longer than HEADER_BYTES: let PIL read it


def _png_is_plain(head: bytes) -> bool:
    if head[12:16] != b"IHDR":
        return False
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    bit_depth, colour_type = head[24], head[25]
    if bit_depth != 8 or colour_type not in PLAIN_PNG_COLOUR_TYPES or not 0 < width * height <= MAX_PIXELS:
        return False
    position = 8
    while position + 8 <= len(head):
        kind = head[position + 4:position + 8]
        if kind in PNG_EXTRA_CHUNKS:
            return False
        if kind == b"IDAT":
            return True
        position += 12 + int.from_bytes(head[position:position + 4], "big")
    return False


def is_plain(head: bytes) -> bool:
    """True when a file starting with ``head`` is a JPEG or PNG that OpenCV decodes as PIL would."""
    if head.startswith(JPEG_START):
        return _jpeg_is_plain(head)
    if head.startswith(PNG_SIGNATURE) and len(head) >= 26:
        return _png_is_plain(head)
    return False


def is_complete(data: bytes) -> bool:
    """True when a JPEG ends with its end-of-image marker, or a PNG with its IEND chunk.

    OpenCV returns the decoded part of a truncated file; PIL refuses it, and says why.
    """
    if data.startswith(JPEG_START):
        return data.rstrip(b"\x00").endswith(b"\xff\xd9")
    return b"IEND" in data[-16:]


def pil_decode(path: Path, image_size: int, color_mode: str) -> Decoded:
    """One file through PIL: the image, or the reason it is skipped."""
    try:
        return load_image_array(path, (image_size, image_size), color_mode)
    except ImageError as error:
        return error.reason
    except OSError as error:
        return later(N_("cannot be read ({error})"), error=str(error))


def opencv_decode(data: bytes, image_size: int, color_mode: str) -> np.ndarray | None:
    """A plain, complete JPEG or PNG as a uint8 (size, size, C) image; None leaves the file to PIL."""
    if not (is_plain(data[:HEADER_BYTES]) and is_complete(data)):
        return None
    flag = cv2.IMREAD_GRAYSCALE if color_mode == "grayscale" else cv2.IMREAD_COLOR_RGB
    image = cv2.imdecode(np.frombuffer(data, np.uint8), flag)
    if image is None:
        return None
    return resize_like_pil(image, image_size).reshape(image_size, image_size, -1)


def _blur_sigma(scale: float) -> float:
    return TRIANGLE_AS_GAUSSIAN * math.sqrt(scale * scale - 1) if scale > 1 else 0.01


def _kernel_size(sigma: float) -> int:
    """Taps out to 2 sigma (OpenCV's default goes to 3): a third cheaper, as close to PIL."""
    return 2 * max(1, round(2 * sigma)) + 1


def resize_like_pil(image: np.ndarray, size: int) -> np.ndarray:
    """``image`` resized to size x size as PIL's BILINEAR with reducing_gap=3 does, in OpenCV.

    PIL shrinks with a triangle filter as wide as the scale (after a box reduction by whole
    factors); a Gaussian blur of matching width followed by a plain bilinear resize comes
    within a grey level of it on photos, at a fraction of the cost and without the GIL.
    """
    height, width = image.shape[:2]
    box_x, box_y = max(1, int(width / size / REDUCING_GAP)), max(1, int(height / size / REDUCING_GAP))
    if box_x > 1 or box_y > 1:
        image = cv2.resize(image, (math.ceil(width / box_x), math.ceil(height / box_y)), interpolation=cv2.INTER_AREA)
        height, width = image.shape[:2]
    if width > size or height > size:
        sigma_x, sigma_y = _blur_sigma(width / size), _blur_sigma(height / size)
        image = cv2.GaussianBlur(image, (_kernel_size(sigma_x), _kernel_size(sigma_y)), sigmaX=sigma_x, sigmaY=sigma_y)
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_LINEAR)


@dataclass
class DecodedFiles:
    """Every file's image, in order (a skipped file's slot is left zero), and why files were skipped."""

    images: np.ndarray  # uint8 (files, size, size, channels)
    skipped: dict[int, LazyText]  # file index -> reason, translated when shown

    def kept(self) -> list[int]:
        """Indices of the files that were decoded."""
        return [index for index in range(len(self.images)) if index not in self.skipped]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""  # PIL reports why it cannot be read


def _decode_into(decoded: DecodedFiles, paths: Sequence[Path], indices: range, color_mode: str) -> int:
    """Decode the files at ``indices`` into ``decoded``; returns how many files were handled."""
    image_size = decoded.images.shape[1]
    for index in indices:
        image = opencv_decode(_read(paths[index]), image_size, color_mode)
        if image is None:
            image = pil_decode(paths[index], image_size, color_mode)
        if isinstance(image, LazyText):
            decoded.skipped[index] = image  # distinct keys: safe from several threads
        else:
            decoded.images[index] = image
    return len(indices)


def decode_files(
    paths: Sequence[Path], image_size: int, color_mode: str, progress: Progress | None = None
) -> DecodedFiles:
    """Every file decoded in parallel threads; ``progress(done, total)`` as groups of files finish."""
    report = progress or (lambda done, total: None)
    total = len(paths)
    channels = 1 if color_mode == "grayscale" else 3
    decoded = DecodedFiles(np.zeros((total, image_size, image_size, channels), np.uint8), {})
    groups = [range(start, min(start + FILES_PER_TASK, total)) for start in range(0, total, FILES_PER_TASK)]
    done = 0
    with ThreadPoolExecutor(max_workers=len(os.sched_getaffinity(0)) + 1) as pool:
        tasks = [pool.submit(_decode_into, decoded, paths, group, color_mode) for group in groups]
        for task in as_completed(tasks):
            done += task.result()
            report(done, total)
    return decoded
