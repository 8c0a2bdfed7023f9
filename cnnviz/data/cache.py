"""Decoded datasets on disk, once: memory-mapped arrays in a cache folder beside the runs.

A training in another process (cnnviz.training.processes, ray_worker) gets its dataset by
reference: the arrays are stored once in an entry of the cache, and every process maps them
read-only (``DatasetRef.open``) instead of unpickling a copy. An entry is a folder holding one
``.npy`` file per array (``train.x.npy``, ``train.y.npy``, ``train.boxes.npy``, ``val.x.npy``...),
``fields.pickle`` (the Dataset's other fields) and the marker file ``COMPLETE``, written last.
It is written under a temporary name and renamed into place while its writer holds the key's
lock file (``fcntl.flock``), so concurrent writers (threads, processes, nodes sharing the runs
directory) write it once; a folder without its marker is written again.

Two kinds of key: ``load_cached`` keys an entry by the DatasetSpec and the sizes and times of
the files it reads, so a dataset is decoded once for every session and every server start;
``dataset_ref`` of a dataset built in memory keys it by a digest of its arrays. The cache lives
in ``cache_root(runs_dir)``, storage every node sees when the runs directory is. Entries are
never removed by cnnviz: delete the folder to reclaim the space.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import mmap
import os
import pickle
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from cnnviz.data import registry
from cnnviz.data.dataset import SPLIT_NAMES, Dataset, DatasetSpec, Split
from cnnviz.data.fast_decode import Progress
from cnnviz.data.shared_files import file_lock

CACHE_FOLDER = ".datasets"  # in the runs directory: hidden, so never listed as a run
CACHE_VERSION = 1  # part of every key: raise it when the layout or the decoding changes
FIELDS_FILE = "fields.pickle"
MARKER = "COMPLETE"


def cache_root(runs_dir: Path) -> Path:
    """Where the decoded datasets of the trainings in ``runs_dir`` are kept."""
    return Path(runs_dir).absolute() / CACHE_FOLDER


@dataclasses.dataclass(frozen=True)
class DatasetRef:
    """A dataset in the cache: its entry folder and the fields that are not arrays (small to pickle)."""

    folder: Path
    fields: dict[str, Any]

    def open(self) -> Dataset:
        """The dataset, its arrays mapped read-only from the entry's files."""
        return _open(self.folder, self.fields)


def dataset_ref(dataset: Dataset, root: Path) -> DatasetRef:
    """``dataset`` by reference: the entry its arrays map, else a new entry of its arrays (written once)."""
    folder = _mapped_entry(dataset) or _stored(root, _content_key(dataset), lambda: dataset)
    return DatasetRef(folder, _fields(dataset))


def load_cached(spec: DatasetSpec, root: Path, progress: Progress | None = None) -> Dataset:
    """What ``load_dataset(spec)`` gives, mapped from the cache: decoded only when no entry has it.

    ``progress(done, total)`` hears the decoding, as in ``load_dataset``; raises DatasetUnavailable.
    """
    registry.check_request(spec)  # before the key lists the spec's files
    folder = _stored(root, _spec_key(spec), lambda: registry.load_dataset(spec, progress))
    return _open(folder, _read_fields(folder))


def _stored(root: Path, key: str, make: Callable[[], Dataset]) -> Path:
    """The complete entry of ``key``, written from ``make()`` first when there is none."""
    folder = root / key
    if not _complete(folder):
        with _key_lock(root, key):
            if not _complete(folder):  # another writer may have finished it while this one waited
                _write(folder, make())
    return folder


def _complete(folder: Path) -> bool:
    return (folder / MARKER).is_file()


def _key_lock(root: Path, key: str) -> contextlib.AbstractContextManager[None]:
    """Hold the key's lock file: one writer of an entry at a time, across threads, processes and nodes."""
    return file_lock(root / f".lock-{key}")


