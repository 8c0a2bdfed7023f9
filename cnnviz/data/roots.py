"""Which dataset paths this server may read: the one check for the page, links, saved runs and the CLI.

A shared server names its readable roots in ``CNNVIZ_DATA_ROOTS`` (folders separated by
``os.pathsep``); cnnviz's own cache of uploads and extracted zips is always one of them then.
Every dataset path is resolved (symlinks too) and must lie inside a root. A refused path gets
one message that names no path and says nothing of whether it exists; the details go to the
server log. Without roots set (one person on their own machine) every path may be read.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from cnnviz.i18n import _

ROOTS_ENV = "CNNVIZ_DATA_ROOTS"
CACHE_ENV = "CNNVIZ_CACHE"
PICKER_DEPTH = 2  # how deep below a root the Data page's picker lists folders

log = logging.getLogger(__name__)


class PathRefused(ValueError):
    """A dataset path outside the server's readable roots (the message names no path)."""

    def __init__(self) -> None:
        super().__init__(_("This dataset is not available on this server. Pick one of the server's datasets."))


def cache_dir() -> Path:
    """cnnviz's own cache (uploads, extracted zips): $CNNVIZ_CACHE, default ~/.cache/cnnviz."""
    return Path(os.environ.get(CACHE_ENV, Path.home() / ".cache" / "cnnviz"))


def readable_roots() -> list[Path] | None:
    """The folders datasets may be read from, resolved; None when the server sets none (every path may be read)."""
    named = [part for part in os.environ.get(ROOTS_ENV, "").split(os.pathsep) if part.strip()]
    if not named:
        return None
    return [Path(part).expanduser().resolve() for part in (*named, str(cache_dir()))]


def check_readable(path: str | Path) -> Path:
    """``path`` resolved (symlinks followed); PathRefused when it lies outside every readable root.

    Nothing under the path is opened: the check is on the resolved name alone.
    """
    resolved = Path(path).expanduser().resolve(strict=False)
    roots = readable_roots()
    if roots is not None and not any(resolved.is_relative_to(root) for root in roots):
        log.warning("refused a dataset path outside the readable roots: %s", resolved)
        raise PathRefused()
    return resolved


def root_choices(suffix: str = "") -> list[Path]:
    """What the Data page's picker offers: the folders under the readable roots (``PICKER_DEPTH`` levels),
    or with ``suffix`` (".npz") the files of that kind in them; [] without roots. The cache of uploads
    is left out: its entries are named by content, not by a teacher."""
    roots = readable_roots()
    if roots is None:
        return []
    folders = [found for root in roots[:-1] if root.is_dir() for found in (root, *_folders_below(root, PICKER_DEPTH))]
    if suffix:
        folders = sorted({file for folder in folders for file in _files_in(folder) if file.suffix.lower() == suffix})
    # a link that leads out of the roots is not offered: check_readable would refuse it
    return [path for path in folders if path not in roots and any(path.resolve().is_relative_to(r) for r in roots)]


def _folders_below(root: Path, depth: int) -> list[Path]:
    """Visible folders below ``root`` down to ``depth`` levels, sorted; unreadable ones are left out."""
    if depth < 1:
        return []
    children = [child for child in _files_in(root) if child.is_dir()]
    return [found for child in children for found in (child, *_folders_below(child, depth - 1))]


def _files_in(folder: Path) -> list[Path]:
    """A folder's visible entries, sorted ([] when it cannot be read)."""
    try:
        return sorted(child for child in folder.iterdir() if not child.name.startswith("."))
    except OSError:
        return []


def shown_name(path: Path) -> str:
    """How the picker shows a folder: its path from the root above it, never the server's full path."""
    roots = readable_roots() or []
    for root in roots:
        if path.is_relative_to(root):
            return f"{root.name}/{path.relative_to(root)}"
    return path.name
