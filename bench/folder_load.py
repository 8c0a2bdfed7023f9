"""Files per second loading a folder of JPEGs: cnnviz against Keras' ``image_dataset_from_directory``.

Run from the repo root: ``python -m bench.folder_load [rounds] [--quick]``. The folder holds
3,000 JPEGs in 10 class folders: the real Animals-10 sample in ``../shared/data/animals10_small``
(220 photos) copied over and over (generated noise JPEGs when the sample is absent); both sides
resize to 150x150 RGB. ``--quick`` (the test suite's smoke run) uses 120 files and 1 round.

- cnnviz: ``load_dataset(DatasetSpec(source="folder"))``: every file decoded, resized and
  split into train/val/test, as the Data page loads a folder.
- Keras: ``keras.utils.image_dataset_from_directory`` and one full pass over its batches
  (listing, reading, decoding and resizing every file once).

The two alternate, round after round, in one process (the first round of each is a warm-up
and not counted). The LAST line is the ratio of cnnviz's files per second to Keras'
(median over the rounds; target >= 0.8).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "animals10_small"
SIZE, CLASSES = 150, 10


def build_folder(root: Path, files: int) -> Path:
    """``files`` JPEGs in CLASSES class folders: copies of the real sample, else noise."""
    sources = sorted(SAMPLE.rglob("*.jp*g")) if SAMPLE.is_dir() else []
    rng = np.random.default_rng(0)
    for index in range(files):
        folder = root / f"class{index % CLASSES}"
        folder.mkdir(exist_ok=True)
        target = folder / f"{index}.jpg"
        if sources:
            shutil.copyfile(sources[index % len(sources)], target)
        else:
            from PIL import Image

            Image.fromarray(rng.integers(0, 256, (200, 260, 3), dtype=np.uint8)).save(target, quality=90)
    return root


def cnnviz_seconds(folder: Path) -> float:
    from cnnviz.data.dataset import DatasetSpec
    from cnnviz.data.registry import load_dataset

    start = time.perf_counter()
    load_dataset(DatasetSpec(source="folder", path=str(folder), image_size=SIZE))
    return time.perf_counter() - start


def keras_seconds(folder: Path) -> float:
    import keras

    start = time.perf_counter()
    dataset = keras.utils.image_dataset_from_directory(
        str(folder), image_size=(SIZE, SIZE), batch_size=64, shuffle=False, verbose=False
    )
    for _batch in dataset:
        pass
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rounds", nargs="?", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="120 files, 1 round: a seconds-long smoke run")
    args = parser.parse_args()
    files, rounds = (120, 1) if args.quick else (3000, args.rounds)
    with tempfile.TemporaryDirectory() as tmp:
        folder = build_folder(Path(tmp), files)
        print(f"{files} JPEGs in {CLASSES} class folders at {SIZE}x{SIZE} ({'sample copies' if SAMPLE.is_dir() else 'noise'})")
        cnnviz_seconds(folder), keras_seconds(folder)  # warm-up: imports, TensorFlow's first graph
        timings: dict[str, list[float]] = {"cnnviz": [], "keras": []}
        for _round in range(rounds):
            timings["cnnviz"].append(cnnviz_seconds(folder))
            timings["keras"].append(keras_seconds(folder))
    rates = {name: files / statistics.median(seconds) for name, seconds in timings.items()}
    for name, rate in rates.items():
        print(f"{name}: {rate:,.0f} files/s (median of {rounds}: {statistics.median(timings[name]):.2f} s)")
    print(f"folder load speed vs keras: {rates['cnnviz'] / rates['keras']:.2f}")


if __name__ == "__main__":
    main()
