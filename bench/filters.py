"""Filter patterns on TRAINED models: today's recipe, the keras-io reference loop and the new one.

Two small seeded models are trained inside the bench: a ``simple`` model on Shapes and one
on the weather photos in ../shared/data (skipped, said loudly, when absent). For the first
and last conv layer of each, three recipes make the same filters' patterns:

- today: the previous cnnviz recipe (a small canvas tiled up to full size, RMS-normalised
  pixel-space gradient ascent with jitter, 24 steps), kept here for comparison only;
- reference: the keras-io "Visualizing what convnets learn" loop, one filter at a time,
  30 steps of L2-normalised gradient ascent at step size 10 (each step a tf.function);
- new: ``cnnviz.explain.filters.filter_patterns`` with its defaults (Fourier parameters,
  decorrelated colour, transformation robustness, all filters in one compiled batch).

Quality, the same for all three: the response gain (``filter_response`` on the pattern over
that on the near-grey start; bar 10x), the tiling score (``pattern_quality.tiling_score``;
a repeated tile scores ~1, bar 0.8) and the high-frequency power ratio (share above half
Nyquist). The LAST line is the reference's CPU seconds over the new recipe's (process CPU
time: the machine is shared). The three sets of patterns are written side by side to
``bench/out/filters.png``. Run: ``python -m bench.filters [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from PIL import Image  # noqa: E402

from cnnviz.data.dataset import DatasetSpec  # noqa: E402
from cnnviz.data.pipeline import make_pipeline  # noqa: E402
from cnnviz.data.registry import load_dataset, spec_from_name_or_path  # noqa: E402
from cnnviz.explain.activations import labelled_mosaic  # noqa: E402
from cnnviz.explain.filters import (  # noqa: E402
    QUALITY_BAR, FilterSettings, crop_border, deprocess, filter_patterns, filter_response, pattern_layers,
    response_gain, starting_noise,
)
from cnnviz.explain.pattern_quality import TILING_BAR, high_frequency_ratio, tiling_score  # noqa: E402
from cnnviz.models.architectures import build_model  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
WEATHER = REPO_ROOT.parent / "shared" / "data" / "weather_small"
OUT = REPO_ROOT / "bench" / "out" / "filters.png"
REFERENCE_STEPS, REFERENCE_STEP_SIZE = 30, 10.0
TODAY_STEPS, TODAY_CANVAS, TODAY_FULL_SHARE = 24, 0.32, 0.15


@dataclass(frozen=True)
class Plan:
    size: int
    shapes_count: int
    epochs: int
    filters: int
    reference_steps: int
    settings: FilterSettings


FULL = Plan(size=48, shapes_count=1200, epochs=6, filters=16, reference_steps=REFERENCE_STEPS,
            settings=FilterSettings(image_size=48))
QUICK = Plan(size=32, shapes_count=120, epochs=1, filters=2, reference_steps=3,
             settings=FilterSettings(image_size=32, steps=4))


class Timer:
    """Process CPU seconds from creation to ``stop()``."""

    def __init__(self) -> None:
        self.cpu = time.process_time()

    def stop(self) -> float:
        return time.process_time() - self.cpu


def trained(spec: DatasetSpec, plan: Plan) -> keras.Model:
    """A ``simple`` model trained on the dataset, seeded."""
    dataset = load_dataset(spec)
    keras.utils.set_random_seed(0)
    model = build_model("simple", dataset.image_shape, dataset.num_classes)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
    model.fit(make_pipeline(dataset.train, 32, training=True, seed=0), epochs=plan.epochs, verbose=0)
    return model


def reference_step(model: keras.Model, layer_name: str) -> tf.types.experimental.PolymorphicFunction:
    """The keras-io step (the filter index a tensor, so it is traced once for all filters)."""
    extractor = keras.Model(model.inputs, model.get_layer(layer_name).output)

    @tf.function
    def step(image: tf.Tensor, filter_index: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            tape.watch(image)
            loss = tf.reduce_mean(extractor(image)[:, 2:-2, 2:-2, filter_index])
        return image + REFERENCE_STEP_SIZE * tf.math.l2_normalize(tape.gradient(loss, image))

    return step


def reference(step: tf.types.experimental.PolymorphicFunction, noise: np.ndarray, steps: int) -> np.ndarray:
    """The keras-io loop, one filter at a time."""
    results = []
    for index in range(len(noise)):
        image = tf.constant(noise[index : index + 1])
        for _ in range(steps):
            image = step(image, tf.constant(index))
        results.append(image.numpy()[0])
    return np.stack(results)


def today_step(model: keras.Model, layer_name: str, count: int) -> tf.types.experimental.PolymorphicFunction:
    """The previous cnnviz step: RMS-normalised ascent of ``count`` filters' pre-activation, with a shift."""
    from cnnviz.models.layers import trace

    layer = model.get_layer(layer_name)
    free = trace(model, (None, None, model.inputs[0].shape[-1]))
    trunk = keras.Model(free.input, free.inputs[layer_name])
    one_hot = tf.eye(count, layer.filters)

    @tf.function(reduce_retracing=True)
    def step(images: tf.Tensor, shift: tf.Tensor) -> tf.Tensor:
        moved = tf.roll(images, shift, axis=[1, 2])
        with tf.GradientTape() as tape:
            tape.watch(moved)
            maps = layer.convolution_op(trunk(moved), layer.kernel) + layer.bias
            border = tf.shape(maps)[1] // 8
            central = maps[:, border : tf.shape(maps)[1] - border, border : tf.shape(maps)[2] - border]
            loss = tf.reduce_sum(tf.reduce_mean(central, axis=(1, 2)) * one_hot)
        grads = tape.gradient(loss, moved)
        grads /= tf.sqrt(tf.reduce_mean(grads**2, axis=(1, 2, 3), keepdims=True)) + 1e-8
        return tf.roll(moved + grads, -shift, axis=[1, 2])

    return step


