"""Real-photo gap on Fashion-MNIST: the seed's grayscale+invert+resize vs cnnviz's photo pipeline.

Run from the repo root: ``python -m bench.photo_fashion [--quick]``. A small CNN is trained
on 8,000 images of the real Fashion-MNIST test set (../shared/data/fashion); the other 2,000
are re-rendered as photo-like pictures (a dark item on a light, unevenly lit, noisy
background, smaller and off-centre) and classified after each preprocessing. The last line
is the figure. ``--quick`` (the test suite's smoke run) trains one epoch on 500 images and
renders 100, of noise items when the real set is absent.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

FASHION = Path(__file__).resolve().parents[2] / "shared" / "data" / "fashion"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def render_photo_like(item: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 28x28 light-on-black item as an RGB 'photo': dark on light, off-centre, lit unevenly, noisy."""
    height, width = int(rng.integers(150, 200)), int(rng.integers(150, 200))
    size = int(rng.integers(55, 105))
    big = cv2.resize(item.reshape(28, 28), (size, size), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    ink = np.zeros((height, width), np.float32)
    top, left = int(rng.integers(0, height - size)), int(rng.integers(0, width - size))
    ink[top : top + size, left : left + size] = big / 255.0
    background = rng.uniform(170, 245) + np.linspace(-15, 15, width)[None, :] * rng.choice([-1, 1])
    dark = rng.uniform(10, 60)
    gray = background - ink * (background - dark) + rng.normal(0, 6, (height, width))
    return np.repeat(np.clip(gray, 0, 255).astype(np.uint8)[..., None], 3, axis=2)


def naive(photo: np.ndarray) -> np.ndarray:
    """The seed report's preprocessing: grayscale, invert, resize to 28x28."""
    gray = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)
    return cv2.resize(255 - gray, (28, 28))[..., None]


def cnnviz_pipeline(photo: np.ndarray) -> np.ndarray:
    """cnnviz's preprocessing for a light-on-dark 28x28 grayscale run, from encoded PNG bytes."""
    from cnnviz.photos.prepare import InputSpec, prepare_photo

    encoded = cv2.imencode(".png", cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))[1].tobytes()
    return prepare_photo(encoded, InputSpec(28, 28, 1, 1 / 255, True)).image


def train_model(x: np.ndarray, y: np.ndarray, epochs: int):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(64, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x / 255.0, y, epochs=epochs, batch_size=64, verbose=0)
    return model


def accuracy(model, x: np.ndarray, y: np.ndarray) -> float:
    return float((model.predict(x / 255.0, verbose=0).argmax(axis=1) == y).mean())


def fashion_items(quick: bool) -> tuple[np.ndarray, np.ndarray]:
    """The real Fashion-MNIST test set, or (quick run only) noise items when it is absent."""
    from cnnviz.data.formats import load_idx_pair

    if FASHION.is_dir():
        return load_idx_pair(FASHION)
    if not quick:
        sys.exit(f"REAL DATA ABSENT: {FASHION} not found")
    print(f"REAL DATA ABSENT: {FASHION} not found; using noise items instead")
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (600, 28, 28, 1), dtype=np.uint8), rng.integers(0, 10, 600)


def main(x: np.ndarray, y: np.ndarray, train: int = 8000, held_out: int = 2000, epochs: int = 6) -> None:
    started = time.perf_counter()
    model = train_model(x[:train].astype(np.float32), y[:train], epochs)
    print(f"trained on {train} images in {time.perf_counter() - started:.0f} s")
    rng = np.random.default_rng(0)
    x, y = x[train : train + held_out], y[train : train + held_out]
    photos = [render_photo_like(item, rng) for item in x]
    started = time.perf_counter()
    prepared = np.stack([cnnviz_pipeline(p) for p in photos]).astype(np.float32)
    per_photo = (time.perf_counter() - started) / len(photos) * 1000
    clean = accuracy(model, x.astype(np.float32), y)
    seed = accuracy(model, np.stack([naive(p) for p in photos]).astype(np.float32), y)
    ours = accuracy(model, prepared, y)
    print(f"cnnviz preprocessing: {per_photo:.1f} ms per photo")
    print(f"photo-like Fashion-MNIST ({len(photos)} images), naive grayscale+invert+resize: {seed:.1%}")
    print(f"photo-like Fashion-MNIST ({len(photos)} images), cnnviz pipeline: {ours:.1%} "
          f"(naive {seed:.1%}, clean test images {clean:.1%})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    quick = parser.parse_args().quick
    main(*fashion_items(quick), **({"train": 500, "held_out": 100, "epochs": 1} if quick else {}))
