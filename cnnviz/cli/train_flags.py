"""`cnnviz train` flags for every option of the Train page, and the lab's (penalty, K-fold, search).

Each flag's ``dest`` is the TrainConfig field it sets, so the flags reach the saved config
unchanged: ``train_config(args)`` reads them back.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnviz.i18n import _
from cnnviz.models.regularization import NONE, PENALTIES
from cnnviz.runs.schema import MONITORS, OPTIMIZERS, TrainConfig

if TYPE_CHECKING:
    from cnnviz.data.augmentation import AugmentConfig

SEARCH_KINDS = ("random", "hyperband")  # cnnviz.training.search.SEARCHES, without importing KerasTuner's module


def add_training_flags(parser: argparse.ArgumentParser) -> None:
    """The optimizer, callback, augmentation-file, weight-penalty, K-fold and search flags."""
    defaults = TrainConfig()
    optimizer = parser.add_argument_group(_("optimizer"))
    optimizer.add_argument("--optimizer", choices=list(OPTIMIZERS), default=defaults.optimizer,
                           help=_("the optimizer (default {default})").format(default=defaults.optimizer))
    optimizer.add_argument("--momentum", type=float, default=defaults.momentum,
                           help=_("SGD momentum (default {default})").format(default=defaults.momentum))
    optimizer.add_argument("--nesterov", action="store_true", help=_("SGD with Nesterov momentum"))
    _callback_flags(parser, defaults)
    regularization = parser.add_argument_group(_("regularization"))
    regularization.add_argument("--augment-file", type=Path, metavar="JSON",
                                help=_("augment with the settings in this JSON file (as the Augment page saves them)"))
    regularization.add_argument("--penalty", choices=list(PENALTIES), default=NONE,
                                help=_("weight penalty on the conv and dense kernels (default none)"))
    regularization.add_argument("--penalty-strength", type=float, default=1e-4,
                                help=_("the penalty's factor (default 0.0001)"))
    lab = parser.add_argument_group(_("validation and search"))
    lab.add_argument("--kfold", type=int, default=0, metavar="K",
                     help=_("K-fold cross-validation with K = 2..10 folds of the train + validation images"))
    lab.add_argument("--shuffle", dest="kfold_shuffle", action="store_true",
                     help=_("shuffle the images before cutting the folds"))
    lab.add_argument("--search", choices=SEARCH_KINDS,
                     help=_("KerasTuner search over learning rate, dropout, L2 penalty and first-block filters"))
    lab.add_argument("--trials", dest="search_trials", type=int, default=0,
                     help=_("the search's trial budget"))
    lab.add_argument("--minutes", dest="search_minutes", type=float, default=0.0,
                     help=_("the search's time budget in minutes"))


def _callback_flags(parser: argparse.ArgumentParser, defaults: TrainConfig) -> None:
    callbacks = parser.add_argument_group(_("callbacks"))
    monitor = {"choices": MONITORS, "metavar": "|".join(MONITORS)}
    callbacks.add_argument("--early-stopping", action="store_true", help=_("stop when the monitor stops improving"))
    callbacks.add_argument("--early-monitor", default=defaults.early_monitor, **monitor,
                           help=_("EarlyStopping's monitor (default val_loss)"))
    callbacks.add_argument("--early-patience", type=int, default=defaults.early_patience,
                           help=_("EarlyStopping's patience in epochs (default 3)"))
    callbacks.add_argument("--no-restore-best-weights", dest="restore_best_weights", action="store_false",
                           help=_("keep the last weights when EarlyStopping ends training"))
    callbacks.add_argument("--reduce-lr", action="store_true",
                           help=_("ReduceLROnPlateau: lower the learning rate when the monitor stalls"))
    callbacks.add_argument("--reduce-monitor", default=defaults.reduce_monitor, **monitor,
                           help=_("ReduceLROnPlateau's monitor (default val_loss)"))
    callbacks.add_argument("--reduce-factor", type=float, default=defaults.reduce_factor,
                           help=_("multiply the learning rate by this (default 0.1)"))
    callbacks.add_argument("--reduce-patience", type=int, default=defaults.reduce_patience,
                           help=_("ReduceLROnPlateau's patience in epochs (default 5)"))
    callbacks.add_argument("--reduce-cooldown", type=int, default=defaults.reduce_cooldown,
                           help=_("epochs to wait after a reduction (default 0)"))
    callbacks.add_argument("--reduce-min-lr", type=float, default=defaults.reduce_min_lr,
                           help=_("the lowest learning rate (default 0)"))
    callbacks.add_argument("--no-checkpoint", dest="checkpoint", action="store_false",
                           help=_("no ModelCheckpoint of the best epoch"))
    callbacks.add_argument("--checkpoint-monitor", default=defaults.checkpoint_monitor, **monitor,
                           help=_("ModelCheckpoint's monitor (default val_loss)"))


def train_config(args: argparse.Namespace, **settings: Any) -> TrainConfig:
    """The TrainConfig of the parsed flags (each flag's dest is a field); ``settings`` add or override."""
    given = {f.name: getattr(args, f.name) for f in fields(TrainConfig) if hasattr(args, f.name)}
    if given.get("kfold") and getattr(args, "search", None):
        raise ValueError(_("--kfold and --search cannot be combined"))
    return TrainConfig(**{**given, **settings, "search": getattr(args, "search", None) or ""})


def architecture_options(args: argparse.Namespace) -> dict[str, Any]:
    """The weight penalty as architecture options ({} when there is none)."""
    if args.penalty == NONE:
        return {}
    return {"penalty": args.penalty, "penalty_strength": args.penalty_strength}


def augmentation_file(path: Path) -> AugmentConfig:
    """The augmentation settings of a JSON file; ValueError with a message when it is not one."""
    from cnnviz.data.augmentation import AugmentConfig

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        message = _("cannot read the augmentation file {path}: {error}").format(path=path, error=error)
        raise ValueError(message) from error
    if not isinstance(data, dict):
        raise ValueError(_("the augmentation file {path} must hold a JSON object").format(path=path))
    return AugmentConfig.from_dict(data)
