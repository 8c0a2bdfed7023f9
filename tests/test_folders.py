"""Own-image folders and zip uploads: bad files, bad layouts and hostile archives."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnnviz.data.archive import ArchiveError, safe_extract
from cnnviz.data.dataset import DatasetSpec
from cnnviz.data.folders import keyword_of, suggest_keywords
from cnnviz.data.registry import DatasetUnavailable, cache_dir, load_dataset, save_upload
from cnnviz.i18n import use_language


def write_image(path: Path, value: int, mode: str = "RGB", size=(20, 16)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, value if mode == "L" else (value, 255 - value, 30)).save(path)


def make_class_folders(root: Path, classes=("cat", "dog"), per_class=6) -> Path:
    for c, name in enumerate(classes):
        for i in range(per_class):
            write_image(root / name / f"{name}{i}.png", 40 + 100 * c + i)
    return root


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_CACHE", str(tmp_path / "cache"))


def test_bad_files_are_reported_and_skipped(tmp_path):
    root = make_class_folders(tmp_path / "pets")
    good = (root / "cat" / "cat0.png").read_bytes()
    (root / "cat" / "broken.jpg").write_bytes(Image.new("RGB", (8, 8)).tobytes()[:10] + b"\xff\xd8garbage")
    jpeg = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 10, 10)).save(jpeg, "JPEG")
    (root / "dog" / "truncated.jpg").write_bytes(jpeg.getvalue()[: len(jpeg.getvalue()) // 3])
    (root / "dog" / "notes.png").write_text("this is not an image")
    (root / "dog" / "empty.png").write_bytes(b"")
    (root / "dog" / ".hidden.png").write_bytes(good)
    dataset = load_dataset(DatasetSpec(source="folder", path=str(root), image_size=16))
    skipped = {Path(s.path).name: str(s.reason) for s in dataset.skipped}
    assert set(skipped) == {"broken.jpg", "truncated.jpg", "notes.png", "empty.png"}
    assert "empty" in skipped["empty.png"] and "not an image" in skipped["notes.png"]
    with use_language("ko"):  # the dataset is shared by sessions: each reads the reasons in its language
        korean = {Path(s.path).name: str(s.reason) for s in dataset.skipped}
    assert korean["empty.png"] != skipped["empty.png"] and "0" in korean["empty.png"]
    assert sum(dataset.class_counts().values()).tolist() == [6, 6]


def test_a_class_without_usable_images_is_an_error(tmp_path):
    root = make_class_folders(tmp_path / "pets")
    (root / "bird").mkdir()
    (root / "bird" / "x.png").write_text("nope")
    with pytest.raises(DatasetUnavailable, match="bird"):
        load_dataset(DatasetSpec(source="folder", path=str(root), image_size=16))


def test_fewer_than_two_classes_is_an_error(tmp_path):
    root = make_class_folders(tmp_path / "one", classes=("only",))
    with pytest.raises(DatasetUnavailable, match="at least 2"):
        load_dataset(DatasetSpec(source="folder", path=str(root), image_size=16))


def test_presplit_folder_keeps_its_own_split(tmp_path):
    root = tmp_path / "split"
    make_class_folders(root / "train", per_class=8)
    make_class_folders(root / "validation", per_class=3)
    make_class_folders(root / "test", per_class=2)
    dataset = load_dataset(DatasetSpec(source="folder", path=str(root), image_size=16))
    assert (len(dataset.train), len(dataset.val), len(dataset.test)) == (16, 6, 4)


def test_presplit_folder_without_validation_carves_it_from_train(tmp_path):
    root = tmp_path / "split"
    make_class_folders(root / "train", per_class=20)
    make_class_folders(root / "test", per_class=2)
    dataset = load_dataset(DatasetSpec(source="folder", path=str(root), image_size=16, ratios=(0.8, 0.2, 0.0)))
    assert (len(dataset.train), len(dataset.val), len(dataset.test)) == (32, 8, 4)


def test_keywords_are_suggested_and_matched():
    names = ["cloudy12.jpg", "cloudy3.jpg", "rain3.jpg", "rain40.png", "shine1.jpg", "shine2.jpg", "x.jpg"]
    assert suggest_keywords(names) == ["cloudy", "rain", "shine"]
    assert keyword_of("sunrise7.jpg", ["sun", "sunrise"]) == "sunrise"
    assert keyword_of("IMG_rain_01.jpg", ["rain", "shine"]) == "rain"


def test_flat_folder_with_edited_keywords(tmp_path):
    root = tmp_path / "weather"
    for i in range(5):
        write_image(root / f"cloudy{i}.jpg", 10 + i)
        write_image(root / f"rain{i}.jpg", 200 - i)
    write_image(root / "mystery.jpg", 90)
    dataset = load_dataset(DatasetSpec(source="flat_folder", path=str(root), image_size=16, keywords=("rain", "cloudy")))
    assert dataset.class_names == ["rain", "cloudy"]
    assert [Path(s.path).name for s in dataset.skipped] == ["mystery.jpg"]


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def png_bytes(value: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 12), (value, value, 0)).save(buffer, "PNG")
    return buffer.getvalue()


def test_zip_upload_of_class_folders_loads_and_ignores_clutter():
    entries = {f"pets/{c}/{c}{i}.png": png_bytes(30 * i + (100 if c == "dog" else 0)) for c in ("cat", "dog") for i in range(5)}
    entries |= {"__MACOSX/pets/cat/._cat0.png": b"junk", "pets/.DS_Store": b"junk", "pets/cat/.secret.png": b"junk"}
    path = save_upload(zip_bytes(entries))
    dataset = load_dataset(DatasetSpec(source="zip", path=str(path), image_size=16))
    assert dataset.class_names == ["cat", "dog"] and not dataset.skipped
    assert sum(dataset.class_counts().values()).tolist() == [5, 5]


def test_zip_of_a_flat_folder_uses_file_name_keywords():
    entries = {f"{k}{i}.png": png_bytes(i * 20) for k in ("rain", "shine") for i in range(4)}
    dataset = load_dataset(DatasetSpec(source="zip", path=str(save_upload(zip_bytes(entries))), image_size=16))
    assert dataset.class_names == ["rain", "shine"]


def test_zip_with_a_path_escaping_the_folder_is_refused(tmp_path):
    archive = tmp_path / "evil.zip"
    archive.write_bytes(zip_bytes({"cat/a.png": png_bytes(1), "../evil.txt": b"owned"}))
    with pytest.raises(ArchiveError, match="evil.txt"):
        safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "out").exists()
    with pytest.raises(DatasetUnavailable, match="unsafe path"):
        load_dataset(DatasetSpec(source="zip", path=str(archive)))


def test_zip_larger_than_the_cap_is_refused(tmp_path):
    archive = tmp_path / "big.zip"
    archive.write_bytes(zip_bytes({"cat/a.bin": bytes(3000), "dog/b.bin": bytes(3000)}))
    with pytest.raises(ArchiveError, match="limit"):
        safe_extract(archive, tmp_path / "out", max_total_bytes=5000)
    assert not (tmp_path / "out").exists()


def test_not_a_zip_is_a_clear_error(tmp_path):
    path = save_upload(b"this is plain text, not a zip")
    with pytest.raises(DatasetUnavailable, match="not a valid zip"):
        load_dataset(DatasetSpec(source="zip", path=str(path)))
    assert cache_dir().is_dir()


def test_uploads_are_stored_once_by_content():
    data = zip_bytes({"a/x.png": png_bytes(5)})
    assert save_upload(data) == save_upload(data)
    assert np.frombuffer(save_upload(data).read_bytes(), np.uint8).size == len(data)
