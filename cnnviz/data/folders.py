"""Your own images: a folder of class subfolders, a pre-split folder, or a flat folder
whose file names carry the class (cloudy12.jpg, rain3.jpg)."""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import numpy as np

from cnnviz.data.dataset import SkippedFile
from cnnviz.data.fast_decode import Progress, decode_files
from cnnviz.data.images import is_image_file
from cnnviz.i18n import N_, _, later

SPLIT_FOLDER_NAMES = {"train": "train", "val": "val", "validation": "val", "test": "test"}
IGNORED_NAMES = {"__MACOSX", ".DS_Store", "Thumbs.db"}


class FolderError(ValueError):
    """A folder that cannot become a dataset, with a message meant for the user."""


def visible_children(folder: Path) -> list[Path]:
    """Entries of a folder without hidden files and OS clutter, sorted by name."""
    return sorted(
        p for p in folder.iterdir() if not _ignored(p.name)
    )


def find_split_folders(root: Path) -> dict[str, Path]:
    """{"train": ..., "val": ..., "test": ...} for the split subfolders a folder holds."""
    found = {}
    for child in visible_children(root):
        split = SPLIT_FOLDER_NAMES.get(child.name.lower())
        if child.is_dir() and split:
            found[split] = child
    return found if "train" in found else {}


def class_folders(root: Path) -> dict[str, list[Path]]:
    """Image files per class subfolder (files found at any depth below each class folder)."""
    classes = {}
    for child in visible_children(root):
        if child.is_dir():
            classes[child.name] = image_files_below(child)
    if len(classes) < 2:
        raise FolderError(
            _("{root} needs at least 2 class subfolders; found {count}").format(root=root.name, count=len(classes))
        )
    return classes


def suggest_keywords(file_names: list[str], min_files: int = 2) -> list[str]:
    """Class keywords from file names: the leading letters of each name (cloudy12.jpg -> cloudy)."""
    prefixes = Counter()
    for name in file_names:
        match = re.match(r"[a-zA-Z]+", Path(name).stem)
        if match:
            prefixes[match.group(0).lower()] += 1
    return sorted(word for word, count in prefixes.items() if count >= min_files)


def keyword_of(file_name: str, keywords: list[str]) -> str | None:
    """The longest keyword a file name starts with, or failing that contains."""
    name = file_name.lower()
    for test in (name.startswith, name.__contains__):
        matches = [k for k in keywords if test(k.lower())]
        if matches:
            return max(matches, key=len)
    return None


def flat_folder_files(root: Path, keywords: list[str]) -> tuple[dict[str, list[Path]], list[SkippedFile]]:
    """Image files of a flat folder grouped by the keyword in their names."""
    if not keywords:
        raise FolderError(_("give at least two class keywords for a flat folder"))
    grouped: dict[str, list[Path]] = {k: [] for k in keywords}
    unmatched = []
    for path in visible_children(root):
        if path.is_file() and is_image_file(path):
            keyword = keyword_of(path.name, keywords)
            if keyword is None:
                unmatched.append(SkippedFile(str(path), later(N_("no class keyword in its name"))))
            else:
                grouped[keyword].append(path)
    return grouped, unmatched


class DecodedClasses(NamedTuple):
    """A folder's decoded images, their labels, the files skipped and why."""

    x: np.ndarray
    y: np.ndarray
    skipped: list[SkippedFile]
    listing_index: np.ndarray  # each image's position in the class-by-class listing of the files


def listed_labels(files_by_class: dict[str, list[Path]]) -> np.ndarray:
    """The class index of every file, class by class, as ``decode_classes`` lists them."""
    return np.asarray([i for i, name in enumerate(files_by_class) for _ in files_by_class[name]], dtype=np.int32)


def decode_classes(
    files_by_class: dict[str, list[Path]], image_size: int, color_mode: str,
    progress: Progress | None = None, order: np.ndarray | None = None,
) -> DecodedClasses:  # fmt: skip
    """Decode every file once, in parallel; undecodable files are skipped and reported.

    ``order`` (positions in the listing) decodes the files in that order, and the images and
    labels come back in it. ``progress(done, total)`` is called as files are decoded
    (see cnnviz.data.fast_decode).
    """
    class_names = list(files_by_class)
    paths = [p for name in class_names for p in files_by_class[name]]
    order = np.arange(len(paths)) if order is None else order
    decoded = decode_files([paths[i] for i in order], image_size, color_mode, progress)
    in_listing_order = sorted(decoded.skipped.items(), key=lambda item: order[item[0]])
    skipped = [SkippedFile(str(paths[order[position]]), reason) for position, reason in in_listing_order]
    positions = decoded.kept()
    y = listed_labels(files_by_class)[order[positions]]
    check_classes(class_names, y)
    x = decoded.images[positions] if decoded.skipped else decoded.images
    return DecodedClasses(x, y, skipped, order[positions])


def check_classes(class_names: list[str], labels: np.ndarray) -> None:
    """Refuse fewer than two classes, or a class left without any image."""
    if len(class_names) < 2:
        raise FolderError(_("a dataset needs at least 2 classes; found {count}").format(count=len(class_names)))
    counts = np.bincount(labels, minlength=len(class_names))
    empty = [name for name, count in zip(class_names, counts) if count == 0]
    if empty:
        raise FolderError(_("these classes have no usable images: {names}").format(names=", ".join(empty)))


def _ignored(name: str) -> bool:
    return name.startswith(".") or name in IGNORED_NAMES


def image_files_below(folder: Path) -> list[Path]:
    """Image files at any depth below ``folder``, sorted; hidden and system files and folders are left out."""
    found = []
    for directory, subfolders, names in os.walk(folder):
        subfolders[:] = [name for name in subfolders if not _ignored(name)]
        found.extend(Path(directory, name) for name in names if not _ignored(name) and is_image_file(Path(name)))
    return sorted(found)


def suggest_flat_keywords(root: Path) -> list[str]:
    """Class keywords suggested from the image file names of a flat folder."""
    return suggest_keywords([p.name for p in visible_children(root) if p.is_file() and is_image_file(p)])
