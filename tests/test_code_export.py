"""Keras code export: the generated model code, scripts that run, notebooks that validate, the CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest

from cnnviz.cli.main import main
from cnnviz.data.augmentation import AugmentConfig
from cnnviz.data.dataset import DatasetSpec
from cnnviz.data.registry import load_dataset
from cnnviz.i18n import use_language
from cnnviz.lesson.code import CodeUnavailable, Setup, page_code, script, steps
from cnnviz.lesson.model_code import model_code
from cnnviz.lesson.notebook import notebook_json
from cnnviz.models.architectures import ARCHITECTURES, build_model
from cnnviz.runs.schema import TrainConfig
from cnnviz.runs.store import save_run
from tests.conftest import REPO_ROOT, TINY_OPTIONS, tiny_model_run

SMALLEST_SIDE = {"weather_deep": 96, "cats_dogs": 40}  # the others build from 28x28 up
TRANSFER_CASES = {  # transfer models at small inputs (weights=None: no download), both modes
    "mobilenetv2": ((28, 28, 1), {"weights": None}),  # grayscale and under 32 px: the preprocessing layers
    "vgg16": ((32, 32, 3), {"weights": None, "mode": "fine_tune"}),
}


def architecture_case(name: str) -> tuple[tuple[int, int, int], dict]:
    entry = ARCHITECTURES[name]
    if entry.family == "transfer":
        return TRANSFER_CASES[name]
    side = SMALLEST_SIDE.get(name, 28)
    return (side, side, entry.input_shape[2]), ({"blocks": 2, "kernel_size": 5} if name == "custom" else {})


def layer_signature(model) -> list[tuple[str, tuple, int]]:
    """(class, output shape, parameter count) of every layer but the input."""
    return [
        (type(layer).__name__, tuple(layer.output.shape), layer.count_params())
        for layer in model.layers if type(layer).__name__ != "InputLayer"
    ]  # fmt: skip


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_generated_model_code_builds_the_apps_model(name):
    shape, options = architecture_case(name)
    app_model = build_model(name, shape, 3, **options)
    namespace: dict = {}
    exec("import keras\nfrom keras import layers\n" + model_code(name, options, shape, 3), namespace)
    built = namespace["model"]
    assert built.count_params() == app_model.count_params()
    assert layer_signature(built) == layer_signature(app_model)
    if ARCHITECTURES[name].family != "transfer":
        assert type(built).__name__ == "Sequential"


def shapes_setup(**changes) -> Setup:
    spec = DatasetSpec(image_size=32, count=200)
    return replace(Setup(spec, "simple", {}, (32, 32, 3), 4, TrainConfig(epochs=1)), **changes)


def test_notebook_validates_with_one_translated_markdown_cell_per_step():
    setup = shapes_setup(augmentation=AugmentConfig(rotation_degrees=20, horizontal_flip=True))
    with use_language("ko"):
        notebook = nbformat.reads(notebook_json(setup, "lesson"), as_version=4)
        titles = [step.title for step in steps(setup)]
    nbformat.validate(notebook)
    markdown = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert len(markdown) == len(code) + 1 == len(titles) + 1
    assert all(title in text for title, text in zip(titles, markdown[1:]))
    assert "모델" in "".join(markdown)  # the step titles are in the session's language
    assert any("RandomRotation" in cell for cell in code)


def test_keras_dataset_and_array_scripts_compile():
    for spec in (DatasetSpec(source="mnist", limit=1000), DatasetSpec(source="cifar10"), DatasetSpec(source="npz", path="x.npz")):
        setup = shapes_setup(dataset=spec, input_shape=(32, 32, 3), num_classes=10)
        text = script(setup)
        compile(text, f"{spec.source}.py", "exec")
    assert "keras.datasets.mnist.load_data()" in script(shapes_setup(dataset=DatasetSpec(source="mnist")))


def test_page_code_and_settings_follow_the_setup():
    setup = shapes_setup(training=TrainConfig(optimizer="sgd", learning_rate=0.05, early_stopping=True))
    assert "keras.optimizers.SGD(LEARNING_RATE, momentum=0.9" in page_code(setup, "train")
    assert "EarlyStopping(monitor='val_loss'" in page_code(setup, "train")
    assert "LEARNING_RATE = 0.05" in script(setup)
    assert "keras.Sequential" in page_code(setup, "model") and "Load" not in page_code(setup, "model")
    with pytest.raises(CodeUnavailable):
        steps(shapes_setup(architecture="uploaded.keras"))


def test_a_page_gets_its_own_steps_only():
    """The Data page's code builds no model (the first page paints before Keras is imported)."""
    uploaded = shapes_setup(architecture="uploaded.keras")  # a model the registry cannot write as code
    assert [step.key for step in steps(uploaded, ("data",))] == ["data"]
    assert page_code(uploaded, "data").startswith("# Load the data\n")


