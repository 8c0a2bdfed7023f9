"""Epoch time of cnnviz's folder pipeline against Keras 2's ImageDataGenerator.

Run from the repo root: ``python -m bench.folder_pipeline [epochs] [--quick]``. The data is
the real Animals-10 sample in ``../shared/data/animals10_small`` (220 photos, 10 class
folders) at 150x150, batch 20, as in the Animals-10 seed. ``--quick`` (the test suite's smoke
run) times 2 epochs, on 40 generated noise images when the real sample is absent.

- cnnviz: the folder is loaded through the registry once (``DatasetSpec(source="folder")``:
  every photo decoded and resized one time), then ``make_pipeline`` over ALL its images
  (train, val and test splits together, so both sides read the same 220 images).
- ImageDataGenerator: ``ImageDataGenerator(rescale=1/255).flow_from_directory`` from
  ``tf_keras`` (dev-only), which decodes and resizes every file again in every epoch.

Each side just iterates full epochs of batches (no model is fed, so only the input
pipeline is measured). Epoch 1 is left out (warm-up; cnnviz's one-off load is printed on
its own). The LAST line is the ratio of the median epoch times of epochs 2+ (target >= 3).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

FOLDER = Path(__file__).resolve().parents[2] / "shared" / "data" / "animals10_small"
SIZE, BATCH = 150, 20


def epoch_seconds(make_epoch, epochs: int) -> list[float]:
    """Seconds per full pass, one entry per epoch."""
    seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        images = make_epoch()
        seconds.append(time.perf_counter() - start)
    print(f"  {images} images per epoch")
    return seconds


def cnnviz_epochs(folder: Path, epochs: int) -> list[float]:
    from cnnviz.data.dataset import DatasetSpec, Split
    from cnnviz.data.pipeline import make_pipeline
    from cnnviz.data.registry import load_dataset

    start = time.perf_counter()
    dataset = load_dataset(DatasetSpec(source="folder", path=str(folder), image_size=SIZE))
    print(f"cnnviz: one-off load and decode {time.perf_counter() - start:.2f} s")
    parts = dataset.splits().values()
    everything = Split(np.concatenate([s.x for s in parts]), np.concatenate([s.y for s in parts]))
    pipeline = make_pipeline(everything, BATCH, training=True, seed=0)
    return epoch_seconds(lambda: sum(int(x.shape[0]) for x, _ in pipeline), epochs)


def generator_epochs(folder: Path, epochs: int) -> list[float]:
    from tf_keras.preprocessing.image import ImageDataGenerator

    flow = ImageDataGenerator(rescale=1 / 255).flow_from_directory(
        str(folder), target_size=(SIZE, SIZE), batch_size=BATCH, class_mode="sparse", seed=0
    )
    return epoch_seconds(lambda: sum(flow[i][0].shape[0] for i in range(len(flow))), epochs)


def noise_folder(root: Path, classes: int = 2, per_class: int = 20) -> Path:
    """Class folders of random PNGs: the quick run's stand-in when the real sample is absent."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for label in range(classes):
        (root / f"class{label}").mkdir()
        for index in range(per_class):
            pixels = rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / f"class{label}" / f"{index}.png")
    return root


def main(folder: Path, epochs: int = 4) -> None:
    cnnviz = cnnviz_epochs(folder, epochs)
    print("cnnviz epochs (s):", " ".join(f"{s:.3f}" for s in cnnviz))
    print("ImageDataGenerator.flow_from_directory:")
    generator = generator_epochs(folder, epochs)
    print("ImageDataGenerator epochs (s):", " ".join(f"{s:.3f}" for s in generator))
    ours, theirs = statistics.median(cnnviz[1:]), statistics.median(generator[1:])
    print(f"median epoch time, epochs 2+: cnnviz {ours:.3f} s, ImageDataGenerator {theirs:.3f} s")
    print(f"speedup vs ImageDataGenerator: {theirs / ours:.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("epochs", type=int, nargs="?", default=4, help="epochs per side (default 4)")
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    args = parser.parse_args()
    if FOLDER.is_dir():
        main(FOLDER, 2 if args.quick else args.epochs)
    elif args.quick:
        print(f"REAL DATA ABSENT: {FOLDER} not found; timing generated noise images instead")
        with tempfile.TemporaryDirectory() as scratch:
            main(noise_folder(Path(scratch)), 2)
    else:
        sys.exit(f"REAL DATA ABSENT: {FOLDER} not found")
