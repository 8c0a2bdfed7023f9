"""The augmentation config: identity, exact flips, seeded grids, presets, code, train-only use."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cnnviz.data.augmentation import (
    PRESETS,
    TRANSFORMS,
    AugmentConfig,
    augment_grid,
    build_augmenter,
    to_code,
    transform_strips,
)
from cnnviz.data.pipeline import make_pipeline, to_model_input

EVERYTHING_ON = AugmentConfig(
    rotation_degrees=30,
    width_shift=0.1,
    height_shift=0.1,
    shear=0.2,
    zoom=0.2,
    horizontal_flip=True,
    vertical_flip=True,
    brightness=(0.6, 1.4),
    contrast=0.3,
    fill_mode="constant",
    fill_value=0.5,
)


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    """A 32x32 RGB image with no symmetry, so every transform changes it."""
    rng = np.random.default_rng(7)
    return rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)


def test_all_transforms_off_is_the_identity(image):
    config = AugmentConfig(fill_mode="reflect", fill_value=0.3)
    assert config.is_identity
    batch = to_model_input(np.stack([image, image[::-1]]))
    out = np.asarray(build_augmenter(config, seed=1)(batch, training=True))
    np.testing.assert_array_equal(out, batch)
    grid = augment_grid(image, config, 4, seed=3)
    np.testing.assert_array_equal(grid, np.repeat(image[None], 4, axis=0))


def test_horizontal_flip_gives_the_image_or_its_exact_mirror(image):
    grid = augment_grid(image, AugmentConfig(horizontal_flip=True), 16, seed=5)
    mirrored = [np.array_equal(g, image[:, ::-1]) for g in grid]
    unchanged = [np.array_equal(g, image) for g in grid]
    assert all(m or u for m, u in zip(mirrored, unchanged))
    assert any(mirrored) and any(unchanged)


def test_flip_strips_equal_the_mirrored_arrays(image):
    strips = dict(transform_strips(image, AugmentConfig(), strengths=3))
    assert [label for label, _ in strips["horizontal_flip"]] == ["as is", "flipped"]
    np.testing.assert_array_equal(strips["horizontal_flip"][1][1], image[:, ::-1])
    np.testing.assert_array_equal(strips["vertical_flip"][1][1], image[::-1])
    np.testing.assert_array_equal(strips["horizontal_flip"][0][1], image)


def test_same_seed_same_grid_other_seed_other_grid(image):
    first = augment_grid(image, PRESETS["weather"], 6, seed=11)
    again = augment_grid(image, PRESETS["weather"], 6, seed=11)
    other = augment_grid(image, PRESETS["weather"], 6, seed=12)
    assert first.shape == (6, 32, 32, 3) and first.dtype == np.uint8
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert len({g.tobytes() for g in first}) == 6, "each image in the grid differs"


def test_brightness_multiplies_like_image_data_generator(image):
    halved = augment_grid(image, AugmentConfig(brightness=(0.5, 0.5)), 2, seed=0)
    expected = np.rint(image.astype(np.float32) / 255 * 0.5 * 255)
    assert np.abs(halved.astype(np.float32) - expected).max() <= 1
    strips = dict(transform_strips(image, AugmentConfig(brightness=(0.5, 1.5)), strengths=3))
    assert [label for label, _ in strips["brightness"]] == ["×0.5", "×1", "×1.5"]
    assert np.abs(strips["brightness"][0][1].astype(int) - halved[0]).max() <= 1


def test_grayscale_batches_and_every_transform_at_once():
    gray = np.random.default_rng(1).integers(0, 256, (24, 20, 1), dtype=np.uint8)
    grid = augment_grid(gray, EVERYTHING_ON, 5, seed=2)
    assert grid.shape == (5, 24, 20, 1)
    assert not np.array_equal(grid[0], gray)


def test_strips_cover_every_transform_with_the_configs_range(image):
    strips = transform_strips(image, PRESETS["dlwp"], strengths=5)
    assert [name for name, _ in strips] == list(TRANSFORMS)
    rows = dict(strips)
    assert [label for label, _ in rows["rotation"]] == ["-40°", "-20°", "0", "+20°", "+40°"]
    assert [label for label, _ in rows["zoom"]][0] == "-0.2 (in)"
    for name, row in strips:
        for label, picture in row:
            assert picture.shape == image.shape and picture.dtype == np.uint8, (name, label)
    np.testing.assert_array_equal(rows["rotation"][2][1], image)  # 0 degrees changes nothing
    assert not np.array_equal(rows["rotation"][4][1], image)
    assert not np.array_equal(rows["shear"][0][1], rows["shear"][4][1])  # both signs shown
    assert rows["contrast"][0][1].std() < image.std() < rows["contrast"][4][1].std()


def test_width_shift_moves_the_content_sideways():
    image = np.zeros((16, 16, 1), np.uint8)
    image[:, 4] = 255
    row = dict(transform_strips(image, AugmentConfig(width_shift=0.25, fill_mode="constant"), 3))
    shifted_column = [int(np.argmax(picture[8, :, 0])) for _, picture in row["width_shift"]]
    assert shifted_column == [0, 4, 8]


def test_presets_match_the_seeds():
    weather = PRESETS["weather"]
    assert (weather.rotation_degrees, weather.width_shift, weather.height_shift) == (20, 0.2, 0.2)
    assert (weather.shear, weather.zoom, weather.brightness) == (0.2, 0.2, (0.5, 1.5))
    assert weather.horizontal_flip and not weather.vertical_flip
    book = PRESETS["dlwp"]
    assert (book.rotation_degrees, book.shear, book.zoom, book.fill_mode) == (40, 0.2, 0.2, "nearest")
    assert book.brightness == (1.0, 1.0)
    assert PRESETS["none"].is_identity and not book.is_identity


def test_dict_round_trip_through_json_and_bad_values():
    for config in [*PRESETS.values(), EVERYTHING_ON]:
        assert AugmentConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    assert AugmentConfig.from_dict({"zoom": 0.1}) == AugmentConfig(zoom=0.1)
    with pytest.raises(ValueError, match="unknown augmentation option"):
        AugmentConfig.from_dict({"zooom": 0.1})
    with pytest.raises(ValueError, match="rotation"):
        AugmentConfig(rotation_degrees=400)
    with pytest.raises(ValueError, match="brightness"):
        AugmentConfig(brightness=(1.5, 0.5))
    with pytest.raises(ValueError, match="fill mode"):
        AugmentConfig(fill_mode="mirror")


def layers_described(model) -> list[tuple[str, dict]]:
    """Each layer's class and settings, leaving out its generated name and its seed."""
    return [(type(layer).__name__, layer.get_config() | {"name": "", "seed": None}) for layer in model.layers]


