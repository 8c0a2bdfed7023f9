"""How fast the Augment page's preview appears once TensorFlow is loaded.

Run from the repo root: ``python -m bench.augment_preview [--quick]``. A 150x150 photo (a real one
from ../shared/data when present) is augmented 16 times with the "weather" preset: as one
batch through ``augment_grid`` (what the page does) and, side by side, one image per call.
The per-transform strips are timed too. The last line is the figure (target: well under
1000 ms). ``--quick`` (the test suite's smoke run) augments 4 images, timed once each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "data" / "cats_dogs_small"
SIZE = 150


def test_image() -> np.ndarray:
    from cnnviz.data.images import load_image_array

    photos = sorted(PHOTOS.glob("*/*.jpg"))
    if photos:
        return load_image_array(photos[0], (SIZE, SIZE), "rgb")
    print(f"{PHOTOS} absent: using a random image")
    return np.random.default_rng(0).integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)


def median_ms(work: Callable[[], object], repeats: int) -> float:
    """Median wall time of a few calls after one warm-up call."""
    work()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(count: int = 16, repeats: int = 5) -> None:
    start = time.perf_counter()
    import tensorflow  # noqa: F401  (the page's figure is "after TensorFlow is loaded")

    from cnnviz.data.augmentation import PRESETS, augment_grid, transform_strips

    print(f"TensorFlow import: {time.perf_counter() - start:.1f} s")
    image, config = test_image(), PRESETS["weather"]
    one_by_one = median_ms(lambda: [augment_grid(image, config, 1, seed) for seed in range(count)], repeats)
    strips = median_ms(lambda: transform_strips(image, config), repeats)
    batched = median_ms(lambda: augment_grid(image, config, count, seed=0), repeats)
    print(f"one image per call, {count} calls ms: {one_by_one:.0f}")
    print(f"per-transform strips (9 rows) ms: {strips:.0f}")
    print(f"batched speed-up: {one_by_one / batched:.1f}x")
    print(f"augment grid ms: {batched:.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    main(*((4, 1) if parser.parse_args().quick else ()))