DRIVER = """
import json, os, runpy, sys
for folder in sys.argv[1:]:
    os.chdir(folder)
    scope = runpy.run_path("lesson.py")
    print("SPLITS", json.dumps([len(scope[name]) for name in ("y_train", "y_val", "y_test")]))
"""


def write_script(folder: Path, setup: Setup) -> Path:
    folder.mkdir()
    (folder / "lesson.py").write_text(script(setup), encoding="utf-8")
    return folder


def test_scripts_run_on_shapes_and_the_real_folders(tmp_path, shared_data):
    """One child interpreter runs the Shapes + simple script and the folder and flat-folder ones."""
    tiny = {**TINY_OPTIONS, "blocks": 1}
    folder_spec = DatasetSpec(source="folder", path=str(shared_data / "cats_dogs_small"), image_size=32)
    flat_spec = DatasetSpec(source="flat_folder", path=str(shared_data / "weather_small"), image_size=32)
    cases = {
        "shapes": shapes_setup(),
        "folder": shapes_setup(dataset=folder_spec, architecture="custom", options=tiny, num_classes=2),
        "flat": shapes_setup(dataset=flat_spec, architecture="custom", options=tiny),
    }
    folders = [str(write_script(tmp_path / name, setup)) for name, setup in cases.items()]
    result = subprocess.run(
        [sys.executable, "-c", DRIVER, *folders], capture_output=True, text=True, cwd=REPO_ROOT,
        env={"PYTHONPATH": str(REPO_ROOT), "TF_CPP_MIN_LOG_LEVEL": "2", "PATH": "/usr/bin:/bin"}, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    accuracies = [float(a) for a in re.findall(r"test accuracy: ([0-9.]+)", result.stdout)]
    assert len(accuracies) == 3 and all(0.0 <= a <= 1.0 for a in accuracies)
    splits = [json.loads(line.split(" ", 1)[1]) for line in result.stdout.splitlines() if line.startswith("SPLITS")]
    for (name, setup), sizes in zip(cases.items(), splits):  # the script splits exactly as the app does
        dataset = load_dataset(setup.dataset)
        assert sizes == [len(dataset.train), len(dataset.val), len(dataset.test)], name
        assert (tmp_path / name / "model.keras").is_file()


@pytest.fixture
def saved_run(tmp_path, small_shapes):
    run = tiny_model_run(small_shapes)
    trained = replace(run.config, hyperparameters=TrainConfig(epochs=1, learning_rate=0.02))
    return save_run(replace(run, config=trained), tmp_path / "runs").path


def test_cli_exports_a_runs_code_as_script_and_notebook(saved_run, tmp_path, capsys):
    assert main(["export-code", "--run", str(saved_run), "--out", str(tmp_path / "lesson.py")]) == 0
    text = (tmp_path / "lesson.py").read_text(encoding="utf-8")
    compile(text, "lesson.py", "exec")
    assert "LEARNING_RATE = 0.02" in text and "COUNT = 400" in text
    assert main(["export-code", "--run", str(saved_run), "--out", str(tmp_path / "lesson.ipynb")]) == 0
    nbformat.validate(nbformat.read(tmp_path / "lesson.ipynb", as_version=4))
    assert main(["export-code", "--run", str(saved_run), "--out", str(tmp_path / "lesson.txt")]) == 1
    assert main(["export-code", "--run", str(tmp_path / "missing"), "--out", str(tmp_path / "x.py")]) == 1
    assert ".txt" in capsys.readouterr().err
