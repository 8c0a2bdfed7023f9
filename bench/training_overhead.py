"""Does cnnviz's training machinery slow training down?

Run from the repo root: ``python -m bench.training_overhead [rounds] [epochs] [--quick]``. The same
model (``simple``) on the same data (Shapes 64x64, 1200 images) is trained, alternately:

- through cnnviz: ``cnnviz.training.train.fit`` with the live-metrics callback (progress object and
  stop flag) and the standard Keras callbacks of a run (TerminateOnNaN, ModelCheckpoint best
  only, CSVLogger);
- with plain ``model.fit`` on the same tf.data pipeline and no callbacks.

Both get one epoch-timing callback (epoch hooks only, so plain fit keeps its asynchronous
batch dispatch); for cnnviz it runs last, so the checkpoint and CSV writes count too. The
first epoch of each training (tracing) is left out; throughput is training images per
second over the other epochs, validation included in both. The callback's own per-batch
cost is also measured in isolation (immune to machine noise). The LAST line is the ratio
of the medians (target >= 0.95). ``--quick`` (the test suite's smoke run): one round of two
epochs on 120 images.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from cnnviz.data.dataset import DatasetSpec  # noqa: E402
from cnnviz.models.architectures import build_model  # noqa: E402
from cnnviz.data.pipeline import make_pipeline  # noqa: E402
from cnnviz.training.progress import TrainingProgress  # noqa: E402
from cnnviz.data.registry import load_dataset  # noqa: E402
from cnnviz.training.train import (  # noqa: E402
    TrainConfig,
    callback_specs,
    compile_model,
    fit,
    live_metrics,
    make_callbacks,
)


class EpochTimer(keras.callbacks.Callback):
    """Wall-clock seconds of every epoch (training plus validation)."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def fresh_model(dataset, config: TrainConfig) -> keras.Model:
    keras.utils.set_random_seed(config.seed)
    model = build_model("simple", dataset.image_shape, dataset.num_classes)
    compile_model(model, config)
    return model


def through_cnnviz(dataset, config: TrainConfig, folder: Path) -> EpochTimer:
    timer, model = EpochTimer(), fresh_model(dataset, config)
    progress = TrainingProgress()
    standard = make_callbacks(callback_specs(config), folder)
    callbacks = [live_metrics(progress, threading.Event()), *standard, timer]  # timer last: saves count
    fit(model, dataset, config, callbacks, progress=progress)
    return timer


def plain(dataset, config: TrainConfig) -> EpochTimer:
    timer, model = EpochTimer(), fresh_model(dataset, config)
    train = make_pipeline(dataset.train, config.batch_size, training=True, seed=config.seed)
    val = make_pipeline(dataset.val, config.batch_size)
    model.fit(train, validation_data=val, epochs=config.epochs, callbacks=[timer], shuffle=False, verbose=0)
    return timer


def callback_microseconds(calls: int = 20_000) -> float:
    """The live-metrics callback's own cost per batch, measured in isolation."""
    progress = TrainingProgress()
    callback = live_metrics(progress, threading.Event())
    progress.start(epochs=1, batches=calls)
    callback.on_epoch_begin(0)
    logs = {"loss": 0.5, "accuracy": 0.75}
    start = time.perf_counter()
    for batch in range(calls):
        callback.on_train_batch_end(batch, logs)
    return (time.perf_counter() - start) / calls * 1e6


def main(rounds: int = 3, epochs: int = 3, images: int = 1200, callback_calls: int = 20_000) -> None:
    dataset = load_dataset(DatasetSpec(source="shapes", image_size=64, count=images))
    config = TrainConfig(epochs=epochs, batch_size=32, checkpoint=True)
    images = len(dataset.train) * (epochs - 1)
    results: dict[str, list[float]] = {"cnnviz": [], "plain": []}
    with tempfile.TemporaryDirectory() as folder:
        for round_ in range(rounds):
            order = ("cnnviz", "plain") if round_ % 2 == 0 else ("plain", "cnnviz")
            for mode in order:
                if mode == "cnnviz":
                    timer = through_cnnviz(dataset, config, Path(folder))
                else:
                    timer = plain(dataset, config)
                throughput = images / sum(timer.seconds[1:])
                results[mode].append(throughput)
                print(f"round {round_ + 1} {mode:6s}: {throughput:7.1f} images/s (epochs 2+)", flush=True)
    cnnviz, baseline = statistics.median(results["cnnviz"]), statistics.median(results["plain"])
    print(f"median images/s: cnnviz {cnnviz:.1f}, plain {baseline:.1f} ({len(dataset.train)} per epoch)")
    batch_ms = config.batch_size / baseline * 1000
    cost = callback_microseconds(callback_calls)
    print(f"live-metrics callback alone: {cost:.1f} us per batch (a training batch takes {batch_ms:.0f} ms)")
    print(f"throughput ratio cnnviz/plain: {cnnviz / baseline:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("rounds", type=int, nargs="?", default=3, help="rounds of both sides (default 3)")
    parser.add_argument("epochs", type=int, nargs="?", default=3, help="epochs per training (default 3)")
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    args = parser.parse_args()
    main(*((1, 2, 120, 2000) if args.quick else (args.rounds, args.epochs)))
