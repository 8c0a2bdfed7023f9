"""`cnnviz train` flags for every control of the Train page, and the lab's (penalty, K-fold, search).

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
from cnnviz.lesson.controls import CALLBACK_GROUPS, SETTINGS, TRAIN, Control
from cnnviz.runs.schema import TrainConfig

if TYPE_CHECKING:
    from cnnviz.data.augmentation import AugmentConfig

SEARCH_KINDS = ("random", "hyperband")  # cnnviz.training.search.SEARCHES, without importing KerasTuner's module


def add_training_flags(parser: argparse.ArgumentParser) -> None:
    """A flag for each Train page control (cnnviz/lesson/controls.py), and the augmentation-file, weight-penalty,
    K-fold and search flags."""
    groups = {SETTINGS: parser.add_argument_group(_("training")), **dict.fromkeys(CALLBACK_GROUPS,
              parser.add_argument_group(_("callbacks")))}  # fmt: skip
    for control in TRAIN:
        if control.flag is not None:
            _add_flag(groups[control.group], control)
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


def _add_flag(group: argparse._ArgumentGroup, control: Control) -> None:
    """The control's flag: a switch for a checkbox (``--no-...`` for one on by default), else a value."""
    if isinstance(control.default, bool):
        action = "store_false" if control.default else "store_true"
        group.add_argument(control.flag_name(), dest=control.field, action=action, help=_(control.flag_help))
        return
    value = {"choices": list(control.options())} if control.options() else {"type": type(control.default)}
    help_text = f"{_(control.flag_help)} " + _("(default {default})").format(default=control.default)
    group.add_argument(control.flag_name(), dest=control.field, default=control.default, help=help_text, **value)


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
