"""Filter patterns: cnnviz against the Keras examples' recipe, in the same run.

16 filters of the third conv layer of the Animals-10 model (150x150, untrained: fixed seed).
The reference is the "Visualizing what convnets learn" example: the model cut at the layer,
one filter at a time, 30 steps of L2-normalised gradient ascent at step size 10, each step a
``tf.function``, on grey noise in the [0, 1] input range our models take. cnnviz optimises all
16 at once with its default settings. Both are scored the same way (``filter_response``: a
filter's mean response before its ReLU over the cropped map, generated image vs its own
starting noise), and every filter must reach the 10x bar. Each side is timed in wall-clock
and in process CPU seconds; the machine is shared, so the LAST line, the speed-up, uses CPU
seconds (the work done), which other processes disturb far less than wall-clock time.
Run from the repo root: ``python -m bench.filters [--skip-reference] [--quick]``; ``--quick`` (the
test suite's smoke run) does 2 filters, 3 steps a side, at 64x64.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from cnnviz.models.architectures import build_model  # noqa: E402
from cnnviz.explain.filters import (  # noqa: E402
    QUALITY_BAR, FilterSettings, filter_patterns, filter_response, pattern_layers, response_gain,
    starting_noise,
)

SIZE, FILTERS, STEPS, STEP_SIZE = 150, 16, 30, 10.0


def reference(model: keras.Model, layer_name: str, noise: np.ndarray, steps: int) -> tuple[np.ndarray, Timer]:
    """The Keras example's loop, one filter at a time: the raw optimised images and timing.

    The filter index is passed as a tensor, so the step is traced once (the example's Python
    int retraces it for every filter): a slightly faster reference than the original.
    """
    layer = model.get_layer(layer_name)
    extractor = keras.Model(model.inputs, layer.output)

    @tf.function
    def step(image: tf.Tensor, filter_index: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            tape.watch(image)
            loss = tf.reduce_mean(extractor(image)[:, 2:-2, 2:-2, filter_index])
        return image + STEP_SIZE * tf.math.l2_normalize(tape.gradient(loss, image))

    step(tf.constant(noise[:1]), tf.constant(0))  # trace once, outside the timing
    results = []
    timer = Timer()
    for index in range(len(noise)):
        image = tf.constant(noise[index : index + 1])
        for _ in range(steps):
            image = step(image, tf.constant(index))
        results.append(image.numpy()[0])
    return np.stack(results), timer.stop()


class Timer:
    """Wall-clock and process CPU seconds from creation to ``stop()``."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def stop(self) -> Timer:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu
        return self


def report(name: str, gains: np.ndarray, timer: Timer) -> None:
    print(f"{name}: {timer.wall:.1f} s wall, {timer.cpu:.1f} s CPU, gain min {gains.min():.1f} median {np.median(gains):.1f}, "
          f"{int((gains >= QUALITY_BAR).sum())}/{len(gains)} filters >= {QUALITY_BAR:.0f}x")


def main(
    settings: FilterSettings, count: int = FILTERS, steps: int = STEPS, skip_reference: bool = False
) -> None:
    """``count`` filters: cnnviz with ``settings``, the reference with ``steps`` steps each."""
    keras.utils.set_random_seed(0)
    size = settings.image_size
    model = build_model("animals10", (size, size, 3), 10)
    layer_name = pattern_layers(model)[2].name
    print(f"layer {layer_name}, {count} filters at {size}x{size}; cnnviz settings {settings}")
    filter_patterns(model, layer_name, [0], FilterSettings(steps=2, image_size=32))  # compile both
    filters = list(range(count))
    timer = Timer()
    patterns = filter_patterns(model, layer_name, filters, settings)
    ours = timer.stop()
    report("cnnviz", np.array([p.gain for p in patterns]), ours)
    if skip_reference:
        return
    noise = starting_noise(count, settings, 3)
    images, theirs = reference(model, layer_name, noise, steps)
    gains = response_gain(filter_response(model, layer_name, images, filters),
                          filter_response(model, layer_name, noise, filters))
    report("reference", gains, theirs)
    print(f"wall-clock speedup (noisy on a shared machine): {theirs.wall / ours.wall:.2f}")
    print(f"speedup vs reference loop: {theirs.cpu / ours.cpu:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--skip-reference", action="store_true", help="time cnnviz only")
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    args = parser.parse_args()
    if args.quick:
        main(FilterSettings(image_size=64, steps=3), count=2, steps=3, skip_reference=args.skip_reference)
    else:
        main(FilterSettings(image_size=SIZE), skip_reference=args.skip_reference)
