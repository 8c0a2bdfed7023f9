"""The decoded-dataset cache: one entry per dataset, mapped read-only, written once even by concurrent writers."""

from __future__ import annotations

import os
import threading
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from cnnviz.data import cache, registry
from cnnviz.data.cache import MARKER, cache_root, dataset_ref, load_cached
from cnnviz.data.dataset import DatasetSpec


def assert_same_data(left, right) -> None:
    for name in ("train", "val", "test"):
        a, b = left.split(name), right.split(name)
        np.testing.assert_array_equal(a.x, b.x)
        np.testing.assert_array_equal(a.y, b.y)
        assert (a.boxes is None) == (b.boxes is None)
        if a.boxes is not None:
            np.testing.assert_array_equal(a.boxes, b.boxes)


def counting_loads(monkeypatch) -> list:
    """Every load_dataset call the cache makes, recorded (the real load still runs)."""
    calls, real = [], registry.load_dataset

    def load(spec, progress=None):
        calls.append(spec)
        return real(spec, progress)

    monkeypatch.setattr(registry, "load_dataset", load)
    return calls


def test_a_dataset_in_memory_is_stored_once_and_opens_mapped_read_only(small_shapes, tmp_path):
    ref = dataset_ref(small_shapes, tmp_path)
    opened = ref.open()
    assert_same_data(opened, small_shapes)
    assert isinstance(opened.train.x, np.memmap) and not opened.train.x.flags.writeable
    assert (opened.name, opened.class_names, opened.spec) == (small_shapes.name, small_shapes.class_names,
                                                              small_shapes.spec)  # fmt: skip
    written = (ref.folder / MARKER).stat().st_mtime_ns
    assert dataset_ref(small_shapes, tmp_path).folder == ref.folder, "the same arrays: the same entry"
    assert dataset_ref(opened, tmp_path).folder == ref.folder, "a mapped dataset names its own entry"
    assert (ref.folder / MARKER).stat().st_mtime_ns == written, "never written twice"
    assert [path.name for path in tmp_path.iterdir() if not path.name.startswith(".lock-")] == [ref.folder.name]


def test_other_arrays_or_other_fields_are_told_apart(small_shapes, tmp_path):
    ref = dataset_ref(small_shapes, tmp_path)
    subset = replace(ref.open(), train=ref.open().train.take(np.arange(10)))  # keeps the spec, not the arrays
    assert dataset_ref(subset, tmp_path).folder != ref.folder
    assert len(dataset_ref(subset, tmp_path).open().train) == 10
    renamed = dataset_ref(small_shapes.with_display_names(["a", "b", "c", "d"]), tmp_path)
    assert renamed.folder == ref.folder and renamed.open().display_names == ["a", "b", "c", "d"]


def test_a_spec_is_decoded_once_and_then_mapped(monkeypatch, tmp_path):
    calls = counting_loads(monkeypatch)
    spec = DatasetSpec(source="shapes", image_size=32, count=120, ratios=(0.8, 0.2, 0.0))
    first = load_cached(spec, tmp_path)
    second = load_cached(spec, tmp_path)
    assert calls == [spec]
    assert_same_data(first, registry.load_dataset(spec))
    assert second.spec == spec and len(second.test) == 0 and isinstance(second.val.x, np.memmap)
    assert dataset_ref(second, tmp_path).folder.parent == tmp_path


def test_a_changed_folder_is_decoded_again(monkeypatch, tmp_path):
    root = tmp_path / "photos"
    for label in ("cat", "dog"):
        (root / label).mkdir(parents=True)
        for index in range(4):
            Image.new("RGB", (20, 20), (40 * index, 0, 0)).save(root / label / f"{index}.png")
    calls = counting_loads(monkeypatch)
    spec = DatasetSpec(source="folder", path=str(root), image_size=8)
    load_cached(spec, tmp_path / "cache")
    load_cached(spec, tmp_path / "cache")
    image = root / "cat" / "0.png"
    Image.new("RGB", (20, 20), (0, 255, 0)).save(image)
    os.utime(image, ns=(image.stat().st_atime_ns, image.stat().st_mtime_ns + 10**9))
    changed = load_cached(spec, tmp_path / "cache")
    assert len(calls) == 2
    assert_same_data(changed, registry.load_dataset(spec))


def test_concurrent_writers_write_an_entry_once(monkeypatch, tmp_path):
    calls = counting_loads(monkeypatch)
    spec = DatasetSpec(source="shapes", image_size=32, count=120)
    start = threading.Barrier(4)
    results = []

    def load() -> None:
        start.wait()
        results.append(load_cached(spec, tmp_path))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [spec] and len(results) == 4
    assert len({dataset_ref(result, tmp_path).folder for result in results}) == 1


def test_a_folder_without_its_marker_is_written_again(small_shapes, tmp_path):
    ref = dataset_ref(small_shapes, tmp_path)
    (ref.folder / MARKER).unlink()
    (ref.folder / "train.x.npy").write_bytes(b"half written")
    stale = tmp_path / f".tmp-{ref.folder.name}-dead"
    stale.mkdir()
    again = dataset_ref(small_shapes, tmp_path)
    assert again.folder == ref.folder and (again.folder / MARKER).is_file() and not stale.exists()
    assert_same_data(again.open(), small_shapes)


def test_a_failed_write_leaves_nothing_behind(small_shapes, tmp_path, monkeypatch):
    def full_disk(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(cache.np, "save", full_disk)
    with pytest.raises(OSError, match="No space"):
        dataset_ref(small_shapes, tmp_path)
    assert [path.name for path in tmp_path.iterdir() if not path.name.startswith(".lock-")] == []


def test_the_cache_lives_hidden_in_the_runs_directory(tmp_path):
    assert cache_root(tmp_path) == tmp_path.absolute() / ".datasets"
