"""Headless commands for teachers who prepare datasets and models before class."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from cnnviz.cli import conv, explain, export, filters, photos, train


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnnviz", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("datasets", help="list the registered datasets").set_defaults(run=cmd_datasets)
    archs = commands.add_parser("archs", help="list the architectures and their parameter counts")
    archs.set_defaults(run=cmd_archs)
    photos.add_commands(commands)
    train.add_command(commands)
    filters.add_command(commands)
    conv.add_command(commands)
    export.add_command(commands)
    explain.add_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``cnnviz ...`` and ``python -m cnnviz ...``: run one command; returns its exit status."""
    args = build_parser().parse_args(argv)
    return args.run(args)