def test_code_builds_the_same_layers_as_the_augmenter():
    for config in [*PRESETS.values(), EVERYTHING_ON]:
        code = to_code(config)
        namespace: dict = {}
        exec(code, namespace)  # the snippet the page shows must run as written
        shown = namespace["augment"]
        built = build_augmenter(config)
        assert layers_described(shown) == layers_described(built)
    assert "RandomRotation(factor=20 / 360" in to_code(PRESETS["weather"])


def test_augmentation_touches_the_train_pipeline_only(small_shapes):
    augmenter = build_augmenter(EVERYTHING_ON, seed=0)
    for split in (small_shapes.val, small_shapes.test):
        images = np.concatenate([x.numpy() for x, _ in make_pipeline(split, 32, augmenter=augmenter)])
        np.testing.assert_array_equal(images, to_model_input(split.x))
    plain = next(iter(make_pipeline(small_shapes.train, 32, training=True, seed=3)))
    augmented = next(iter(make_pipeline(small_shapes.train, 32, training=True, seed=3, augmenter=augmenter)))
    np.testing.assert_array_equal(plain[1].numpy(), augmented[1].numpy())  # same images, same labels
    assert augmented[0].shape == plain[0].shape
    assert not np.allclose(augmented[0].numpy(), plain[0].numpy())
    assert 0.0 <= float(augmented[0].numpy().min()) and float(augmented[0].numpy().max()) <= 1.0