def _write(folder: Path, dataset: Dataset) -> None:
    """Write the entry under a temporary name, its marker last, and rename it into place (lock held)."""
    for stale in folder.parent.glob(f".tmp-{folder.name}-*"):  # left by a writer that died
        shutil.rmtree(stale, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)  # a folder without its marker is written again
    temporary = folder.with_name(f".tmp-{folder.name}-{uuid.uuid4().hex}")
    temporary.mkdir()
    try:
        for role, array in _arrays(dataset).items():
            np.save(temporary / f"{role}.npy", array, allow_pickle=False)
        stored_fields = {**_fields(dataset), "spec": dataset.spec and dataset.spec.to_dict()}
        (temporary / FIELDS_FILE).write_bytes(pickle.dumps(stored_fields))
        (temporary / MARKER).write_text(json.dumps({"name": dataset.name, "images": _sizes(dataset)}))
        os.rename(temporary, folder)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def _read_fields(folder: Path) -> dict[str, Any]:
    stored = pickle.loads((folder / FIELDS_FILE).read_bytes())
    return {**stored, "spec": stored["spec"] and DatasetSpec.from_dict(stored["spec"])}


def _open(folder: Path, fields: dict[str, Any]) -> Dataset:
    splits = {
        name: Split(_map(folder, f"{name}.x"), _map(folder, f"{name}.y"), _map(folder, f"{name}.boxes", optional=True))
        for name in SPLIT_NAMES
    }  # fmt: skip
    return Dataset(**fields, **splits)


def _map(folder: Path, role: str, optional: bool = False) -> np.ndarray | None:
    path = folder / f"{role}.npy"
    if optional and not path.is_file():
        return None
    return np.load(path, mmap_mode="r", allow_pickle=False)


def _arrays(dataset: Dataset) -> dict[str, np.ndarray]:
    """Every array of the dataset by its role ("train.x", "val.y", "test.boxes"...)."""
    arrays = {}
    for name, split in dataset.splits().items():
        arrays[f"{name}.x"], arrays[f"{name}.y"] = split.x, split.y
        if split.boxes is not None:
            arrays[f"{name}.boxes"] = split.boxes
    return arrays


def _fields(dataset: Dataset) -> dict[str, Any]:
    """The dataset's fields other than its splits."""
    return {field.name: getattr(dataset, field.name) for field in dataclasses.fields(dataset)
            if field.name not in SPLIT_NAMES}  # fmt: skip


def _sizes(dataset: Dataset) -> dict[str, int]:
    return {name: len(split) for name, split in dataset.splits().items()}


def _mapped_entry(dataset: Dataset) -> Path | None:
    """The complete entry whose files the dataset's arrays map whole (a dataset this module opened), else None."""
    files = {role: _mapped_file(array) for role, array in _arrays(dataset).items()}
    folders = {path.parent for path in files.values() if path is not None}
    if len(folders) != 1 or any(path is None or path.name != f"{role}.npy" for role, path in files.items()):
        return None
    folder = folders.pop()
    if {path.name.removesuffix(".npy") for path in folder.glob("*.npy")} != set(files):
        return None  # e.g. a copy without the boxes its entry has
    return folder if _complete(folder) else None


def _mapped_file(array: np.ndarray) -> Path | None:
    """The .npy file ``array`` maps whole (np.load's own map, not a slice or a copy of it), else None."""
    if isinstance(array, np.memmap) and isinstance(array.base, mmap.mmap) and array.filename:
        return Path(array.filename)
    return None


def _spec_key(spec: DatasetSpec) -> str:
    described = {"version": CACHE_VERSION, "spec": spec.to_dict(), "files": _source_files(spec)}
    return "spec-" + hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:32]


def _source_files(spec: DatasetSpec) -> list[tuple[str, int, int]]:
    """(path, size, modification time) of every file the spec reads from disk: a changed file makes a new key.

    Sources without a path (Shapes, Keras' downloads) give the same data for the same spec.
    """
    if not spec.path:
        return []
    root = Path(spec.path)
    if not root.is_dir():
        return [_stat(root, root.name)] if root.exists() else []
    files = []
    for folder, subfolders, names in os.walk(root):
        subfolders.sort()
        files.extend(_stat(Path(folder) / name, os.path.relpath(Path(folder) / name, root)) for name in sorted(names))
    return files


def _stat(path: Path, name: str) -> tuple[str, int, int]:
    status = path.stat()
    return name, status.st_size, status.st_mtime_ns


def _content_key(dataset: Dataset) -> str:
    """A digest of every array (its role, dtype, shape and bytes): the key of a dataset built in memory."""
    digest = hashlib.sha256(f"version {CACHE_VERSION}".encode())
    for role, array in _arrays(dataset).items():
        digest.update(f"{role} {array.dtype.str} {array.shape}".encode())
        digest.update(np.ascontiguousarray(array).reshape(-1).view(np.uint8))
    return "data-" + digest.hexdigest()[:32]
