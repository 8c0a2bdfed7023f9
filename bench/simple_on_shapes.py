"""Does the default ``simple`` architecture learn the 64x64 Shapes dataset in a few epochs?

Trains it with plain Keras (Adam 1e-3, batch 32, fixed seed) on the default Shapes split and
prints the validation accuracy per epoch; the LAST line is the best one (target >= 0.90).
Run from the repo root: ``python -m bench.simple_on_shapes [epochs]``.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from cnnviz.models.architectures import build_model  # noqa: E402
from cnnviz.data.pipeline import make_pipeline  # noqa: E402
from cnnviz.data.registry import DatasetSpec, load_dataset  # noqa: E402


def main(epochs: int = 5) -> None:
    keras.utils.set_random_seed(0)
    dataset = load_dataset(DatasetSpec())
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
    print(f"simple on Shapes 64x64: best val accuracy {max(val):.3f} in {epochs} epochs (target >= 0.90)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
