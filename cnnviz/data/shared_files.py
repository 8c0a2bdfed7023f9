"""Folders of files that every session shares (uploads, extracted zips, decoded datasets): one writer
of an entry at a time, and a byte bound kept by removing the least recently used entries first."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold the lock file ``path`` (``fcntl.flock``): one holder at a time, across threads, processes and
    nodes that share the folder. Released when the block ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def touch(path: Path) -> None:
    """Mark an entry as just used (its modification time orders the cleanup)."""
    with contextlib.suppress(OSError):
        os.utime(path)


def entry_bytes(path: Path) -> int:
    """The bytes of a file, or of every file below a folder."""
    if not path.is_dir():
        return path.stat().st_size if path.exists() else 0
    return sum((Path(folder) / name).stat().st_size for folder, _dirs, names in os.walk(path) for name in names)


def trim_oldest(folder: Path, max_bytes: int, keep: Path) -> None:
    """Remove the least recently used entries of ``folder`` (hidden ones aside) until it holds at most
    ``max_bytes``; ``keep``, the entry just written or used, stays whatever its size."""
    if not folder.is_dir():
        return
    entries = sorted((p for p in folder.iterdir() if not p.name.startswith(".")), key=_last_used)
    sizes = {entry: entry_bytes(entry) for entry in entries}
    total = sum(sizes.values())
    for entry in entries:
        if total <= max_bytes:
            return
        if entry == keep:
            continue
        log.info("cache over %d bytes: removing %s", max_bytes, entry)
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        total -= sizes[entry]


def _last_used(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