def today(step: tf.types.experimental.PolymorphicFunction, noise: np.ndarray, canvas: int) -> np.ndarray:
    """The previous cnnviz recipe: most steps on a small canvas, then tiled up to full size and mended."""
    size = noise.shape[1]
    full_steps = max(1, round(TODAY_STEPS * TODAY_FULL_SHARE))
    rng = np.random.default_rng(0)
    images = tf.constant(noise[:, :canvas, :canvas])
    for index in range(TODAY_STEPS):
        if index == TODAY_STEPS - full_steps:
            images = _tiled(images, size)
        images = step(images, tf.constant(rng.integers(-2, 3, 2), tf.int32))
    return images.numpy()


def today_canvas(model: keras.Model, layer_name: str, size: int) -> int:
    """The small canvas's side: a third of the image, but enough for a few pixels of the layer's map."""
    from cnnviz.models.layers import trace

    map_side = trace(model).outputs[layer_name].shape[1]
    return min(size, max(round(size * TODAY_CANVAS), int(np.ceil(size / map_side * 6))))


def _tiled(images: tf.Tensor, size: int) -> tf.Tensor:
    reps = -(-size // int(images.shape[1]))
    return tf.tile(images, [1, reps, reps, 1])[:, :size, :size]


def quality(gains: np.ndarray, finals: np.ndarray, cropped: np.ndarray) -> dict[str, float]:
    """Min gain of the patterns that make their filter fire, how many do not, max tiling score and
    mean high-frequency ratio of a set of border-cropped patterns."""
    firing = gains[finals > 0]
    return {"gain": float(firing.min()) if len(firing) else -np.inf, "silent": int((finals <= 0).sum()),
            "tiling": max(tiling_score(image) for image in cropped),
            "hf": float(np.mean([high_frequency_ratio(image) for image in cropped]))}


def compare(name: str, model: keras.Model, layer_name: str, plan: Plan) -> tuple[dict, list[np.ndarray], list[str]]:
    """The three recipes on one layer: CPU seconds and quality each, and their pictures."""
    filters = list(range(min(plan.filters, model.get_layer(layer_name).filters)))
    settings = plan.settings
    noise = starting_noise(len(filters), settings, model.inputs[0].shape[-1])
    start = filter_response(model, layer_name, noise, filters)
    filter_patterns(model, layer_name, filters[:1], FilterSettings(image_size=settings.image_size, steps=1))  # compile
    ascend_reference, ascend_today = reference_step(model, layer_name), today_step(model, layer_name, len(filters))
    canvas = today_canvas(model, layer_name, settings.image_size)
    reference(ascend_reference, noise[:1], 1)  # trace outside the timing
    ascend_today(noise[:, :canvas, :canvas], tf.constant([0, 0]))
    ascend_today(noise, tf.constant([0, 0]))
    results, pictures, labels = {}, [], []
    for recipe in ("today", "reference", "new"):
        timer = Timer()
        if recipe == "new":
            patterns = filter_patterns(model, layer_name, filters, settings)
            seconds = timer.stop()
            finals, cropped = np.array([p.final for p in patterns]), np.stack([p.raw for p in patterns])
        else:
            images = today(ascend_today, noise, canvas) if recipe == "today" else reference(
                ascend_reference, noise, plan.reference_steps)
            seconds = timer.stop()
            finals, cropped = filter_response(model, layer_name, images, filters), crop_border(images)
        results[recipe] = {"cpu": seconds, **quality(response_gain(finals, start), finals, cropped)}
        pictures += list(deprocess(cropped)[:8])
        labels += [f"{recipe} #{f}" for f in filters[:8]]
        measured = results[recipe]
        print(f"{name} {layer_name} {recipe}: {seconds:.2f} s CPU, gain min {measured['gain']:.1f} "
              f"({measured['silent']} silent), "
              f"tiling max {measured['tiling']:.2f}, high-frequency ratio {measured['hf']:.3f}")
    return results, pictures, labels


def models(plan: Plan, quick: bool) -> dict[str, keras.Model]:
    """The trained models, by name; the weather model only when the real data is there (and not quick)."""
    found = {"shapes": trained(DatasetSpec(source="shapes", image_size=plan.size, count=plan.shapes_count), plan)}
    if quick:
        return found
    if WEATHER.is_dir():
        found["weather"] = trained(spec_from_name_or_path(str(WEATHER), image_size=plan.size), plan)
    else:
        print(f"REAL DATA ABSENT: {WEATHER} not found; the weather model is not measured")
    return found


def main(plan: Plan, quick: bool) -> None:
    totals = {"today": 0.0, "reference": 0.0, "new": 0.0}
    worst = {recipe: {"gain": np.inf, "silent": 0, "tiling": 0.0, "hf": 0.0} for recipe in totals}
    pictures, labels = [], []
    for name, model in models(plan, quick).items():
        layers = pattern_layers(model)
        for info in [layers[-1]] if quick else [layers[0], layers[-1]]:
            results, shown, named = compare(name, model, info.name, plan)
            pictures += shown
            labels += named
            for recipe, measured in results.items():
                totals[recipe] += measured["cpu"]
                worst[recipe] = {"gain": min(worst[recipe]["gain"], measured["gain"]),
                                 "silent": worst[recipe]["silent"] + measured["silent"],
                                 "tiling": max(worst[recipe]["tiling"], measured["tiling"]),
                                 "hf": max(worst[recipe]["hf"], measured["hf"])}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(labelled_mosaic(pictures, labels, min(8, plan.filters), 96)).save(OUT)
    print(f"patterns side by side (rows: today, reference, new per layer): {OUT}")
    for recipe, measured in worst.items():
        print(f"{recipe}: {totals[recipe]:.1f} s CPU in all; worst gain of a firing filter {measured['gain']:.1f} "
              f"(bar {QUALITY_BAR:.0f}), {measured['silent']} silent, "
              f"worst tiling {measured['tiling']:.2f} (bar {TILING_BAR}), worst high-frequency ratio {measured['hf']:.3f}")
    new, ref = worst["new"], worst["reference"]
    better = (new["gain"] >= min(QUALITY_BAR, ref["gain"]) and new["silent"] <= ref["silent"]
              and new["tiling"] < TILING_BAR and new["hf"] <= ref["hf"])
    print(f"new recipe at equal or better quality than the reference: {'yes' if better else 'NO'}")
    print(f"speedup vs reference loop: {totals['reference'] / totals['new']:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    arguments = parser.parse_args()
    main(QUICK if arguments.quick else FULL, arguments.quick)
