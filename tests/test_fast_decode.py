"""Fast folder decoding: the same images and skip reasons as the PIL path, and progress counts."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from cnnviz.data.dataset import DatasetSpec
from cnnviz.data.fast_decode import DecodedFiles, decode_files, is_plain, pil_decode
from cnnviz.data.folders import class_folders, decode_classes
from cnnviz.data.registry import load_dataset
from cnnviz.data.split import stratified_split
from cnnviz.i18n import LazyText

MEAN_TOLERANCE = 2.5  # grey levels: libjpeg's IDCT and the resize filters differ slightly


def as_list(decoded: DecodedFiles) -> list:
    """Each file's image, or its skip reason."""
    return [decoded.skipped.get(index, image) for index, image in enumerate(decoded.images)]


def photo(size=(90, 60)) -> Image.Image:
    """A smooth RGB gradient with a dark square (resizes without aliasing surprises)."""
    x, y = np.meshgrid(np.linspace(0, 255, size[0]), np.linspace(0, 255, size[1]))
    pixels = np.stack([x, y, 255 - x], axis=-1).astype(np.uint8)
    pixels[10:30, 20:40] = 20
    return Image.fromarray(pixels)


def odd_files(folder) -> dict[str, bool]:
    """Files of every awkward kind; the value says whether TensorFlow may decode it."""
    plain_jpeg, rotated = folder / "plain.jpg", folder / "rotated.jpg"
    photo().save(plain_jpeg, quality=92)
    exif = Image.Exif()
    exif[0x0112] = 6
    photo().save(rotated, quality=92, exif=exif)
    photo().convert("CMYK").save(folder / "cmyk.jpg")
    photo().convert("L").save(folder / "grey.png")
    photo().convert("P").save(folder / "palette.png")
    photo().convert("RGBA").save(folder / "alpha.png")
    Image.fromarray(np.arange(0, 60000, 10, dtype=np.uint16).reshape(60, 100)).save(folder / "sixteen.png")
    (folder / "truncated.jpg").write_bytes(plain_jpeg.read_bytes()[:600])
    (folder / "empty.png").write_bytes(b"")
    (folder / "text.jpg").write_text("not an image")
    return {"plain.jpg": True, "rotated.jpg": False, "cmyk.jpg": False, "grey.png": True, "palette.png": False,
            "alpha.png": False, "sixteen.png": False, "truncated.jpg": True, "empty.png": False, "text.jpg": False}


@pytest.mark.parametrize("color_mode", ["rgb", "grayscale"])
def test_odd_files_decode_or_skip_exactly_as_with_pil(tmp_path, color_mode):
    kinds = odd_files(tmp_path)
    paths = [tmp_path / name for name in kinds]
    assert [is_plain(path.read_bytes()[:65536]) for path in paths] == list(kinds.values())
    for path, fast in zip(paths, as_list(decode_files(paths, 32, color_mode))):
        slow = pil_decode(path, 32, color_mode)
        if isinstance(slow, LazyText):
            assert str(fast) == str(slow), path.name  # the same skip reason
        elif kinds[path.name]:
            assert np.abs(fast.astype(int) - slow).mean() <= MEAN_TOLERANCE, path.name
        else:
            np.testing.assert_array_equal(fast, slow, err_msg=path.name)  # PIL decoded it, as before


def test_real_photos_and_awkward_files_match_the_pil_path(shared_data):
    paths = sorted([*(shared_data / "animals10_small").rglob("*.jp*g")][:60] + [*(shared_data / "awkward").iterdir()])
    fast = as_list(decode_files(paths, 64, "rgb"))
    for path, image in zip(paths, fast):
        slow = pil_decode(path, 64, "rgb")
        if isinstance(slow, LazyText):
            assert str(image) == str(slow), path.name
        else:
            assert image.shape == slow.shape and np.abs(image.astype(int) - slow).mean() <= MEAN_TOLERANCE, path.name


def test_progress_counts_every_file_of_a_split_folder(tmp_path):
    for split, count in (("train", 30), ("val", 10)):
        for label in ("a", "b"):
            folder = tmp_path / split / label
            folder.mkdir(parents=True)
            for index in range(count // 2):
                photo((40 + index, 30)).save(folder / f"{index}.jpg")
    (tmp_path / "train" / "a" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnope")
    calls: list[tuple[int, int]] = []
    dataset = load_dataset(DatasetSpec(source="folder", path=str(tmp_path), image_size=16), progress=lambda *c: calls.append(c))
    assert {total for _done, total in calls} == {41}
    done = [d for d, _total in calls]
    assert done == sorted(done) and done[-1] == 41
    assert len(dataset.skipped) == 1 and sum(len(s) for s in dataset.splits().values()) == 40


def test_a_png_with_transparency_or_animation_goes_to_pil():
    rgb = io.BytesIO()
    image = photo()
    image.save(rgb, format="PNG", transparency=(0, 0, 0))
    assert not is_plain(rgb.getvalue())
    animated = io.BytesIO()
    image.save(animated, format="PNG", save_all=True, append_images=[image.rotate(90)])
    assert not is_plain(animated.getvalue())


@pytest.mark.parametrize("with_a_broken_file", [False, True])
def test_a_folder_decoded_in_split_order_gives_the_seeded_split_of_its_files(tmp_path, with_a_broken_file):
    for label, count in (("a", 13), ("b", 9), ("c", 5)):
        (tmp_path / label).mkdir()
        for index in range(count):
            photo((40 + index, 30 + 2 * index)).save(tmp_path / label / f"{index}.png")
    if with_a_broken_file:
        (tmp_path / "b" / "broken.jpg").write_bytes(b"\xff\xd8nope")
    spec = DatasetSpec(source="folder", path=str(tmp_path), image_size=16, split_seed=7)
    dataset = load_dataset(spec)
    pool = decode_classes(class_folders(tmp_path), 16, "rgb")  # listing order, no split yet
    for split, indices in zip(dataset.splits().values(), stratified_split(pool.y, spec.ratios, spec.split_seed)):
        np.testing.assert_array_equal(split.x, pool.x[indices])
        np.testing.assert_array_equal(split.y, pool.y[indices])
    assert len(dataset.skipped) == int(with_a_broken_file)
