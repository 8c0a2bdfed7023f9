"""`cnnviz train` has a flag for every Train page option, and the flags reach the saved config."""

from __future__ import annotations

import json

import pytest

from cnnviz.cli.main import build_parser, main
from cnnviz.cli.train_flags import train_config
from cnnviz.data import registry
from cnnviz.runs.store import list_runs, load_run


def test_every_train_page_option_and_the_lab_are_documented_in_help(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    for flag in ("--optimizer", "--momentum", "--nesterov", "--early-stopping", "--early-patience",
                 "--reduce-lr", "--reduce-monitor", "--reduce-factor", "--reduce-patience", "--reduce-cooldown",
                 "--reduce-min-lr", "--no-checkpoint", "--checkpoint-monitor", "--augment", "--augment-file",
                 "--penalty", "--penalty-strength", "--kfold", "--shuffle", "--search", "--trials", "--minutes"):
        assert flag in text


def test_kfold_and_search_flags_become_training_settings():
    args = build_parser().parse_args(["train", "--dataset", "shapes", "--epochs", "2", "--kfold", "4", "--shuffle"])
    config = train_config(args)
    assert (config.kfold, config.kfold_shuffle, config.search) == (4, True, "")
    args = build_parser().parse_args(["train", "--dataset", "shapes", "--epochs", "2", "--search", "hyperband",
                                      "--trials", "6", "--minutes", "1.5"])  # fmt: skip
    config = train_config(args)
    assert (config.search, config.search_trials, config.search_minutes, config.kfold) == ("hyperband", 6, 1.5, 0)


def test_bad_combinations_are_refused_with_a_message(capsys, monkeypatch, tiny_shapes, tmp_path):
    monkeypatch.setattr(registry, "load_dataset", lambda spec: tiny_shapes)
    assert main(["train", "--dataset", "shapes", "--epochs", "1", "--kfold", "12"]) == 2
    assert "between 2 and 10" in capsys.readouterr().err
    assert main(["train", "--dataset", "shapes", "--epochs", "1", "--kfold", "2", "--search", "random",
                 "--trials", "2", "--runs-dir", str(tmp_path)]) == 2  # fmt: skip
    assert "cannot be combined" in capsys.readouterr().err


def test_the_flags_of_one_training_reach_its_saved_config(monkeypatch, tiny_shapes, tmp_path, capsys):
    monkeypatch.setattr(registry, "load_dataset", lambda spec: tiny_shapes)
    augment = tmp_path / "augment.json"
    augment.write_text(json.dumps({"rotation_degrees": 15, "horizontal_flip": True}))
    runs = tmp_path / "runs"
    status = main([
        "train", "--dataset", "shapes", "--arch", "mnist_basic", "--epochs", "1", "--batch-size", "60",
        "--runs-dir", str(runs), "--name", "from the terminal", "--optimizer", "sgd", "--momentum", "0.8",
        "--nesterov", "--lr", "0.02", "--early-stopping", "--early-monitor", "val_accuracy", "--early-patience", "4",
        "--reduce-lr", "--reduce-monitor", "val_accuracy", "--reduce-factor", "0.5", "--reduce-patience", "2",
        "--reduce-cooldown", "1", "--reduce-min-lr", "1e-5", "--no-checkpoint", "--augment-file", str(augment),
        "--penalty", "l1_l2", "--penalty-strength", "0.001",
    ])  # fmt: skip
    assert status == 0
    [summary] = list_runs(runs)
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(summary.path)
    config = load_run(summary.path).config
    hyper = config.hyperparameters
    assert (hyper.name, hyper.optimizer, hyper.momentum, hyper.nesterov, hyper.learning_rate) == (
        "from the terminal", "sgd", 0.8, True, 0.02)
    assert (hyper.early_stopping, hyper.early_monitor, hyper.early_patience) == (True, "val_accuracy", 4)
    reduce = next(spec for spec in config.callbacks if spec.name == "ReduceLROnPlateau").arguments
    assert reduce == {"monitor": "val_accuracy", "factor": 0.5, "patience": 2, "cooldown": 1, "min_lr": 1e-5}
    assert not hyper.checkpoint and "ModelCheckpoint" not in [spec.name for spec in config.callbacks]
    assert hyper.augment and config.augmentation.rotation_degrees == 15 and config.augmentation.horizontal_flip
    assert config.architecture.options == {"penalty": "l1_l2", "penalty_strength": 0.001}
    assert "data_loss" in load_run(summary.path).history[0]
