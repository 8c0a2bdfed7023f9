"""The ``conv-step`` command: one output value of a saved run's Conv2D layer, computed by hand."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

USAGE_ERROR = 2  # a bad layer, channel, position or file, as argparse exits for bad arguments


def cmd_conv_step(args: argparse.Namespace) -> int:
    """Print the hand-computed value beside the model's as one JSON object; 2 for bad input."""
    from cnnviz.data.images import ImageError
    from cnnviz.explain.convolution import ConvExplainError, conv_step
    from cnnviz.photos.prepare import InputSpec, prepare_input
    from cnnviz.runs.store import RunError, load_run

    try:
        run = load_run(args.run_dir)
        photo = prepare_input(args.image, InputSpec.from_config(run.config))
        step = conv_step(
            run.model, photo.image, args.layer, args.channel, args.x, args.y, run.config.preprocessing.scale
        )
    except (RunError, ImageError, ConvExplainError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return USAGE_ERROR
    print(json.dumps(step.to_dict()))
    return 0


def add_command(commands: argparse._SubParsersAction) -> None:
    """Register ``conv-step``."""
    step = commands.add_parser(
        "conv-step", help="one Conv2D output value worked out by hand from a saved run's weights (JSON)"
    )
    step.add_argument("image", type=Path, metavar="IMAGE")
    step.add_argument("--run", dest="run_dir", type=Path, required=True, help="a saved run folder")
    step.add_argument("--layer", required=True, help="a Conv2D layer's name (see the Convolution page)")
    step.add_argument("--channel", type=int, default=0, help="the output channel (filter), from 0")
    step.add_argument("--x", type=int, default=0, help="the output column, from 0")
    step.add_argument("--y", type=int, default=0, help="the output row, from 0")
    step.set_defaults(run=cmd_conv_step)
