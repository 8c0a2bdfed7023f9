"""The ``export-code`` command: a saved run's set-up as a Keras script or a Jupyter notebook."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cnnviz.i18n import _

FORMATS = (".py", ".ipynb")


def export_code(run_dir: Path, out: Path) -> None:
    """Write the code of the run in ``run_dir`` to ``out`` (.py or .ipynb).

    Raises ValueError (a user-facing message) for another suffix, a run that cannot be read
    or a set-up that has no code.
    """
    from cnnviz.lesson.code import Setup, script
    from cnnviz.lesson.notebook import notebook_json
    from cnnviz.runs.store import RunError, read_config

    if out.suffix not in FORMATS:
        raise ValueError(_("the output file must end in .py or .ipynb, not {name!r}").format(name=out.name))
    try:
        config = read_config(run_dir)
    except RunError as error:
        raise ValueError(str(error)) from error
    setup = Setup.of_run(config)
    text = script(setup, config.name) if out.suffix == ".py" else notebook_json(setup, config.name)
    out.write_text(text, encoding="utf-8")


def cmd_export_code(args: argparse.Namespace) -> int:
    """Write the file; 0 when it was written, 1 with a message on stderr otherwise."""
    try:
        export_code(args.run_dir, args.out)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(args.out)
    return 0


def add_command(commands: argparse._SubParsersAction) -> None:
    """Register ``export-code``."""
    export = commands.add_parser("export-code", help="write a saved run's Keras code as a .py script or .ipynb notebook")
    export.add_argument("--run", dest="run_dir", type=Path, required=True, help="a saved run folder")
    export.add_argument("--out", type=Path, required=True, help="the file to write: .py or .ipynb")
    export.set_defaults(run=cmd_export_code)
