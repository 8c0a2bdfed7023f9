"""Filter and class patterns: each responds at least 10x more than grey, and none is a repeated tile."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.explain.filters import (
    QUALITY_BAR, FilterSettings, class_pattern, filter_patterns, filter_response, pattern_layers, starting_noise,
)
from cnnviz.explain.pattern_quality import TILING_BAR, high_frequency_ratio, tiling_score

SETTINGS = FilterSettings(image_size=32)
FILTERS = list(range(8))


@pytest.fixture(scope="module")
def patterns(trained_shapes):
    run, _ = trained_shapes
    seen: list[float] = []
    found = filter_patterns(run.model, "block2_conv", FILTERS, SETTINGS, progress=seen.append)
    return found, seen


def test_every_filter_meets_the_quality_bar(patterns, trained_shapes):
    run, _ = trained_shapes
    found, _ = patterns
    assert [p.index for p in found] == FILTERS
    gains = np.array([p.gain for p in found])
    assert (gains >= QUALITY_BAR).all(), np.round(gains, 1)
    tiling = np.array([tiling_score(p.raw) for p in found])
    assert (tiling < TILING_BAR).all(), np.round(tiling, 2)
    start = filter_response(run.model, "block2_conv", starting_noise(len(FILTERS), SETTINGS, 3), FILTERS)
    np.testing.assert_allclose([p.start for p in found], start, rtol=1e-4, atol=1e-6)


def test_images_are_displayable_and_differ_per_filter(patterns):
    found, _ = patterns
    images = np.stack([p.image for p in found])
    assert images.dtype == np.uint8 and images.shape[1:] == (24, 24, 3)  # an eighth of each side cropped
    assert images.std(axis=(1, 2, 3)).min() > 10  # not flat
    assert len({image.tobytes() for image in images}) == len(FILTERS)


def test_progress_reaches_the_end_and_results_are_cached(patterns, trained_shapes):
    run, _ = trained_shapes
    found, seen = patterns
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)
    again: list[float] = []
    assert filter_patterns(run.model, "block2_conv", FILTERS, SETTINGS, progress=again.append) is found
    assert again == []


def test_a_repeated_tile_fails_the_tiling_check_and_a_pattern_passes(patterns):
    found, _ = patterns
    pattern = found[0].raw
    tile = np.tile(pattern[:8, :8], (4, 4, 1))
    assert tiling_score(tile) > 0.95 > TILING_BAR > tiling_score(pattern)
    noise = np.random.default_rng(0).random(pattern.shape)
    assert high_frequency_ratio(noise) > 0.6 > 0.3 > high_frequency_ratio(pattern)


def test_class_pattern_raises_its_logit_and_grayscale_models_work(trained_shapes):
    import keras

    run, _ = trained_shapes
    pattern = class_pattern(run.model, 1, SETTINGS)
    assert pattern.image.shape == (24, 24, 3) and pattern.gain >= QUALITY_BAR, pattern
    with pytest.raises(ValueError, match="classes 0 to 3"):
        class_pattern(run.model, 4, SETTINGS)
    keras.utils.set_random_seed(0)
    gray = keras.Sequential([keras.Input((24, 24, 1)), keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
                             keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2, activation="softmax")])
    [one] = filter_patterns(gray, "conv", [0], FilterSettings(image_size=24, steps=8))
    assert one.image.shape[-1] == 1 and one.final > one.start
    assert class_pattern(gray, 0, FilterSettings(steps=8)).image.shape == (18, 18, 1)


def test_only_conv2d_layers_and_existing_filters(trained_shapes):
    run, _ = trained_shapes
    assert [info.name for info in pattern_layers(run.model)] == ["block1_conv", "block2_conv", "block3_conv"]
    with pytest.raises(ValueError, match="filters 0 to 15"):
        filter_patterns(run.model, "block1_conv", [16], SETTINGS)
    with pytest.raises(ValueError, match="not a Conv2D"):
        filter_patterns(run.model, "block1_bn", [0], SETTINGS)


def test_cli_writes_the_patterns_png(trained_shapes, tmp_path, capsys):
    from PIL import Image

    from cnnviz.cli.main import main
    from cnnviz.runs.store import save_run

    saved = save_run(trained_shapes[0], tmp_path / "runs")
    out = tmp_path / "filters.png"
    assert main(["filters", "--run", str(saved.path), "--layer", "block2_conv", "--count", "4", "--out", str(out)]) == 0
    assert '"filters": 4' in capsys.readouterr().out
    assert Image.open(out).size == (4 * 98, 14 + 98)
    assert main(["filters", "--run", str(saved.path), "--layer", "nope", "--out", str(out)]) == 1
    assert "block1_conv, block2_conv, block3_conv" in capsys.readouterr().err
