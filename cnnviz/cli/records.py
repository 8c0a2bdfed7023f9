"""Printing a command's results: one JSON object per line on stdout, errors on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any


def print_records(make_records: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Print each record as a JSON line; a run that cannot be opened is reported on stderr."""
    from cnnviz.runs.store import RunError

    try:
        records = make_records()
    except RunError as error:
        print(f"error: {error}", file=sys.stderr)
        return []
    for record in records:
        print(json.dumps(record))
    return records
