"""Filter patterns: gradient ascent makes each chosen filter respond at least 10x more."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.explain.filters import (
    QUALITY_BAR, FilterSettings, filter_patterns, filter_response, octave_plan, pattern_layers, starting_noise,
)

SETTINGS = FilterSettings(image_size=32, steps=16)
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
    start = filter_response(run.model, "block2_conv", starting_noise(len(FILTERS), SETTINGS, 3), FILTERS)
    np.testing.assert_allclose([p.start for p in found], start, rtol=1e-4, atol=1e-6)


def test_images_are_displayable_and_differ_per_filter(patterns):
    found, _ = patterns
    images = np.stack([p.image for p in found])
    assert images.dtype == np.uint8 and images.shape[1:] == (26, 26, 3)  # 10% border cropped
    assert images.std(axis=(1, 2, 3)).min() > 10  # not flat
    assert len({image.tobytes() for image in images}) == len(FILTERS)


def test_progress_reaches_the_end_and_results_are_cached(patterns, trained_shapes):
    run, _ = trained_shapes
    found, seen = patterns
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)
    again: list[float] = []
    assert filter_patterns(run.model, "block2_conv", FILTERS, SETTINGS, progress=again.append) is found
    assert again == []


def test_octave_plan_ends_at_full_size_with_all_steps():
    plan = octave_plan(FilterSettings(image_size=150, steps=24, octaves=3), min_size=24)
    sizes = [size for size, _ in plan]
    assert sizes == sorted(sizes) and sizes[-1] == 150 and sizes[0] >= 24
    assert sum(steps for _, steps in plan) == 24
    assert octave_plan(FilterSettings(image_size=64, steps=10, octaves=1), 8) == [(64, 10)]


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
