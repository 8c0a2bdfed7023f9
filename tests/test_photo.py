"""Photo preprocessing on real photos, odd files and synthetic scenes with known geometry."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from cnnviz.data.images import MAX_PIXELS, ImageError
from cnnviz.photos.prepare import (
    MIN_SIDE,
    InputSpec,
    PhotoOptions,
    aspect_box,
    crop_padded,
    is_dark_on_light,
    prepare_photo,
    thumbnail,
)

FASHION_LIKE = InputSpec(28, 28, 1, 1 / 255, True)
COLOUR = InputSpec(32, 32, 3, 1 / 255, False)
DARK_ON_LIGHT = [
    "70451adca7685173ca732d64e1c1177e.jpg",
    "LOUIS-VUITTON-Stretch-Silhouette-Ankle-Boots-Black-S-39-6-angle.jpg",
    "boot_boot_(4269).jpg",
    "shoe_Shoe_(1201).jpg",
    "shoe_small.jpg",
    "m_5dfb8a1d2e7c2f7c801ca883.jpg",
    "341a9fab587c4b601055886b38da7137.png",
]


def encode(array: np.ndarray, fmt: str = "PNG", **params) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt, **params)
    return buffer.getvalue()


def scene(height: int, width: int, box: tuple[int, int, int, int], object_value: int, background: int) -> bytes:
    """A flat RGB 'photo': one rectangle (x0, y0, x1, y1) on a plain background."""
    image = np.full((height, width, 3), background, np.uint8)
    x0, y0, x1, y1 = box
    image[y0:y1, x0:x1] = object_value
    return encode(image)


def lit_box(image: np.ndarray, level: int = 128) -> tuple[int, int, int, int]:
    """Bounding box (x0, y0, x1, y1 exclusive) of the pixels brighter than level."""
    ys, xs = np.nonzero(image[..., 0] > level)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def corrupted(data: bytes) -> bytes:
    """The file with a run of its compressed pixel data overwritten by zeros."""
    return data[:200] + bytes(60) + data[260:]


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a size in its header but holds no pixel data: a decompression bomb's shape."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def test_every_real_photo_and_odd_file_reaches_the_model_input(shared_data):
    files = sorted((shared_data / "photos").iterdir()) + sorted((shared_data / "awkward").iterdir())
    assert len(files) >= 20
    for path in files:
        for spec, fit in ((FASHION_LIKE, "auto"), (COLOUR, "crop"), (COLOUR, "pad")):
            photo = prepare_photo(path, spec, PhotoOptions(fit=fit))
            assert photo.image.shape == (spec.height, spec.width, spec.channels), path.name
            assert photo.model_input.dtype == np.float32
            assert 0.0 <= photo.model_input.min() <= photo.model_input.max() <= 1.0
            np.testing.assert_allclose(photo.model_input, photo.image / 255.0, atol=1e-6)
            titles = [step.title for step in photo.steps]
            assert titles[:3] == ["original", "oriented", "cropped"] and titles[-2:] == ["resized", "model input"]


def test_polarity_inverts_dark_shoes_on_light_and_leaves_the_light_shoe_on_dark(shared_data):
    photos = shared_data / "photos"
    for name in DARK_ON_LIGHT:
        photo = prepare_photo(photos / name, FASHION_LIKE)
        assert photo.inverted, name
        assert "inverted" in [step.title for step in photo.steps]
    light = prepare_photo(photos / "shoe_what_color.jpg", FASHION_LIKE)
    assert not light.inverted
    assert "inverted" not in [step.title for step in light.steps]


def test_real_dark_shoes_end_up_light_on_black_centred_and_filling_the_frame(shared_data):
    for name in DARK_ON_LIGHT[:6]:
        image = prepare_photo(shared_data / "photos" / name, FASHION_LIKE).image
        ring = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
        assert np.median(ring) < 20, name  # black background, as in Fashion-MNIST
        assert image.max() > 150, name  # the (dark or red) shoe itself is now light
        x0, y0, x1, y1 = lit_box(image, 60)
        assert max(x1 - x0, y1 - y0) >= 22, name  # cropped: the shoe fills the frame
        assert abs((x0 + x1) / 2 - 14) <= 2.5 and abs((y0 + y1) / 2 - 14) <= 2.5, name


def test_small_off_centre_dark_object_is_cropped_centred_and_padded_square():
    data = scene(300, 400, (30, 200, 110, 240), object_value=20, background=230)  # 80x40 at the bottom left
    photo = prepare_photo(data, FASHION_LIKE)
    assert photo.inverted
    image = photo.image[..., 0]
    x0, y0, x1, y1 = lit_box(photo.image)
    assert x0 <= 2 and x1 >= 26  # cropped: the object fills the width
    assert abs((y0 + y1) / 2 - 14) <= 1  # centred vertically in a square
    assert 12 <= y1 - y0 <= 15  # keeps the 2:1 aspect ratio
    assert image[0].max() < 10 and image[-1].max() < 10  # padding is background, black
    assert image[14, 14] > 220  # the dark object becomes bright, as the background level is removed


def test_light_object_on_dark_background_is_not_inverted_but_centred():
    photo = prepare_photo(scene(200, 200, (120, 20, 180, 80), object_value=210, background=25), FASHION_LIKE)
    assert not photo.inverted
    x0, y0, x1, y1 = lit_box(photo.image)
    assert abs((x0 + x1) / 2 - 14) <= 1 and abs((y0 + y1) / 2 - 14) <= 1
    assert x1 - x0 >= 24


def test_polarity_check_on_plain_scenes():
    dark_on_light = np.full((60, 60), 220, np.uint8)
    dark_on_light[20:40, 20:40] = 30
    assert is_dark_on_light(dark_on_light)
    assert not is_dark_on_light(255 - dark_on_light)


def test_invert_option_overrides_detection():
    data = scene(100, 100, (5, 50, 45, 90), object_value=20, background=230)  # bottom left
    kept = prepare_photo(data, FASHION_LIKE, PhotoOptions(invert="never"))
    assert not kept.inverted and "background levelled" not in [step.title for step in kept.steps]
    x0, y0, x1, y1 = lit_box(255 - kept.image)  # still found and centred, though left dark on light
    assert abs((x0 + x1) / 2 - 14) <= 1 and abs((y0 + y1) / 2 - 14) <= 1 and x1 - x0 >= 24
    light = scene(100, 100, (30, 30, 70, 70), object_value=230, background=20)
    assert prepare_photo(light, FASHION_LIKE, PhotoOptions(invert="always")).inverted
    with pytest.raises(ValueError):
        prepare_photo(data, FASHION_LIKE, PhotoOptions(invert="sometimes"))


def test_colour_model_crop_keeps_the_centre_and_pad_keeps_everything():
    wide = np.zeros((100, 200, 3), np.uint8)
    wide[:, :50] = (255, 0, 0)
    wide[:, 50:150] = (0, 255, 0)
    wide[:, 150:] = (0, 0, 255)
    cropped = prepare_photo(encode(wide), COLOUR, PhotoOptions(fit="crop")).image
    assert (cropped[..., 1] > 250).all() and cropped[..., 0].max() < 5 and cropped[..., 2].max() < 5
    padded = prepare_photo(encode(wide), COLOUR, PhotoOptions(fit="pad")).image
    assert padded[16, 0, 0] > 250 and padded[16, -1, 2] > 250  # both ends are still there
    assert np.array_equal(padded[0, 0], padded[0, -1])  # bands above and below the photo are one fill colour
    assert not np.array_equal(padded[0, 0], padded[16, 0])


def test_colour_model_can_frame_the_object_without_inverting_or_levelling():
    photo = prepare_photo(scene(80, 120, (10, 10, 40, 40), 20, 230), COLOUR, PhotoOptions(fit="object", margin=0))
    assert not photo.inverted
    assert [s.title for s in photo.steps][2:] == ["cropped", "colour", "resized", "model input"]
    assert photo.image[2:-2, 2:-2].max() < 40 and photo.image.min() < 40  # the dark square fills the frame


def test_exif_orientation_is_honoured_and_shown_as_its_own_step():
    stored = np.zeros((20, 40, 3), np.uint8)
    stored[:, :20] = 255  # left half white as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    photo = prepare_photo(encode(stored, "JPEG", exif=exif.tobytes(), quality=95), COLOUR, PhotoOptions(fit="pad"))
    original, oriented = photo.steps[0].image, photo.steps[1].image
    assert original.shape[:2] == (20, 40) and oriented.shape[:2] == (40, 20)
    assert oriented[:20].mean() > 200 and oriented[20:].mean() < 50  # the white half is now on top
    assert "EXIF" in photo.steps[1].note


def test_transparent_png_is_composited_on_white_and_palette_images_work():
    rgba = np.zeros((40, 40, 4), np.uint8)
    rgba[10:30, 10:30] = (0, 0, 0, 255)  # opaque black square, transparent elsewhere
    photo = prepare_photo(encode(rgba), FASHION_LIKE)
    assert photo.steps[1].image[0, 0].tolist() == [255, 255, 255]
    assert photo.inverted and photo.image[14, 14, 0] > 240
    palette = Image.fromarray(np.full((30, 30, 3), 90, np.uint8)).convert("P")
    buffer = io.BytesIO()
    palette.save(buffer, format="GIF")
    assert prepare_photo(buffer.getvalue(), COLOUR).image.shape == (32, 32, 3)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"Dear diary, this is not a photo at all.\n" * 20, "not an image"),
        (encode(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))[:3000], "truncated"),
        (corrupted(encode(np.random.default_rng(1).integers(0, 255, (64, 64, 3), dtype=np.uint8))), "corrupt"),
        (encode(np.zeros((1, 1, 3), np.uint8)), "only 1x1 pixels"),
        (encode(np.zeros((MIN_SIDE - 1, 200), np.uint8)), f"only 200x{MIN_SIDE - 1} pixels"),
        (png_header_only(8000, 8000), "too large"),
        (png_header_only(30000, 30000), "too large"),
    ],
    ids=["empty", "text", "truncated", "corrupt", "1x1", "thin", "bomb-64M", "bomb-900M"],
)
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_bad_files_raise_image_error_with_a_clear_message(data, message):
    with pytest.raises(ImageError, match=message):
        prepare_photo(data, COLOUR)


def test_pixel_limit_sits_between_the_two_bombs():
    assert 8000 * 8000 > MAX_PIXELS > 4000 * 4000


def test_animated_gif_uses_the_first_frame_with_a_note():
    frames = [Image.fromarray(np.full((32, 32), value, np.uint8)) for value in (0, 128, 255)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    photo = prepare_photo(buffer.getvalue(), COLOUR, PhotoOptions(fit="crop"))
    assert photo.notes and "3 frames" in photo.notes[0] and "first frame" in photo.notes[0]
    assert photo.image.max() < 5  # the first (black) frame


def test_run_config_decides_the_input_and_mismatches_are_refused(small_shapes):
    from dataclasses import replace

    from cnnviz.runs.schema import Preprocessing, RunConfig, model_config

    config = replace(
        model_config("custom", {}, small_shapes), input_shape=(20, 30, 1),
        preprocessing=Preprocessing(scale=1 / 255, color_mode="grayscale", light_on_dark=True),
    )
    spec = InputSpec.from_config(config)
    assert (spec.height, spec.width, spec.channels, spec.light_on_dark) == (20, 30, 1, True)
    assert prepare_photo(scene(50, 50, (10, 10, 20, 20), 0, 255), spec).image.shape == (20, 30, 1)
    with pytest.raises(ValueError, match="channel"):
        InputSpec.from_config(replace(config, preprocessing=replace(config.preprocessing, color_mode="rgb")))
    with pytest.raises(KeyError, match="preprocessing"):
        RunConfig.from_dict({key: value for key, value in config.to_dict().items() if key != "preprocessing"})


def test_box_helpers():
    assert aspect_box((0, 0, 200, 100), 1.0, contain=False) == (50, 0, 150, 100)
    assert aspect_box((0, 0, 200, 100), 1.0, contain=True) == (0, -50, 200, 150)
    assert aspect_box((10, 10, 30, 20), 1.0, contain=True, margin=0.5) == (0, -5, 40, 35)
    image = np.full((4, 4, 1), 7, np.uint8)
    padded = crop_padded(image, (-1, 0, 5, 4), (0,))
    assert padded.shape == (4, 6, 1) and padded[:, 0].max() == 0 and padded[:, 1:5].min() == 7


def test_thumbnail_enlarges_with_sharp_pixels_and_drops_the_channel_axis():
    image = np.array([[0, 255], [255, 0]], np.uint8)[..., None]
    shown = thumbnail(image, 8)
    assert shown.shape == (8, 8) and set(np.unique(shown)) == {0, 255}
    assert thumbnail(np.zeros((200, 100, 3), np.uint8), 50).shape == (50, 25, 3)


def test_photo_like_fashion_items_come_out_closer_to_the_originals_than_the_naive_recipe(shared_data):
    from bench.photo_fashion import cnnviz_pipeline, naive, render_photo_like
    from cnnviz.data.formats import load_idx_pair

    x, _ = load_idx_pair(shared_data / "fashion")
    rng = np.random.default_rng(3)
    items = x[:24].astype(np.float32)
    photos = [render_photo_like(item, rng) for item in x[:24]]
    naive_error = np.mean([np.abs(naive(p) - item).mean() for p, item in zip(photos, items)])
    ours_error = np.mean([np.abs(cnnviz_pipeline(p) - item).mean() for p, item in zip(photos, items)])
    assert ours_error < 0.6 * naive_error, (ours_error, naive_error)
