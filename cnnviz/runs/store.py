"""Runs: a trained (or just built) model with the config that explains how to feed it.

Every saved run is a folder under the runs directory holding ``model.keras``,
``config.json``, ``history.csv`` and ``metrics.json``. The folder is assembled under a
hidden staging name and renamed into place in one step, and every file is written to a
temporary name first and then ``os.replace``-d, so a crash never leaves a half-written
run that fails to load; ``list_runs`` ignores staging folders.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import os
import re
import shutil
import tempfile
import uuid
import zipfile
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnviz.i18n import _
from cnnviz.limits import LimitExceeded
from cnnviz.models.config_check import ModelConfigRefused, check_model_config
from cnnviz.models.dtypes import float32_copy
from cnnviz.runs.schema import STATUS_LABELS, UPLOADED, RunConfig, model_config

if TYPE_CHECKING:
    import keras

    from cnnviz.data.dataset import Dataset

log = logging.getLogger(__name__)
MODEL_FILE = "model.keras"
CONFIG_FILE = "config.json"
HISTORY_FILE = "history.csv"
METRICS_FILE = "metrics.json"
CHECKPOINT_FILE = "best.keras"
MAX_NAME_LENGTH = 80  # a run's display name
MAX_CONFIG_BYTES = 4 * 1024**2  # an uploaded model's config.json (a big real model's is under 1 MB)
STAGING_PREFIX = ".staging-"


class RunError(RuntimeError):
    """A run or model file that cannot be used, with a message meant for the user."""


@dataclass
class Run:
    """A model plus its config (see cnnviz.runs.schema); ``path`` is None until the run is saved."""

    model: keras.Model
    config: RunConfig
    history: list[dict[str, float]] = field(default_factory=list)
    path: Path | None = None

    @property
    def display_names(self) -> list[str]:
        return list(self.config.display_names)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return self.config.input_shape

    @property
    def label(self) -> str:
        """A short name for menus."""
        return self.config.name or self.config.architecture.name


@dataclass(frozen=True)
class RunSummary:
    """One row of the runs list, read from config.json without loading the model."""

    path: Path
    name: str
    created: str
    architecture: str
    dataset: str
    epochs: int
    test_accuracy: float | None
    status: str

    @property
    def label(self) -> str:
        """Name and date, for menus (names alone may repeat)."""
        return f"{self.name} · {self.created[:16].replace('T', ' ')}"

    def row(self) -> dict[str, Any]:
        """The row as the Runs page shows it."""
        accuracy = None if self.test_accuracy is None else round(100 * self.test_accuracy, 1)
        return {
            "name": self.name, "date": self.created[:16].replace("T", " "),
            "architecture": self.architecture, "dataset": self.dataset, "epochs": self.epochs,
            "test accuracy %": accuracy, "status": _(STATUS_LABELS[self.status]), "folder": self.path.name,
        }


def json_ready(value: Any) -> Any:
    """NaN and infinity become None, NumPy scalars plain numbers, so JSON stays standard."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write a temp file in the same folder, then os.replace it over ``path``."""
    mode = "w" if isinstance(data, str) else "wb"
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(handle, mode, **({"encoding": "utf-8"} if mode == "w" else {})) as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_json(path: Path, data: dict) -> None:
    atomic_write(path, json.dumps(json_ready(data), indent=2, allow_nan=False))


