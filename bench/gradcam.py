"""Grad-CAM for one image, end to end, on the Animals-10 model at 150x150 (target <= 50 ms).

From a decoded photo (a real Animals-10 file when ../shared/data is there, else noise) resized
to the model's input, to the coloured overlay: ``gradcam_overlay`` after a warm-up call, which
compiles and caches the gradient function. Also prints the eager (uncompiled) heatmap time
for comparison. The LAST line is the median time per image.
Run from the repo root: ``python -m bench.gradcam [repeats] [--quick]``; ``--quick`` (the test
suite's smoke run) times 3 runs.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from cnnviz.models.architectures import build_model  # noqa: E402
from cnnviz.explain.gradcam import gradcam_overlay  # noqa: E402
from cnnviz.data.images import is_image_file, load_image_array  # noqa: E402

SIZE = 150
PHOTOS = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "animals10_small"


def a_photo() -> tuple[np.ndarray, str]:
    files = sorted(p for p in PHOTOS.rglob("*") if is_image_file(p)) if PHOTOS.is_dir() else []
    if files:
        return load_image_array(files[0], (SIZE, SIZE)), files[0].name
    return np.random.default_rng(0).integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8), "noise (no shared data)"


def eager_heatmap_ms(model: keras.Model, image: np.ndarray, repeats: int) -> float:
    """The textbook eager Grad-CAM (Keras example style), for comparison."""
    grad_model = keras.Model(model.inputs, [model.get_layer("block5_conv").output, model.output])
    batch = tf.constant(image[np.newaxis] / 255.0, tf.float32)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        with tf.GradientTape() as tape:
            features, predictions = grad_model(batch)
            score = predictions[:, tf.argmax(predictions[0])]
        weights = tf.reduce_mean(tape.gradient(score, features), axis=(1, 2))
        tf.nn.relu(tf.reduce_sum(features * weights[:, None, None, :], axis=-1)).numpy()
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def main(repeats: int = 30, eager_repeats: int = 5) -> None:
    keras.utils.set_random_seed(0)
    model = build_model("animals10", (SIZE, SIZE, 3), 10)
    image, name = a_photo()
    gradcam_overlay(model, image)  # warm-up: trace and cache the compiled function
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = gradcam_overlay(model, image)
        times.append(time.perf_counter() - start)
    assert result.overlay.shape == (SIZE, SIZE, 3)
    print(f"image {name}; layer {result.layer_name}; {repeats} runs after warm-up")
    print(f"eager heatmap only (Keras example style): {eager_heatmap_ms(model, image, eager_repeats):.1f} ms")
    print(f"min {1000 * min(times):.1f} ms, mean {1000 * np.mean(times):.1f} ms")
    print(f"gradcam ms per image: {1000 * float(np.median(times)):.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("repeats", type=int, nargs="?", default=30, help="timed runs (default 30)")
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    args = parser.parse_args()
    main(*((3, 2) if args.quick else (args.repeats,)))
