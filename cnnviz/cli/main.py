"""Headless commands for teachers who prepare datasets and models before class."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path


def cmd_datasets(args: argparse.Namespace) -> int:
    """List the registered datasets, one per line."""
    from cnnviz.data.registry import list_datasets

    for name in list_datasets():
        print(name)
    return 0


def cmd_archs(args: argparse.Namespace) -> int:
    """List the architectures with their parameter count at the seed's own input shape."""
    from cnnviz.models.architectures import ARCHITECTURES, build_model

    for name, entry in ARCHITECTURES.items():
        options = {"weights": None} if entry.family == "transfer" else {}
        print(name, build_model(name, entry.input_shape, entry.num_classes, **options).count_params())
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    """Predict photos with a saved run: one JSON object per file; 0 if any file was predicted."""
    from cnnviz.photos.predict import predict_paths

    records = _run_command(lambda: predict_paths(args.run_dir, args.files, args.top, args.fit))
    return 0 if any("top" in record for record in records) else 1


def cmd_gradcam(args: argparse.Namespace) -> int:
    """Write the Grad-CAM overlay of a photo's top class; 0 if it was written."""
    from cnnviz.photos.predict import gradcam_path

    records = _run_command(lambda: [gradcam_path(args.run_dir, args.file, args.out, args.fit)])
    return 0 if records and "overlay" in records[0] else 1


def cmd_filters(args: argparse.Namespace) -> int:
    """Write a saved run's filter patterns as one PNG; 0 if it was written."""
    import sys

    from cnnviz.explain.filters import write_patterns

    try:
        records = _run_command(lambda: [write_patterns(args.run_dir, args.out, args.layer, args.count)])
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0 if records else 1


def _run_command(make_records) -> list[dict]:
    """Print each record as a JSON line; a run that cannot be opened is reported on stderr."""
    import json
    import sys

    from cnnviz.runs.store import RunError

    try:
        records = make_records()
    except RunError as error:
        print(f"error: {error}", file=sys.stderr)
        return []
    for record in records:
        print(json.dumps(record))
    return records


def cmd_train(args: argparse.Namespace) -> int:
    """Train with a terminal progress bar; the run folder is the last line printed."""
    import sys

    from cnnviz.data.augmentation import PRESETS
    from cnnviz.training.progress import follow, status_line
    from cnnviz.data.registry import DatasetUnavailable, load_dataset, spec_from_name_or_path
    from cnnviz.training.jobs import training_job
    from cnnviz.training.train import TrainConfig, base_run
    from cnnviz.training.worker import DONE, ThreadWorker

    try:
        spec = spec_from_name_or_path(args.dataset, args.image_size)
        dataset = load_dataset(spec)
        config = TrainConfig(
            epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.lr, seed=args.seed,
            augment=args.augment is not None,
        )
        base = base_run(dataset, spec, args.arch)
    except (DatasetUnavailable, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    augmentation = PRESETS[args.augment] if args.augment else None
    worker = ThreadWorker(max_running=1)
    job = training_job(base, dataset, config, args.runs_dir, dataset_spec=spec, augmentation=augmentation)
    job_id = worker.submit("cli", job)
    info = follow(worker, job_id, sys.stderr)
    if info.state != DONE:
        print(f"error: training failed: {info.error}", file=sys.stderr)
        return 1
    run = worker.result(job_id)
    print(f"{status_line(info, worker.progress(job_id).snapshot(), run)}. {run.config['message']}")
    print(run.path)
    return 0


def _add_train_command(commands) -> None:
    from cnnviz.data.augmentation import PRESETS

    train = commands.add_parser("train", help="train an architecture on a dataset; prints the run folder")
    train.add_argument("--dataset", required=True, help="a dataset name (shapes, mnist...) or a path")
    train.add_argument("--arch", default="simple", help="an architecture name (see `archs`)")
    train.add_argument("--epochs", type=int, required=True)
    train.add_argument("--batch-size", type=int, default=32)
    train.add_argument("--image-size", type=int, default=64, help="images are resized to this (default 64)")
    train.add_argument("--lr", type=float, default=1e-3, help="learning rate (Adam; default 0.001)")
    train.add_argument("--seed", type=int, default=42)
    train.add_argument("--augment", nargs="?", const="weather", choices=list(PRESETS),
                       help="augment the training split with a preset (default: weather)")
    train.add_argument("--runs-dir", type=Path, default=Path("runs"), help="where runs go (default ./runs)")
    train.set_defaults(run=cmd_train)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cnnviz", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("datasets", help="list the registered datasets").set_defaults(run=cmd_datasets)
    archs = commands.add_parser("archs", help="list the architectures and their parameter counts")
    archs.set_defaults(run=cmd_archs)
    _add_photo_commands(commands)
    _add_train_command(commands)
    filters = commands.add_parser("filters", help="write a saved run's filter patterns as one PNG")
    filters.add_argument("--run", dest="run_dir", type=Path, required=True, help="a saved run folder")
    filters.add_argument("--layer", help="a Conv2D layer (default: the last one)")
    filters.add_argument("--count", type=int, default=16, help="how many filters, from filter 0 (default 16)")
    filters.add_argument("--out", type=Path, required=True, help="the PNG to write")
    filters.set_defaults(run=cmd_filters)
    return parser


def _add_photo_commands(commands) -> None:
    from cnnviz.photos.prepare import FITS

    predict = commands.add_parser("predict", help="predict photos with a saved run (JSON lines)")
    predict.add_argument("files", nargs="+", type=Path, metavar="FILE")
    predict.add_argument("--top", type=int, default=3, help="how many classes per file (default 3)")
    gradcam = commands.add_parser("gradcam", help="write the Grad-CAM overlay of a photo's top class")
    gradcam.add_argument("file", type=Path, metavar="FILE")
    gradcam.add_argument("--out", type=Path, required=True, help="the PNG to write")
    for command, handler in ((predict, cmd_predict), (gradcam, cmd_gradcam)):
        command.add_argument("--run", dest="run_dir", type=Path, required=True, help="a saved run folder")
        command.add_argument("--fit", choices=FITS, default="auto", help="how the photo is framed")
        command.set_defaults(run=handler)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
