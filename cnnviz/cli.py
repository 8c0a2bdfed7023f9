"""Headless commands for teachers who prepare datasets and models before class."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def cmd_datasets(args: argparse.Namespace) -> int:
    """List the registered datasets, one per line."""
    from cnnviz.registry import list_datasets

    for name in list_datasets():
        print(name)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cnnviz", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("datasets", help="list the registered datasets").set_defaults(run=cmd_datasets)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
