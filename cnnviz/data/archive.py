"""Safe extraction of a user's zip upload, once per archive however many sessions load it at once."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import uuid
import zipfile
from pathlib import Path, PurePosixPath

from cnnviz.data.folders import IGNORED_NAMES
from cnnviz.data.shared_files import file_lock, touch, trim_oldest
from cnnviz.i18n import _

MAX_TOTAL_BYTES = 2 * 1024**3
MAX_FILES = 200_000
MARKER = ".cnnviz-complete"  # written last into a finished extraction (hidden: never read as data)


class ArchiveError(ValueError):
    """A zip that is refused, with a message meant for the user."""


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def extract_cached(zip_path: Path, cache: Path, max_cache_bytes: int) -> Path:
    """The dataset root of ``zip_path`` extracted into ``cache``, extracted only when no complete copy is there.

    The copy is named by the archive's name, size and modification time; it is written under the
    archive's lock into a fresh folder and renamed into place with its completion marker, so loads
    at the same time extract it once and a copy without its marker is extracted again. The cache is
    then trimmed to ``max_cache_bytes``, least recently used copies first.
    """
    status = zip_path.stat()
    key = f"{zip_path.stem[:40]}-{content_hash(f'{zip_path.resolve()} {status.st_size} {status.st_mtime_ns}'.encode())}"
    target = cache / key
    if not (target / MARKER).is_file():
        with file_lock(cache / f".lock-{key}"):
            if not (target / MARKER).is_file():
                _extract_fresh(zip_path, target)
                trim_oldest(cache, max_cache_bytes, keep=target)
    touch(target)
    return dataset_root(target)


def _extract_fresh(zip_path: Path, target: Path) -> None:
    """Extract into a new temporary folder beside ``target``, mark it complete, rename it into place (lock held)."""
    for stale in target.parent.glob(f".tmp-{target.name}-*"):  # left by an extraction that died
        shutil.rmtree(stale, ignore_errors=True)
    temporary = target.with_name(f".tmp-{target.name}-{uuid.uuid4().hex}")
    try:
        safe_extract(zip_path, temporary)
        (temporary / MARKER).touch()
        shutil.rmtree(target, ignore_errors=True)  # an unfinished copy
        os.rename(temporary, target)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def safe_extract(zip_path: Path, target: Path, max_total_bytes: int = MAX_TOTAL_BYTES) -> Path:
    """Extract a zip into the new folder ``target`` after checking every member; returns the dataset's root.

    Refused: members whose path would escape target, links, archives over the size cap.
    Skipped: __MACOSX, .DS_Store and hidden files. The root is the first folder holding
    more than a single subfolder.
    """
    try:
        with zipfile.ZipFile(zip_path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir() and not _ignored(m.filename)]
            _check_members(members, target, max_total_bytes)
            target.mkdir(parents=True)
            written = 0
            for member in members:
                written += _extract_member(archive, member, target, max_total_bytes - written)
    except zipfile.BadZipFile as error:
        raise ArchiveError(
            _("{file} is not a valid zip archive ({error})").format(file=zip_path.name, error=error)
        ) from error
    return dataset_root(target)


def dataset_root(folder: Path) -> Path:
    """Descend through folders that hold nothing but one subfolder."""
    while True:
        children = [c for c in folder.iterdir() if not _ignored(c.name)]
        if len(children) == 1 and children[0].is_dir():
            folder = children[0]
        else:
            return folder


def _ignored(name: str) -> bool:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    hidden = (part.startswith(".") and part not in (".", "..") for part in parts)
    return any(hidden) or any(part in IGNORED_NAMES for part in parts)


def _check_members(members: list[zipfile.ZipInfo], target: Path, max_total_bytes: int) -> None:
    if len(members) > MAX_FILES:
        raise ArchiveError(
            _("the archive holds {count:,} files; the limit is {limit:,}").format(count=len(members), limit=MAX_FILES)
        )
    declared = sum(m.file_size for m in members)
    if declared > max_total_bytes:
        raise ArchiveError(
            _("the archive unpacks to {size:,.0f} MB; the limit is {limit:,.0f} MB").format(
                size=declared / 1e6, limit=max_total_bytes / 1e6
            )
        )
    root = target.resolve()
    for member in members:
        if stat.S_ISLNK(member.external_attr >> 16):
            raise ArchiveError(
                _("the archive holds a link ({name}); links are refused").format(name=member.filename)
            )
        destination = (root / member.filename).resolve()
        if member.filename.startswith(("/", "\\")) or not destination.is_relative_to(root):
            raise ArchiveError(
                _("unsafe path in the archive: {name!r} would land outside the folder").format(name=member.filename)
            )


def _extract_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, root: Path, cap: int) -> int:
    """Copy one member, counting real bytes so that a lying size header cannot pass the cap."""
    destination = root / member.filename
    destination.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with archive.open(member) as source, open(destination, "wb") as sink:
        while chunk := source.read(1 << 20):
            written += len(chunk)
            if written > cap:
                raise ArchiveError(_("the archive unpacks to more than the size limit"))
            sink.write(chunk)
    return written
