"""Predicting photo files with a run: batches, per-file errors, CSV, chart, Grad-CAM and the CLI."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from PIL import Image

from cnnviz.models import predictions
from cnnviz.photos.prepare import PhotoOptions
from cnnviz.photos.predict import explain, predict_files, results_csv, top_k_figure
from cnnviz.runs.schema import RunConfig
from cnnviz.runs.store import Run

NAMES = ["sneaker", "ankle boot", "cat"]


def tiny_run(shape=(28, 28, 1), *, conv: bool = True, units: int = 3) -> Run:
    """An untrained model with the config a training run would write."""
    import keras

    keras.utils.set_random_seed(1)
    body = [keras.layers.Conv2D(4, 3, activation="relu"), keras.layers.GlobalAveragePooling2D()]
    model = keras.Sequential(
        [
            keras.Input(shape),
            *(body if conv else [keras.layers.Flatten()]),
            keras.layers.Dense(units, activation="softmax" if units > 1 else "sigmoid"),
        ]
    )
    config = {
        "name": "tiny",
        "class_names": [f"c{i}" for i in range(max(units, 2))],
        "display_names": NAMES[: max(units, 2)],
        "input_shape": list(shape),
        "preprocessing": {
            "scale": 1 / 255,
            "color_mode": "grayscale" if shape[2] == 1 else "rgb",
            "light_on_dark": shape[2] == 1,
        },
        "architecture": {"name": "tiny", "options": {}},
    }
    return Run(model, RunConfig.from_dict(config))


@pytest.fixture(scope="module")
def run() -> Run:
    return tiny_run()


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def shoe_like(seed: int) -> bytes:
    """A dark blob on a light background at a random place."""
    rng = np.random.default_rng(seed)
    image = np.full((90, 120, 3), 225, np.uint8)
    x, y = rng.integers(5, 60), rng.integers(5, 40)
    image[y : y + 40, x : x + 50] = rng.integers(0, 80)
    return png(image)


def test_good_and_bad_files_each_get_their_own_result(run):
    files = [("a.png", shoe_like(0)), ("empty.jpg", b""), ("notes.jpg", b"not an image\n" * 9), ("b.png", shoe_like(1))]
    results = predict_files(run, files)
    assert [r.name for r in results] == ["a.png", "empty.jpg", "notes.jpg", "b.png"]
    assert [r.ok for r in results] == [True, False, False, True]
    assert "empty" in results[1].error and "not an image" in results[2].error
    for result in (results[0], results[3]):
        assert result.probabilities.shape == (3,)
        assert result.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
        direct = np.asarray(run.model(result.photo.model_input[None], training=False))[0]
        np.testing.assert_allclose(result.probabilities, direct, atol=1e-6)
        top = result.top(run.display_names, 3)
        assert sorted(name for name, _ in top) == sorted(NAMES)
        assert [p for _, p in top] == sorted((p for _, p in top), reverse=True)
    record = results[0].record(run.display_names, 2)
    assert set(record) == {"file", "top"} and len(record["top"]) == 2
    assert json.loads(json.dumps(record))["top"][0][0] in NAMES
    assert results[1].record(run.display_names, 2) == {"file": "empty.jpg", "error": results[1].error}


def test_batches_give_the_same_answers_as_one_call(run, monkeypatch):
    files = [(f"{i}.png", shoe_like(i)) for i in range(5)]
    whole = predict_files(run, files)
    monkeypatch.setattr(predictions, "BATCH_SIZE", 2)
    batched = predict_files(run, files)
    for one, other in zip(whole, batched):
        np.testing.assert_allclose(one.probabilities, other.probabilities, atol=1e-6)


def test_only_bad_files_never_reach_the_model(run):
    results = predict_files(run, [("x.gif", b"GIF89a broken")])
    assert not results[0].ok and results[0].probabilities is None and results[0].top(NAMES, 3) == []


def test_missing_file_is_an_error_for_that_file_only(run, tmp_path):
    good = tmp_path / "good.png"
    good.write_bytes(shoe_like(2))
    results = predict_files(run, [("missing.png", tmp_path / "missing.png"), ("good.png", good)])
    assert "cannot be read" in results[0].error and results[1].ok


def test_sigmoid_output_becomes_two_probabilities():
    binary = tiny_run((32, 32, 3), units=1)
    [result] = predict_files(binary, [("a.png", shoe_like(3))])
    assert result.probabilities.shape == (2,)
    assert result.probabilities.sum() == pytest.approx(1.0)
    raw = float(np.asarray(binary.model(result.photo.model_input[None]))[0, 0])
    assert result.probabilities[1] == pytest.approx(raw, abs=1e-6)


def test_options_change_the_framing(run):
    data = shoe_like(4)
    [framed] = predict_files(run, [("a.png", data)])
    [whole] = predict_files(run, [("a.png", data)], PhotoOptions(fit="pad"))
    assert not np.array_equal(framed.photo.image, whole.photo.image)


def test_csv_has_one_row_per_file_with_top_k_and_errors(run):
    results = predict_files(run, [("a.png", shoe_like(5)), ("bad.jpg", b"")])
    rows = list(csv.reader(io.StringIO(results_csv(results, run.display_names, 2))))
    assert rows[0] == ["file", "class_1", "probability_1", "class_2", "probability_2", "error"]
    top = results[0].top(run.display_names, 2)
    assert rows[1][:3] == ["a.png", top[0][0], f"{top[0][1]:.6f}"] and rows[1][-1] == ""
    assert rows[2][0] == "bad.jpg" and rows[2][1:5] == [""] * 4 and "empty" in rows[2][5]


def test_bar_chart_puts_the_most_likely_class_on_top():
    figure = top_k_figure([("boot", 0.7), ("sneaker", 0.2), ("cat", 0.1)])
    bar = figure.data[0]
    assert list(bar.y) == ["cat", "sneaker", "boot"] and list(bar.x) == [0.1, 0.2, 0.7]
    assert bar.orientation == "h" and tuple(figure.layout.xaxis.range) == (0, 1)


def test_gradcam_overlay_is_drawn_on_the_cropped_photo(run):
    [result] = predict_files(run, [("a.png", shoe_like(6))])
    overlay = explain(run, result)
    cropped = next(step.image for step in result.photo.steps if step.title == "cropped")
    assert overlay.shape == cropped.shape and overlay.dtype == np.uint8
    assert not np.array_equal(overlay, cropped)


def test_gradcam_needs_a_convolutional_layer():
    from cnnviz.models.layers import NoConvLayerError

    dense = tiny_run(conv=False)
    [result] = predict_files(dense, [("a.png", shoe_like(7))])
    with pytest.raises(NoConvLayerError):
        explain(dense, result)


def test_every_real_photo_is_predicted(run, shared_data):
    paths = sorted((shared_data / "photos").iterdir()) + sorted((shared_data / "awkward").iterdir())
    results = predict_files(run, [(p.name, p) for p in paths])
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    assert all(r.probabilities.sum() == pytest.approx(1.0, abs=1e-5) for r in results)


def test_cli_predict_and_gradcam(run, tmp_path, capsys):
    from cnnviz.cli.main import main
    from cnnviz.runs.store import save_run

    saved = save_run(run, tmp_path / "runs")
    good, bad = tmp_path / "shoe.png", tmp_path / "broken.jpg"
    good.write_bytes(shoe_like(8))
    bad.write_bytes(b"plain text, renamed")
    assert main(["predict", "--run", str(saved.path), str(good), str(bad), "--top", "2"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["file"] == str(good) and len(lines[0]["top"]) == 2 and lines[0]["top"][0][0] in NAMES
    assert lines[1]["file"] == str(bad) and "not an image" in lines[1]["error"]
    assert main(["predict", "--run", str(saved.path), str(bad)]) == 1
    capsys.readouterr()

    out = tmp_path / "cam.png"
    assert main(["gradcam", "--run", str(saved.path), str(good), "--out", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["overlay"] == str(out)
    with Image.open(out) as written:
        assert written.mode == "RGB" and min(written.size) > 28
    assert main(["gradcam", "--run", str(saved.path), str(bad), "--out", str(tmp_path / "no.png")]) == 1
    assert not (tmp_path / "no.png").exists()
    capsys.readouterr()

    assert main(["predict", "--run", str(tmp_path / "nowhere"), str(good)]) == 1
    assert "not a complete saved run" in capsys.readouterr().err
