"""The ``predict`` and ``gradcam`` commands: a saved run applied to photo files."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cnnviz.cli.records import print_records


def predict_paths(
    run_dir: Path, files: list[Path], top_k: int = 3, fit: str = "auto"
) -> list[dict[str, Any]]:
    """One JSON-ready record per file (raises RunError for a bad run)."""
    from cnnviz.photos.prepare import PhotoOptions
    from cnnviz.photos.predict import predict_files
    from cnnviz.runs.store import load_run

    run = load_run(run_dir)
    results = predict_files(run, [(str(path), path) for path in files], PhotoOptions(fit=fit))
    return [result.record(run.display_names, top_k) for result in results]


def gradcam_path(run_dir: Path, file: Path, out: Path, fit: str = "auto") -> dict[str, Any]:
    """Write the top class's Grad-CAM overlay to ``out``; the record says what happened."""
    from PIL import Image

    from cnnviz.models.layers import NoConvLayerError
    from cnnviz.photos.prepare import PhotoOptions
    from cnnviz.photos.predict import explain, predict_files
    from cnnviz.runs.store import load_run

    run = load_run(run_dir)
    [result] = predict_files(run, [(str(file), file)], PhotoOptions(fit=fit))
    record = result.record(run.display_names, 3)
    if result.ok:
        try:
            Image.fromarray(explain(run, result)).save(out)
            record["overlay"] = str(out)
        except (NoConvLayerError, OSError, ValueError) as error:
            record["error"] = str(error)
    return record


def cmd_predict(args: argparse.Namespace) -> int:
    """Predict photos with a saved run: one JSON object per file; 0 if any file was predicted."""
    records = print_records(lambda: predict_paths(args.run_dir, args.files, args.top, args.fit))
    return 0 if any("top" in record for record in records) else 1


def cmd_gradcam(args: argparse.Namespace) -> int:
    """Write the Grad-CAM overlay of a photo's top class; 0 if it was written."""
    records = print_records(lambda: [gradcam_path(args.run_dir, args.file, args.out, args.fit)])
    return 0 if records and "overlay" in records[0] else 1


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register ``predict`` and ``gradcam``."""
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
