"""Training speed: plain float32 ``model.fit`` against cnnviz's default training (precision "auto").

Run from the repo root: ``python -m bench.mixed_precision [rounds] [--quick]``. Two seed models
on their own image sizes: ``fashion`` (28x28x1, batch 64) and ``animals10`` (150x150x3, batch 20),
each on the same data for both sides (Fashion-MNIST test images from ``../shared/data/fashion``,
the Animals-10 sample from ``../shared/data/animals10_small``; random pixels where absent).

- float32: the architecture compiled as Keras does by default and fitted.
- cnnviz: what ``train_run`` does: the precision "auto" picks (bfloat16 on a CPU with
  AVX512-BF16/AMX or a GPU of compute capability 8.0+), a per-model dtype policy, and
  ``steps_per_execution`` for small models.

The sides alternate, one epoch each, round after round in one process, after a warm-up fit
of each. The LAST line is the median over the models of the ratio of median images per second
(target >= 1.8 on hardware with bfloat16). Without bfloat16 hardware "auto" trains in float32:
the bench says so and prints 1.0. ``--quick`` fits a few batches (a seconds-long smoke run).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
MODELS = {  # architecture: (image shape, batch size, images per epoch)
    "fashion": ((28, 28, 1), 64, 2048),
    "animals10": ((150, 150, 3), 20, 200),
}
QUICK_IMAGES = {"fashion": 256, "animals10": 40}


def training_images(architecture: str, count: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` uint8 images and labels for the model: the real sample where it is present."""
    from cnnviz.data.dataset import DatasetSpec
    from cnnviz.data.registry import load_dataset

    shape = MODELS[architecture][0]
    spec = {
        "fashion": DatasetSpec(source="idx", path=str(SHARED / "fashion" / "t10k-images-idx3-ubyte.gz")),
        "animals10": DatasetSpec(source="folder", path=str(SHARED / "animals10_small"), image_size=shape[0]),
    }[architecture]
    if Path(spec.path).exists():
        train = load_dataset(spec).train
        repeat = np.arange(count) % len(train)
        return train.x[repeat], train.y[repeat]
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (count, *shape), dtype=np.uint8), rng.integers(0, 10, count)


def float32_model(architecture: str):
    import keras

    from cnnviz.models.architectures import build_model

    model = build_model(architecture, MODELS[architecture][0], 10)
    model.compile(keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def cnnviz_model(architecture: str, precision: str):
    from cnnviz.models.architectures import build_model
    from cnnviz.training.precision import resolve_precision
    from cnnviz.training.train import TrainConfig, compile_model, training_copy

    model = training_copy(build_model(architecture, MODELS[architecture][0], 10), resolve_precision(precision))
    compile_model(model, TrainConfig(batch_size=MODELS[architecture][1]))
    return model


def images_per_second(model, x: np.ndarray, y: np.ndarray, batch: int) -> float:
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)
    return len(x) / (time.perf_counter() - start)


def speedup(architecture: str, precision: str, rounds: int, images: int) -> float:
    """cnnviz's median images per second over float32's, one model, alternating epochs."""
    batch = MODELS[architecture][1]
    x, y = training_images(architecture, images)
    x = x.astype("float32") / 255
    sides = {"float32": float32_model(architecture), "cnnviz": cnnviz_model(architecture, precision)}
    for model in sides.values():  # warm-up: tracing
        images_per_second(model, x[: 2 * batch], y[: 2 * batch], batch)
    rates: dict[str, list[float]] = {name: [] for name in sides}
    for _round in range(rounds):
        for name, model in sides.items():
            rates[name].append(images_per_second(model, x, y, batch))
    medians = {name: statistics.median(values) for name, values in rates.items()}
    print(f"{architecture}: float32 {medians['float32']:.0f} img/s, cnnviz {medians['cnnviz']:.0f} img/s "
          f"({' / '.join(f'{v:.0f}' for v in rates['float32'])} vs {' / '.join(f'{v:.0f}' for v in rates['cnnviz'])})")
    return medians["cnnviz"] / medians["float32"]


def main() -> None:
    from cnnviz.training.precision import bf16_supported

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rounds", nargs="?", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a few batches, 1 round: a seconds-long smoke run")
    parser.add_argument("--precision", choices=("auto", "bfloat16"), default="auto",
                        help="cnnviz's precision; bfloat16 times it even without bfloat16 hardware (emulated, slow)")
    args = parser.parse_args()
    if args.precision == "auto" and not bf16_supported():
        print("This machine has no bfloat16 hardware (no AVX512-BF16/AMX CPU flags, no GPU of compute "
              "capability 8.0+): cnnviz's 'auto' precision trains in float32 here.")
        print("bf16 training speedup: 1.0")
        return
    ratios = []
    for architecture, (_shape, _batch, images) in MODELS.items():
        count = QUICK_IMAGES[architecture] if args.quick else images
        ratios.append(speedup(architecture, args.precision, 1 if args.quick else args.rounds, count))
    print(f"bf16 training speedup: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
