"""What a Start on a folder dataset costs the web server, what it adds to the run folder, how soon it trains.

Run from the repo root: ``python -m bench.job_start [--files N] [--quick]``. The dataset is a folder
of 26,179 JPEGs in 10 class folders decoded at 150x150 RGB (1.77 GB, the size of Animals-10): copies
of the real sample in ``../shared/data/animals10_small`` (noise JPEGs when it is absent), loaded as
the app holds it, mapped from the dataset cache (``load_cached``). ``--quick`` (the test suite's
smoke run) uses 200 files at 32x32. Side by side, in one process:

- before: what a Start did until the dataset went by reference: the request pickled with its
  arrays and written into the staging folder, in the server (seconds, bytes);
- now: ``training_job`` and ``ProcessWorker.submit`` (seconds in the server's page thread), the
  request's handover to the training process (seconds in the server's watching thread), the bytes
  the Start put in the run's folder, and the bytes in the finished run folder beyond the run's own
  model, config, history, metrics and checkpoint;
- the first Start of the same dataset held in memory (not from the cache): its arrays are hashed
  and stored in the cache once (seconds in the watching thread);
- from submit to the first training batch: in a cold process (a fresh pool: interpreter,
  TensorFlow's import, the first trace) and in the warm one the next job finds.

The LAST line has every figure: ``job start: before_s=... start_s=... cold_first_batch_s=...``.
"""

from __future__ import annotations

import argparse
import os
import pickle
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from bench.folder_load import SAMPLE, build_folder  # noqa: E402
from cnnviz.data.cache import cache_root, load_cached  # noqa: E402
from cnnviz.data.dataset import Dataset, DatasetSpec, Split  # noqa: E402
from cnnviz.runs.schema import TrainConfig  # noqa: E402
from cnnviz.runs.store import CHECKPOINT_FILE, CONFIG_FILE, HISTORY_FILE, METRICS_FILE, MODEL_FILE  # noqa: E402
from cnnviz.training.jobs import encode_request, training_job  # noqa: E402
from cnnviz.training.processes import ProcessWorker  # noqa: E402
from cnnviz.training.train import base_run  # noqa: E402
from cnnviz.training.worker import FINISHED  # noqa: E402

FULL_FILES, QUICK_FILES = 26_179, 200
RUN_OWN_FILES = {MODEL_FILE, CONFIG_FILE, HISTORY_FILE, METRICS_FILE, CHECKPOINT_FILE}
CONFIG = TrainConfig(epochs=1, batch_size=32, name="job start bench")


def folder_bytes(folder: Path, leave_out: frozenset[str] = frozenset()) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file() and path.name not in leave_out)


def in_memory(dataset: Dataset) -> Dataset:
    """The dataset with its arrays copied into memory, as a server that decoded it itself holds it."""
    copies = {name: Split(np.array(split.x), np.array(split.y)) for name, split in dataset.splits().items()}
    return replace(dataset, **copies)


def before(dataset: Dataset, runs: Path) -> tuple[float, int]:
    """Seconds and bytes of the old Start: the dataset pickled into the staging folder."""
    started = time.perf_counter()
    data = pickle.dumps(dataset)
    (runs / "request.pickle").write_bytes(data)
    seconds = time.perf_counter() - started
    (runs / "request.pickle").unlink()
    return seconds, len(data)


def handover_seconds(dataset: Dataset, runs: Path) -> float:
    """Seconds to encode a request holding ``dataset`` for the training process (a dataset held in
    memory is hashed, and stored in the cache the first time; a mapped one is named by its entry)."""
    job = training_job(None, dataset, CONFIG, runs)
    started = time.perf_counter()
    encode_request(job.request)
    seconds = time.perf_counter() - started
    job.discard()
    return seconds


def seconds_to_first_batch(worker: ProcessWorker, job_id: str, submitted: float) -> float:
    """Wait for the job's first live batch, then stop it and wait for its run to be saved."""
    while not worker.progress(job_id).snapshot().batch_loss:
        info = worker.wait(job_id, timeout=0.05)
        if info.state in FINISHED:
            raise RuntimeError(f"the training ended before its first batch: {info.state} {info.error}")
    seconds = time.perf_counter() - submitted
    worker.stop(job_id)
    worker.wait(job_id)
    return seconds


def start(worker: ProcessWorker, dataset: Dataset, runs: Path, owner: str) -> dict[str, float]:
    """One Start as the Train page makes it: its figures and the finished run's extra bytes."""
    base = base_run(dataset)
    started = time.perf_counter()
    job = training_job(base, dataset, CONFIG, runs)
    job_id = worker.submit(owner, job)
    figures = {"start_s": time.perf_counter() - started, "staged_bytes": folder_bytes(job.request.staging)}
    figures["first_batch_s"] = seconds_to_first_batch(worker, job_id, started)
    run = worker.result(job_id)
    figures["extra_run_bytes"] = folder_bytes(run.path, frozenset(RUN_OWN_FILES))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=FULL_FILES)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_FILES} files at 32x32: a smoke run")
    args = parser.parse_args()
    files, size = (QUICK_FILES, 32) if args.quick else (args.files, 150)
    with tempfile.TemporaryDirectory() as tmp:
        folder, runs = Path(tmp) / "photos", Path(tmp) / "runs"
        folder.mkdir(), runs.mkdir()
        build_folder(folder, files)
        spec = DatasetSpec(source="folder", path=str(folder), image_size=size)
        loading = time.perf_counter()
        dataset = load_cached(spec, cache_root(runs))
        print(f"{files} JPEGs at {size}x{size} ({'sample copies' if SAMPLE.is_dir() else 'noise'}): decoded and "
              f"cached in {time.perf_counter() - loading:.1f} s, {folder_bytes(cache_root(runs)) / 1e9:.2f} GB")
        figures = dict(zip(("before_s", "before_bytes"), before(dataset, runs)))
        figures["in_memory_first_store_s"] = handover_seconds(in_memory(dataset), runs)
        figures["handover_s"] = handover_seconds(dataset, runs)
        worker = ProcessWorker(max_running=1)
        try:
            cold = start(worker, dataset, runs, "first student")
            warm = start(worker, dataset, runs, "second student")
        finally:
            worker.close()
    figures.update({key: cold[key] for key in ("start_s", "staged_bytes", "extra_run_bytes")})
    figures.update(cold_first_batch_s=cold["first_batch_s"], warm_first_batch_s=warm["first_batch_s"])
    report(figures)


def report(figures: dict[str, float]) -> None:
    print(f"before: the Start pickled the dataset in the server: {figures['before_s']:.2f} s, "
          f"{figures['before_bytes'] / 1e6:.1f} MB into the run folder")
    print(f"now: the Start takes {figures['start_s']:.3f} s in the page, {figures['handover_s']:.3f} s to hand over; "
          f"it stages {figures['staged_bytes'] / 1e6:.2f} MB; the finished run holds "
          f"{figures['extra_run_bytes']} bytes beyond its own files")
    print(f"a dataset held in memory is stored in the cache once: {figures['in_memory_first_store_s']:.2f} s")
    print(f"submit to first batch: cold process {figures['cold_first_batch_s']:.1f} s, "
          f"warm process {figures['warm_first_batch_s']:.1f} s")
    shown = " ".join(f"{key}={value:.3f}" if isinstance(value, float) else f"{key}={value}"
                     for key, value in figures.items())  # fmt: skip
    print(f"job start: {shown}")


if __name__ == "__main__":
    main()
