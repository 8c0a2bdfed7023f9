"""The command line: `train` in a log file and on a terminal, Ctrl-C, plain errors."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cnnviz.cli.main import main
from cnnviz.cli.train import TerminalView
from cnnviz.runs.store import load_run
from cnnviz.training.progress import TrainingProgress

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def shapes_archive(small_shapes, tmp_path) -> Path:
    """120 Shapes images (32x32) as an .npz dataset: split 84/18/18, a few batches of 6."""
    archive = tmp_path / "shapes.npz"
    np.savez(archive, x=small_shapes.train.x[:120], y=small_shapes.train.y[:120])
    return archive


def train_command(archive: Path, runs_dir: Path, epochs: int) -> list[str]:
    return [
        sys.executable, "-m", "cnnviz", "train", "--dataset", str(archive), "--arch", "mnist_basic",
        "--epochs", str(epochs), "--batch-size", "6", "--runs-dir", str(runs_dir),
    ]


def test_train_in_a_log_file_writes_a_plain_line_per_epoch_and_the_run_folder_last(shapes_archive, tmp_path):
    log = tmp_path / "train.log"
    with log.open("wb") as out:
        finished = subprocess.run(
            train_command(shapes_archive, tmp_path / "runs", 2), cwd=REPO_ROOT, stdout=out, stderr=out,
            timeout=300,
        )
    text = log.read_bytes().decode()
    assert finished.returncode == 0, text
    assert "\r" not in text
    epoch_lines = [line for line in text.splitlines() if line.startswith("epoch ")]
    assert [line.split(":")[0] for line in epoch_lines] == ["epoch 1", "epoch 2"], text
    assert all("val_accuracy" in line for line in epoch_lines)
    run = load_run(text.splitlines()[-1])
    assert run.path.parent == tmp_path / "runs" and run.config.dataset.spec.source == "npz"


def test_ctrl_c_stops_the_training_and_still_saves_the_run(shapes_archive, tmp_path):
    training = subprocess.Popen(
        train_command(shapes_archive, tmp_path / "runs", 200), cwd=REPO_ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        for line in training.stderr:  # wait for the first finished epoch, then press Ctrl-C
            if line.startswith("epoch 1:"):
                break
        training.send_signal(signal.SIGINT)
        out, err = training.communicate(timeout=300)
    finally:
        training.kill()
    assert training.returncode == 0, err
    assert "Stopping after the current batch" in err
    run = load_run(out.strip().splitlines()[-1])
    assert run.config.status == "stopped" and len(run.history) < 200


class TerminalStream(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def one_epoch_in_progress() -> TrainingProgress:
    progress = TrainingProgress()
    progress.start(epochs=2, batches=4)
    progress.begin_epoch(0)
    progress.add_batch(0, 1.25, 0.5)
    return progress


def test_on_a_terminal_a_live_bar_is_drawn_below_the_finished_epochs():
    stream, progress = TerminalStream(), one_epoch_in_progress()
    view = TerminalView(stream)
    view.show(progress.snapshot())
    frame = stream.getvalue()
    assert frame.startswith("\r") and "epoch 1/2" in frame and "1/8" in frame and "loss 1.2500" in frame
    progress.add_epoch({"loss": 1.0, "val_accuracy": 0.75})
    view.show(progress.snapshot())
    view.close()
    assert "epoch 1: loss 1 · val_accuracy 0.75\n" in stream.getvalue()


def test_off_a_terminal_only_the_finished_epochs_are_written():
    stream, progress = io.StringIO(), one_epoch_in_progress()
    view = TerminalView(stream)
    view.show(progress.snapshot())
    progress.add_epoch({"loss": 1.0})
    view.show(progress.snapshot())
    view.close()
    assert stream.getvalue() == "epoch 1: loss 1\n"


def test_train_reports_a_bad_dataset_plainly(tmp_path, capsys):
    assert main(["train", "--dataset", str(tmp_path / "missing"), "--epochs", "1"]) == 2
    assert "neither a dataset name" in capsys.readouterr().err
