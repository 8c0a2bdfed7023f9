"""The data layer: generated, downloaded, array-file and image-folder sources."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnnviz.data.dataset import DatasetSpec
from cnnviz.data.images import is_image_file, load_image_array
from cnnviz.data.registry import DatasetUnavailable, list_datasets, load_dataset, spec_from_name_or_path
from cnnviz.data.shapes import SHAPE_CLASSES, generate_shapes
from cnnviz.data.split import stratified_split

from tests.conftest import REPO_ROOT


def image_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and is_image_file(p)]


def test_shapes_have_the_requested_size_classes_and_boxes():
    x, y, boxes = generate_shapes(200, image_size=48, seed=3)
    assert x.shape == (200, 48, 48, 3) and x.dtype == np.uint8
    assert set(y) == set(range(len(SHAPE_CLASSES))) and len(SHAPE_CLASSES) >= 4
    assert np.bincount(y).min() == 50
    assert ((boxes[:, 0] < boxes[:, 2]) & (boxes[:, 1] < boxes[:, 3])).all()
    assert boxes.min() >= 0 and boxes.max() <= 47


def test_shapes_are_deterministic_for_a_seed_and_differ_across_seeds():
    first, second, other = (generate_shapes(40, 32, seed=s) for s in (7, 7, 8))
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert not np.array_equal(first[0], other[0])


def test_shape_box_encloses_the_drawn_shape():
    x, _, boxes = generate_shapes(20, 64, seed=1)
    for image, (x0, y0, x1, y1) in zip(x, boxes):
        background = np.median(np.concatenate([image[0], image[-1]]), axis=0)
        changed = np.abs(image.astype(int) - background).sum(axis=-1) > 120
        ys, xs = np.nonzero(changed)
        inside = (xs >= x0 - 1) & (xs <= x1 + 1) & (ys >= y0 - 1) & (ys <= y1 + 1)
        assert inside.mean() > 0.97


def test_split_is_stratified_disjoint_and_reproducible():
    labels = np.repeat(np.arange(4), [100, 60, 40, 20])
    train, val, test = stratified_split(labels, (0.7, 0.15, 0.15), seed=5)
    assert len(np.intersect1d(train, val)) == len(np.intersect1d(train, test)) == len(np.intersect1d(val, test)) == 0
    assert len(train) + len(val) + len(test) == len(labels)
    for part, share in ((train, 0.7), (val, 0.15), (test, 0.15)):
        counts = np.bincount(labels[part], minlength=4)
        assert np.allclose(counts, np.array([100, 60, 40, 20]) * share, atol=1)
    again = stratified_split(labels, (0.7, 0.15, 0.15), seed=5)
    assert all(np.array_equal(a, b) for a, b in zip((train, val, test), again))
    assert not np.array_equal(train, stratified_split(labels, (0.7, 0.15, 0.15), seed=6)[0])


def test_shapes_dataset_has_three_splits(small_shapes):
    assert small_shapes.image_shape == (32, 32, 3)
    assert len(small_shapes.train) + len(small_shapes.val) + len(small_shapes.test) == 400
    assert small_shapes.test.boxes is not None and len(small_shapes.test.boxes) == len(small_shapes.test)


def test_animals10_folder_maps_italian_names_and_counts_every_file(shared_data):
    folder = shared_data / "animals10_small"
    dataset = load_dataset(DatasetSpec(source="folder", path=str(folder), image_size=32))
    assert dataset.class_names == sorted(p.name for p in folder.iterdir())
    assert dataset.display_names[dataset.class_names.index("cane")] == "dog"
    assert dataset.display_names[dataset.class_names.index("scoiattolo")] == "squirrel"
    totals = sum(dataset.class_counts().values())
    expected = [len(image_files(folder / name)) for name in dataset.class_names]
    assert totals.tolist() == expected and not dataset.skipped
    assert dataset.image_shape == (32, 32, 3)


def test_weather_flat_folder_takes_classes_from_file_names(shared_data):
    folder = shared_data / "weather_small"
    dataset = load_dataset(spec_from_name_or_path(str(folder), image_size=32))
    assert dataset.class_names == ["cloudy", "rain", "shine", "sunrise"]
    totals = sum(dataset.class_counts().values())
    expected = [sum(p.name.startswith(k) for p in image_files(folder)) for k in dataset.class_names]
    assert totals.tolist() == expected


def test_cats_dogs_folder_loads_as_grayscale(shared_data):
    dataset = load_dataset(DatasetSpec(source="folder", path=str(shared_data / "cats_dogs_small"), image_size=40, color_mode="grayscale"))
    assert dataset.class_names == ["cats", "dogs"] and dataset.image_shape == (40, 40, 1)
    assert sum(dataset.class_counts().values()).tolist() == [60, 60]


def test_mnist_idx_files_load_as_10000_digits(shared_data):
    dataset = load_dataset(DatasetSpec(source="idx", path=str(shared_data / "mnist"), ratios=(0.8, 0.1, 0.1)))
    sizes = [len(s) for s in dataset.splits().values()]
    assert sum(sizes) == 10_000 and dataset.image_shape == (28, 28, 1)
    labels = np.concatenate([s.y for s in dataset.splits().values()])
    assert sorted(set(labels.tolist())) == list(range(10))
    assert dataset.light_on_dark
    assert dataset.class_names[:2] == ["0", "1"]


def test_fashion_idx_files_get_fashion_names(shared_data):
    dataset = load_dataset(spec_from_name_or_path(str(shared_data / "fashion")))
    assert dataset.class_names[0] == "T-shirt/top" and dataset.class_names[9] == "Ankle boot"


def test_npz_with_float_images_loads(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "data.npz"
    np.savez(path, x=rng.random((60, 12, 12)), y=np.arange(60) % 3, class_names=np.array(["a", "b", "c"]))
    dataset = load_dataset(DatasetSpec(source="npz", path=str(path)))
    assert dataset.class_names == ["a", "b", "c"] and dataset.image_shape == (12, 12, 1)
    assert dataset.train.x.dtype == np.uint8 and dataset.train.x.max() > 200


def test_npz_without_x_and_y_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, images=np.zeros((4, 8, 8)))
    with pytest.raises(DatasetUnavailable, match="'x' and 'y'"):
        load_dataset(DatasetSpec(source="npz", path=str(path)))


def test_keras_download_failure_names_the_cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    import cnnviz.data.keras_datasets as keras_datasets

    def offline(source):
        raise keras_datasets.DownloadFailed(f"could not be downloaded; put files into {keras_datasets.keras_cache_dir()}")

    monkeypatch.setattr(keras_datasets, "_download", offline)
    with pytest.raises(DatasetUnavailable, match=str(tmp_path / "datasets")):
        load_dataset(DatasetSpec(source="cifar10"))


def test_keras_datasets_are_read_from_the_decoded_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    rng = np.random.default_rng(1)
    np.savez(tmp_path / "datasets" / "cnnviz-cifar10.npz", x_train=rng.integers(0, 255, (100, 32, 32, 3), dtype=np.uint8),
             y_train=np.arange(100) % 10, x_test=np.zeros((20, 32, 32, 3), np.uint8), y_test=np.arange(20) % 10)  # fmt: skip
    dataset = load_dataset(DatasetSpec(source="cifar10", ratios=(0.8, 0.2, 0.0)))
    assert (len(dataset.train), len(dataset.val), len(dataset.test)) == (80, 20, 20)
    assert dataset.display_names[0] == "airplane"


def test_registry_lists_every_source_and_cli_prints_them():
    out = subprocess.run([sys.executable, "-m", "cnnviz", "datasets"], capture_output=True, text=True, cwd=REPO_ROOT, check=True)
    assert out.stdout.split() == list_datasets()
    assert {"shapes", "mnist", "fashion_mnist", "cifar10", "folder", "flat_folder", "zip", "idx", "npz"} <= set(list_datasets())


def test_awkward_real_files_load_in_both_colour_modes(shared_data):
    files = sorted((shared_data / "awkward").iterdir())
    assert len(files) >= 7
    for path in files:
        for mode, channels in (("rgb", 3), ("grayscale", 1)):
            image = load_image_array(path, (24, 24), mode)
            assert image.shape == (24, 24, channels) and image.dtype == np.uint8


def test_transparent_png_is_composited_on_white(shared_data):
    path = shared_data / "awkward" / "fendi.png"
    alpha = np.asarray(Image.open(path).convert("RGBA"))[..., 3]
    image = load_image_array(path, None, "rgb")
    assert (alpha == 0).any() and (image[alpha == 0] == 255).all()
