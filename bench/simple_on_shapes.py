"""Does the default ``simple`` architecture learn the 64x64 Shapes dataset in a few epochs?

Trains it with plain Keras (Adam 1e-3, batch 32, fixed seed) on the default Shapes split and
prints the validation accuracy per epoch; the LAST line is the best one (target >= 0.90).
Run from the repo root: ``python -m bench.simple_on_shapes [epochs] [--quick]``; ``--quick``
(the test suite's smoke run) trains one epoch on 240 images.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from cnnviz.data.dataset import DatasetSpec  # noqa: E402
from cnnviz.models.architectures import build_model  # noqa: E402
from cnnviz.data.pipeline import make_pipeline  # noqa: E402
from cnnviz.data.registry import load_dataset  # noqa: E402


def main(epochs: int = 5, spec: DatasetSpec = DatasetSpec()) -> None:
    keras.utils.set_random_seed(0)
    dataset = load_dataset(spec)
    model = build_model("simple", dataset.image_shape, dataset.num_classes)
    model.compile(keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(
        make_pipeline(dataset.train, 32, training=True, seed=0),
        validation_data=make_pipeline(dataset.val, 64),
        epochs=epochs,
        verbose=0,
    )
    seconds = time.perf_counter() - start
    val = history.history["val_accuracy"]
    print("val accuracy per epoch:", " ".join(f"{v:.3f}" for v in val))
    print(f"{len(val)} epochs in {seconds:.0f} s ({model.count_params()} parameters)")
    print(f"simple on Shapes 64x64, best val accuracy in {epochs} epochs (target >= 0.90): {max(val):.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("epochs", type=int, nargs="?", default=5, help="epochs (default 5)")
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    args = parser.parse_args()
    main(*((1, DatasetSpec(count=240)) if args.quick else (args.epochs,)))
