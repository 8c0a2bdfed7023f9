"""Headless commands for teachers who prepare datasets and models before class."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path


def cmd_datasets(args: argparse.Namespace) -> int:
    """List the registered datasets, one per line."""
    from cnnviz.registry import list_datasets

    for name in list_datasets():
        print(name)
    return 0


def cmd_archs(args: argparse.Namespace) -> int:
    """List the architectures with their parameter count at the seed's own input shape."""
    from cnnviz.architectures import ARCHITECTURES, build_model

    for name, entry in ARCHITECTURES.items():
        options = {"weights": None} if entry.family == "transfer" else {}
        print(name, build_model(name, entry.input_shape, entry.num_classes, **options).count_params())
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    """Predict photos with a saved run: one JSON object per file; 0 if any file was predicted."""
    from cnnviz.prediction import predict_paths

    records = _run_command(lambda: predict_paths(args.run_dir, args.files, args.top, args.fit))
    return 0 if any("top" in record for record in records) else 1


def cmd_gradcam(args: argparse.Namespace) -> int:
    """Write the Grad-CAM overlay of a photo's top class; 0 if it was written."""
    from cnnviz.prediction import gradcam_path

    records = _run_command(lambda: [gradcam_path(args.run_dir, args.file, args.out, args.fit)])
    return 0 if records and "overlay" in records[0] else 1


def _run_command(make_records) -> list[dict]:
    """Print each record as a JSON line; a run that cannot be opened is reported on stderr."""
    import json
    import sys

    from cnnviz.runs import RunError

    try:
        records = make_records()
    except RunError as error:
        print(f"error: {error}", file=sys.stderr)
        return []
    for record in records:
        print(json.dumps(record))
    return records


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cnnviz", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("datasets", help="list the registered datasets").set_defaults(run=cmd_datasets)
    archs = commands.add_parser("archs", help="list the architectures and their parameter counts")
    archs.set_defaults(run=cmd_archs)
    _add_photo_commands(commands)
    return parser


def _add_photo_commands(commands) -> None:
    from cnnviz.photo import FITS

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
