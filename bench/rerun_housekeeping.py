"""What Streamlit's housekeeping after every script run costs a training running beside it.

Run from the repo root: ``python -m bench.rerun_housekeeping [rounds] [--quick]``. After every script
run, fragment refreshes included, Streamlit calls ``gc.collect(2)`` and
``keras.backend.clear_session()`` (another full collection). Two sessions watching the Train
page refresh once a second each, so this benchmark does that housekeeping twice a second in a
thread while one small training (the whole ``fit``, first-step tracing included) runs, once
with the heap as imported and once frozen (``gc.freeze()``, what ``cnnviz.runtime.preload`` did at
start until the app turned this housekeeping off: it now collects every 30 s, and freezing also froze
the first sessions' state for good), alternately. Only the thread backend ($CNNVIZ_WORKER=thread) trains beside the
pages; with the default process backend the housekeeping's own cost is what matters: every
session's rerun holds the GIL that long. The LAST line is the ratio of the median training times.
``--quick`` (the test suite's smoke run): one round of one epoch on 120 images, one rerun
every 2 s (the housekeeping of the heap as imported takes seconds of CPU on a small machine).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import threading
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from cnnviz.data.dataset import DatasetSpec  # noqa: E402
from cnnviz.models.architectures import build_model  # noqa: E402
from cnnviz.training.progress import TrainingProgress  # noqa: E402
from cnnviz.data.registry import load_dataset  # noqa: E402
from cnnviz.training.train import TrainConfig, compile_model, fit  # noqa: E402

RERUNS_PER_SECOND = 2


def housekeeping() -> float:
    """Streamlit's after-run clean-up; returns its milliseconds."""
    start = time.perf_counter()
    gc.collect(2)
    keras.backend.clear_session()
    return (time.perf_counter() - start) * 1000


def rerun_loop(stop: threading.Event, costs: list[float], per_second: float) -> None:
    while not stop.wait(1 / per_second):
        costs.append(housekeeping())


def timed_training(dataset, config: TrainConfig, reruns_per_second: float) -> tuple[float, float]:
    """Seconds of one training with reruns beside it, and the median housekeeping ms."""
    model = build_model("simple", dataset.image_shape, dataset.num_classes)
    compile_model(model, config)
    stop, costs = threading.Event(), []
    reruns = threading.Thread(target=rerun_loop, args=(stop, costs, reruns_per_second), daemon=True)
    reruns.start()
    start = time.perf_counter()
    fit(model, dataset, config, [], progress=TrainingProgress())
    seconds = time.perf_counter() - start
    stop.set()
    reruns.join()
    return seconds, statistics.median(costs) if costs else housekeeping()


def main(
    rounds: int = 3, images: int = 400, epochs: int = 2, reruns_per_second: float = RERUNS_PER_SECOND
) -> None:
    dataset = load_dataset(DatasetSpec(source="shapes", image_size=32, count=images))
    config = TrainConfig(epochs=epochs, batch_size=16, checkpoint=False)
    times: dict[str, list[float]] = {"as imported": [], "frozen": []}
    for round_ in range(rounds):
        for mode in ("as imported", "frozen") if round_ % 2 == 0 else ("frozen", "as imported"):
            if mode == "frozen":
                gc.collect()
                gc.freeze()
            else:
                gc.unfreeze()
            seconds, cost = timed_training(dataset, config, reruns_per_second)
            times[mode].append(seconds)
            print(f"round {round_ + 1} {mode:11s}: training {seconds:6.1f} s, housekeeping {cost:6.1f} ms per rerun")
    slow, fast = statistics.median(times["as imported"]), statistics.median(times["frozen"])
    print(f"median training seconds: as imported {slow:.1f}, frozen {fast:.1f}")
    print(f"training speedup with the frozen heap: {slow / fast:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("rounds", type=int, nargs="?", default=3, help="rounds of both modes (default 3)")
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    args = parser.parse_args()
    main(*((1, 120, 1, 0.5) if args.quick else (args.rounds,)))