def _save_model(model: keras.Model, path: Path) -> None:
    tmp = path.with_name(f".tmp-{uuid.uuid4().hex}{path.suffix}")
    try:
        model.save(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def history_csv(history: list[dict[str, float]]) -> str:
    """Per-epoch history as CSV text, one row per epoch, keys sorted after "epoch"."""
    keys = sorted({key for row in history for key in row} - {"epoch"})
    out = io.StringIO()
    writer = csv.DictWriter(out, ["epoch", *keys], lineterminator="\n")
    writer.writeheader()
    for epoch, row in enumerate(history):
        writer.writerow({"epoch": epoch, **row})
    return out.getvalue()


def read_history(run_path: Path) -> list[dict[str, float]]:
    """A saved run's history.csv as a list of per-epoch dicts (the epoch column dropped)."""
    path = Path(run_path) / HISTORY_FILE
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [{k: float(v) for k, v in row.items() if k != "epoch" and v not in ("", None)} for row in rows]


def slug(name: str) -> str:
    """A file-system-safe version of a run name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:60] or "run"


def stage_run(runs_dir: Path) -> Path:
    """A fresh hidden staging folder where a run is assembled (training writes here)."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    staging = runs_dir / f"{STAGING_PREFIX}{uuid.uuid4().hex}"
    staging.mkdir()
    return staging


def save_run(run: Run, runs_dir: Path, *, staging: Path | None = None, metrics: dict | None = None) -> Run:
    """Write the run's files into a staging folder and rename it into place; returns the saved Run."""
    staging = staging or stage_run(runs_dir)
    try:
        created = run.config.created or datetime.now().isoformat(timespec="seconds")
        config = replace(run.config, created=created)
        _save_model(run.model, staging / MODEL_FILE)
        (staging / CHECKPOINT_FILE).unlink(missing_ok=True)  # the training's checkpoint: not a second copy to keep
        if not (staging / HISTORY_FILE).exists():  # training's CSVLogger may have written it
            atomic_write(staging / HISTORY_FILE, history_csv(run.history))
        _write_json(staging / METRICS_FILE, asdict(config.test_metrics) if metrics is None else metrics)
        write_config(staging, config)
        stem = f"{config.created[:19].replace(':', '')}-{slug(config.name or config.architecture.name)}"
        final = _rename_into_place(staging, runs_dir, stem)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return replace(run, config=config, path=final)


def _rename_into_place(staging: Path, runs_dir: Path, stem: str) -> Path:
    for attempt in range(1, 100):
        final = runs_dir / (stem if attempt == 1 else f"{stem}-{attempt}")
        if final.exists():
            continue
        try:
            os.rename(staging, final)
            return final
        except OSError:
            continue
    raise RunError(
        _("Could not find a free folder name for {stem!r} in {folder}.").format(stem=stem, folder=Path(runs_dir).name)
    )


def is_complete(path: Path) -> bool:
    """A finished run folder: not staging, with its model and config in place."""
    return (
        path.is_dir() and not path.name.startswith(".")
        and (path / MODEL_FILE).is_file() and (path / CONFIG_FILE).is_file()
    )


def read_config(path: Path) -> RunConfig:
    """A run folder's config.json, whatever schema version wrote it."""
    try:
        return RunConfig.from_dict(json.loads((path / CONFIG_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise RunError(
            _("The run in {path} has no readable {file}: {error}").format(
                path=path.name, file=CONFIG_FILE, error=type(error).__name__
            )
        ) from error


def write_config(path: Path, config: RunConfig) -> None:
    """Write a run folder's config.json atomically."""
    _write_json(path / CONFIG_FILE, config.to_dict())


def read_metrics(path: Path) -> dict[str, Any]:
    """metrics.json of a saved run ({} when absent)."""
    try:
        return json.loads((path / METRICS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def summarize(path: Path) -> RunSummary:
    config = read_config(path)
    return RunSummary(
        path=path,
        name=config.name or path.name,
        created=config.created,
        architecture=config.architecture.name,
        dataset=config.dataset.name,
        epochs=config.epochs_run,
        test_accuracy=config.test_metrics.accuracy,
        status=config.status,
    )


def list_runs(runs_dir: Path) -> list[RunSummary]:
    """Saved runs, newest first; staging and unreadable folders are skipped."""
    if not runs_dir.is_dir():
        return []
    summaries = []
    for path in runs_dir.iterdir():
        if is_complete(path):
            try:
                summaries.append(summarize(path))
            except RunError:
                continue
    return sorted(summaries, key=lambda s: (s.created, s.path.name), reverse=True)


def load_run(path: Path) -> Run:
    """A saved run with its model (loaded in Keras' safe mode) and history."""
    path = Path(path)
    if not is_complete(path):
        raise RunError(_("{path} is not a complete saved run.").format(path=path.name))
    model = load_model_file(path / MODEL_FILE)
    return Run(model, read_config(path), read_history(path), path)


def rename_run(path: Path, new_name: str) -> None:
    """Change a run's display name (config.json is rewritten atomically; the folder stays)."""
    new_name = " ".join(new_name.split())[:MAX_NAME_LENGTH]
    if not new_name:
        raise RunError(_("A run name cannot be empty."))
    write_config(path, replace(read_config(path), name=new_name))


def delete_run(path: Path) -> None:
    """Remove a run folder: renamed to a staging name first, so a half-deleted run never lists."""
    if not is_complete(path):
        raise RunError(_("{path} is not a saved run.").format(path=path.name))
    doomed = path.parent / f"{STAGING_PREFIX}deleted-{uuid.uuid4().hex}"
    os.rename(path, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


def _checked_config(archive: zipfile.ZipFile) -> None:
    """Check the archive's config.json as parsed JSON before Keras reads it (cnnviz.models.config_check)."""
    try:
        member = archive.getinfo("config.json")
    except KeyError as error:
        raise RunError(_("This file is not a Keras 3 .keras model (no config.json inside).")) from error
    if member.file_size > MAX_CONFIG_BYTES:
        raise RunError(_("This model's config.json is too large to be a model's description."))
    unreadable = RunError(_("This file is not a Keras 3 .keras model (its config.json cannot be read)."))
    try:
        config = json.loads(archive.read(member))
    except (ValueError, RecursionError) as error:
        raise unreadable from error
    try:
        check_model_config(config)
    except (ModelConfigRefused, LimitExceeded) as error:
        raise RunError(str(error)) from error
    except RecursionError as error:  # nested deeper than any model
        raise unreadable from error


def load_model_file(path: Path) -> keras.Model:
    """keras.models.load_model in safe mode, after its config is checked (Lambda, custom and unknown
    classes refused, parameters counted against the limit) without building anything.

    A model saved computing in another precision (a bfloat16 checkpoint, say) comes back as
    a float32 copy with the same weights, so every view explains it in float32.
    """
    import keras

    try:
        with zipfile.ZipFile(path) as archive:
            _checked_config(archive)
    except zipfile.BadZipFile as error:
        raise RunError(_("This file is not a .keras model (it is not a zip archive).")) from error
    try:
        model = keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises many types for a broken or foreign file
        log.warning("Keras could not load %s: %s", path, error)
        raise RunError(_("Keras could not load this model ({kind}).").format(kind=type(error).__name__)) from error
    return float32_copy(model)


def load_uploaded_model(data: bytes) -> keras.Model:
    """A user's uploaded .keras file, loaded in safe mode (Lambda layers refused)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.keras"
        path.write_bytes(data)
        return load_model_file(path)


def config_for_model(model: keras.Model, dataset: Dataset, name: str) -> RunConfig:
    """A config for a model that came without one (an upload), fed like the current dataset.

    Raises RunError when the model's input or output does not fit the dataset.
    """
    shape = tuple(model.input_shape[1:])
    classes = model.output_shape[-1]
    if shape != dataset.image_shape or classes != dataset.num_classes:
        raise RunError(_(
            "The model takes {shape} images and predicts {classes} classes, but the current "
            "dataset {name!r} has {dataset_shape} images and {dataset_classes} "
            "classes. Pick a matching dataset on the Data page first."
        ).format(
            shape=shape, classes=classes, name=dataset.name, dataset_shape=dataset.image_shape,
            dataset_classes=dataset.num_classes,
        ))
    return replace(model_config("uploaded", {}, dataset), name=name, status=UPLOADED)


def compare_table(paths: list[Path]) -> list[dict[str, Any]]:
    """One row per saved run: its settings and test scores, for side-by-side comparison."""
    rows = []
    for path in paths:
        config = read_config(path)
        hyper = config.hyperparameters
        rows.append({
            "run": summarize(path).label,
            "architecture": config.architecture.name,
            "dataset": config.dataset.name,
            "optimizer": hyper and hyper.optimizer,
            "learning rate": hyper and hyper.learning_rate,
            "batch size": hyper and hyper.batch_size,
            "epochs": config.epochs_run,
            "augmentation": _("on") if config.augmentation else _("off"),
            "seed": hyper and hyper.seed,
            "test loss": config.test_metrics.loss,
            "test accuracy": config.test_metrics.accuracy,
            "status": _(STATUS_LABELS[config.status]),
        })
    return rows
