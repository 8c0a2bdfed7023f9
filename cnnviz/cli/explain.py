"""The ``explain`` command: where a saved run looked in a photo, by any saliency method."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cnnviz.cli.choices import RegistryChoices, saliency_methods
from cnnviz.i18n import _

BAD_INPUT = 2  # the exit status for an unknown method, a run or an image that cannot be used


def explain_path(run_dir: Path, file: Path, method_key: str, out: Path, fit: str = "auto") -> dict[str, Any]:
    """Write the overlay of the top class's map to ``out``; the JSON-ready record.

    The centre is the map's mass-weighted centre in the model input's pixels (x to the
    right, y down). Raises RunError for a bad run, ValueError for a bad method or image.
    """
    from PIL import Image

    from cnnviz.explain.gradcam import overlay_heatmap
    from cnnviz.explain.saliency import mass_centre, method, saliency_map
    from cnnviz.photos.prepare import PhotoOptions
    from cnnviz.photos.predict import predict_files
    from cnnviz.runs.store import load_run

    method(method_key)  # an unknown method fails before the run is loaded
    run = load_run(run_dir)
    [result] = predict_files(run, [(str(file), file)], PhotoOptions(fit=fit))
    if not result.ok or result.photo is None:
        raise ValueError(_("{name} cannot be explained: {error}").format(name=file, error=result.error))
    found = saliency_map(run.model, result.photo.image, method_key, scale=run.config.preprocessing.scale)
    Image.fromarray(overlay_heatmap(result.photo.image, found.heatmap)[1]).save(out)
    x, y = mass_centre(found.heatmap)
    return {"file": str(file), "top_class": run.display_names[found.class_index],
            "probability": round(float(found.probabilities[found.class_index]), 4), "method": method_key,
            "centre": {"x": round(x, 2), "y": round(y, 2)}, "out": str(out)}


def cmd_explain(args: argparse.Namespace) -> int:
    """Print one JSON object; 0 if the overlay was written, 2 with a message on stderr otherwise."""
    from cnnviz.runs.store import RunError

    try:
        record = explain_path(args.run_dir, args.file, args.method, args.out, args.fit)
    except (RunError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return BAD_INPUT
    print(json.dumps(record))
    return 0


def add_command(commands: argparse._SubParsersAction) -> None:
    """Register ``explain``."""
    from cnnviz.photos.prepare import FITS

    command = commands.add_parser("explain", help="write a saliency overlay of a photo's top class (JSON)")
    command.add_argument("file", type=Path, metavar="IMAGE")
    command.add_argument("--run", dest="run_dir", type=Path, required=True, help="a saved run folder")
    command.add_argument("--method", default="gradcam", choices=RegistryChoices(saliency_methods), metavar="METHOD",
                         help="a saliency method of cnnviz.explain.saliency.METHODS: %(choices)s (default gradcam)")
    command.add_argument("--out", type=Path, required=True, help="the PNG to write")
    command.add_argument("--fit", choices=FITS, default="auto", help="how the photo is framed")
    command.set_defaults(run=cmd_explain)
