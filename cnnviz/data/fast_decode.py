"""Fast decoding of a folder's images: plain JPEG/PNG in a parallel tf.data map, the rest with PIL.

A file counts as plain when its first bytes show an 8-bit JPEG with 1 or 3 colour components
and no EXIF rotation, or an 8-bit grey or RGB PNG without transparency or animation.
TensorFlow decodes those and resizes them as PIL does (grey conversion first, then an
antialiased bilinear resize). Everything else (EXIF orientation, CMYK, 16-bit, palette,
transparency, other formats, odd files) and any file TensorFlow fails on goes through
``cnnviz.data.images`` exactly as before, so skip reasons stay the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from cnnviz.data.images import MAX_PIXELS, ImageError, load_image_array
from cnnviz.i18n import N_, LazyText, later

Progress = Callable[[int, int], None]  # (files done, files in all)
Decoded = np.ndarray | LazyText  # the image, or why the file was skipped (translated when shown)
HEADER_BYTES = 65536
TF_BATCH = 64
JPEG_START = b"\xff\xd8"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BASELINE_AND_PROGRESSIVE_SOF = (0xC0, 0xC1, 0xC2)  # Huffman-coded frames TensorFlow decodes
OTHER_SOF = (0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF)
ORIENTATION_TAG = 0x0112
PLAIN_PNG_COLOUR_TYPES = (0, 2)  # grey, RGB (palette, alpha: PIL)
PNG_EXTRA_CHUNKS = (b"tRNS", b"acTL", b"eXIf")  # transparency, animation, EXIF: PIL


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
    """True when a file starting with ``head`` is a JPEG or PNG that TensorFlow decodes as PIL would."""
    if head.startswith(JPEG_START):
        return _jpeg_is_plain(head)
    if head.startswith(PNG_SIGNATURE) and len(head) >= 26:
        return _png_is_plain(head)
    return False


def _read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(HEADER_BYTES)
    except OSError:
        return b""  # PIL reports why it cannot be read


def pil_decode(path: Path, image_size: int, color_mode: str) -> Decoded:
    """One file through PIL: the image, or the reason it is skipped."""
    try:
        return load_image_array(path, (image_size, image_size), color_mode)
    except ImageError as error:
        return error.reason
    except OSError as error:
        return later(N_("cannot be read ({error})"), error=str(error))


def _tf_dataset(paths: Sequence[Path], image_size: int, color_mode: str):
    """(index, uint8 image) for each path, decoded in parallel; files TensorFlow fails on are dropped."""
    import tensorflow as tf

    def decode(index, path):
        image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
        image = tf.cast(image, tf.float32)
        if color_mode == "grayscale":
            image = tf.round(tf.image.rgb_to_grayscale(image))  # PIL converts to L before resizing
        image = tf.image.resize(image, (image_size, image_size), method="bilinear", antialias=True)
        return index, tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8)

    names = [str(path) for path in paths]
    dataset = tf.data.Dataset.from_tensor_slices((np.arange(len(names)), names))
    # indices travel with the images, so files may finish in any order
    dataset = dataset.map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=False).ignore_errors()
    return dataset.batch(TF_BATCH).prefetch(tf.data.AUTOTUNE)


def decode_files(
    paths: Sequence[Path], image_size: int, color_mode: str, progress: Progress | None = None
) -> list[Decoded]:
    """Each file as a uint8 (size, size, C) image or a skip reason, in order; ``progress(done, total)``."""
    report = progress or (lambda done, total: None)
    total = len(paths)
    with ThreadPoolExecutor() as pool:
        heads = list(pool.map(_read_head, paths))
    plain = [i for i, head in enumerate(heads) if is_plain(head)]
    results: list[Decoded | None] = [None] * total
    done = 0
    if plain:
        for indices, images in _tf_dataset([paths[i] for i in plain], image_size, color_mode).as_numpy_iterator():
            for index, image in zip(indices, images):
                results[plain[index]] = image
            done += len(indices)
            report(done, total)
    rest = [i for i, result in enumerate(results) if result is None]
    with ThreadPoolExecutor() as pool:
        for index, result in zip(rest, pool.map(lambda i: pil_decode(paths[i], image_size, color_mode), rest)):
            results[index] = result
            done += 1
            if done % TF_BATCH == 0 or done == total:
                report(done, total)
    return results  # type: ignore[return-value]
