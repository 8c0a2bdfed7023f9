"""The ``filters`` command: a saved run's filter patterns as one labelled PNG."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cnnviz.cli.records import print_records
from cnnviz.i18n import _


def write_patterns(
    run_dir: Path, out: Path, layer_name: str | None = None, count: int = 16
) -> dict[str, Any]:
    """Write the patterns of a conv layer's first ``count`` filters to ``out``; a JSON-ready record.

    Raises RunError for a run that cannot be opened, ValueError for a layer that is not there.
    """
    from PIL import Image

    from cnnviz.explain.activations import labelled_mosaic
    from cnnviz.explain.filters import FilterSettings, filter_patterns, pattern_layers
    from cnnviz.runs.store import load_run

    run = load_run(run_dir)
    layers = {info.name: info for info in pattern_layers(run.model)}
    if not layers or (layer_name is not None and layer_name not in layers):
        known = ", ".join(layers)
        raise ValueError(_("no Conv2D layer {layer} in this run; its conv layers: {known}").format(
            layer=layer_name or "", known=known))
    info = layers[layer_name or next(reversed(layers))]
    settings = FilterSettings(image_size=run.input_shape[0])
    patterns = filter_patterns(run.model, info.name, range(min(count, info.shape[2])), settings)
    labels = [f"#{p.index} {p.gain:.0f}x" if p.fires else f"#{p.index} {_('silent')}" for p in patterns]
    Image.fromarray(labelled_mosaic([p.image for p in patterns], labels, 8, 96)).save(out)
    firing = [p.gain for p in patterns if p.fires]
    return {"layer": info.name, "filters": len(patterns), "min_gain": round(min(firing), 1) if firing else None,
            "silent": len(patterns) - len(firing), "out": str(out)}


def cmd_filters(args: argparse.Namespace) -> int:
    """Write a saved run's filter patterns as one PNG; 0 if it was written."""
    try:
        records = print_records(lambda: [write_patterns(args.run_dir, args.out, args.layer, args.count)])
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0 if records else 1


def add_command(commands: argparse._SubParsersAction) -> None:
    """Register ``filters``."""
    filters = commands.add_parser("filters", help="write a saved run's filter patterns as one PNG")
    filters.add_argument("--run", dest="run_dir", type=Path, required=True, help="a saved run folder")
    filters.add_argument("--layer", help="a Conv2D layer (default: the last one)")
    filters.add_argument("--count", type=int, default=16, help="how many filters, from filter 0 (default 16)")
    filters.add_argument("--out", type=Path, required=True, help="the PNG to write")
    filters.set_defaults(run=cmd_filters)
