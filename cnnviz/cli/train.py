"""The ``train`` command: one training with its progress on the terminal; the run folder last.

On a terminal the progress is a live tqdm bar under the finished epochs; in a log file (any
stream that is not a TTY) it is just one plain line per finished epoch.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from tqdm import tqdm

from cnnviz.cli.choices import RegistryChoices, architectures
from cnnviz.cli.train_flags import add_training_flags, architecture_options, augmentation_file, train_config
from cnnviz.i18n import _
from cnnviz.training.worker import DONE, FINISHED, Job, JobInfo, ThreadWorker, Worker

if TYPE_CHECKING:
    from cnnviz.runs.schema import TrainConfig
    from cnnviz.runs.store import Run
    from cnnviz.training.progress import ProgressSnapshot

POLL_SECONDS = 0.25  # how often the terminal view is refreshed


def epoch_line(epoch: int, logs: dict[str, float]) -> str:
    """ "epoch 3: loss 0.41 · accuracy 0.87 · val_loss 0.39 ..." for a finished epoch."""
    shown = " · ".join(f"{key} {value:.4g}" for key, value in logs.items())
    return f"epoch {epoch}: {shown}"


class TerminalView:
    """Finished epochs as lines of their own and, on a terminal only, a live bar below them."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.epochs_shown = 0
        self.bar: tqdm | None = None

    def write(self, line: str) -> None:
        """A line above the bar (the bar is redrawn below it)."""
        tqdm.write(line, file=self.stream)

    def show(self, snapshot: ProgressSnapshot) -> None:
        for epoch, logs in enumerate(snapshot.history[self.epochs_shown :], start=self.epochs_shown + 1):
            self.write(epoch_line(epoch, logs))
        self.epochs_shown = len(snapshot.history)
        if snapshot.batches:
            self._update_bar(snapshot)

    def _update_bar(self, snapshot: ProgressSnapshot) -> None:
        total = snapshot.epochs * snapshot.batches
        if self.bar is None:  # disable=None: no bar at all when the stream is not a TTY
            self.bar = tqdm(total=total, file=self.stream, disable=None, unit="batch", leave=False,
                            dynamic_ncols=True, mininterval=0)  # redrawn at each show()
        if snapshot.phase == "training":
            self.bar.set_description(f"epoch {snapshot.epoch}/{snapshot.epochs}", refresh=False)
            if snapshot.batch_loss:
                loss, accuracy = snapshot.batch_loss[-1], snapshot.batch_accuracy[-1]
                self.bar.set_postfix_str(f"loss {loss:.4f} · acc {accuracy:.3f}", refresh=False)
        else:
            self.bar.set_description(snapshot.phase, refresh=False)
        self.bar.update(round(snapshot.fraction * total) - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def follow(worker: Worker, job_id: str, stream: TextIO) -> JobInfo:
    """Show the job's progress on ``stream`` until it ends; Ctrl-C stops the job (its run is saved)."""
    view = TerminalView(stream)
    try:
        while True:
            try:
                info = worker.wait(job_id, timeout=POLL_SECONDS)
                view.show(worker.progress(job_id).snapshot())
                if info.state in FINISHED:
                    return info
            except KeyboardInterrupt:
                view.write(_("Stopping after the current batch; the run will still be saved..."))
                worker.stop(job_id)
    finally:
        view.close()


def cmd_train(args: argparse.Namespace) -> int:
    """Train with a terminal progress bar; the run folder is the last line printed."""
    from cnnviz.data.augmentation import PRESETS
    from cnnviz.data.registry import DatasetUnavailable, load_dataset, spec_from_name_or_path
    from cnnviz.training.progress import status_line
    from cnnviz.training.train import base_run

    try:
        spec = spec_from_name_or_path(args.dataset, args.image_size)
        dataset = load_dataset(spec)
        augmentation = augmentation_file(args.augment_file) if args.augment_file else None
        augmentation = PRESETS[args.augment] if args.augment else augmentation
        config = train_config(args, augment=augmentation is not None)
        base = base_run(dataset, args.arch, architecture_options(args))
        job = lab_job(config)(base, dataset, config, args.runs_dir, augmentation=augmentation)
    except (DatasetUnavailable, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    worker = ThreadWorker(max_running=1)
    job_id = worker.submit("cli", job)
    info = follow(worker, job_id, sys.stderr)
    if info.state != DONE:
        print(f"error: training failed: {info.error}", file=sys.stderr)
        return 1
    run = worker.result(job_id)
    print(f"{status_line(info, worker.progress(job_id).snapshot(), run.config)}. {run.config.message}")
    if config.kfold:
        print_kfold(run)
    print(run.path)
    return 0


def lab_job(config: TrainConfig) -> Callable[..., Job]:
    """The job maker for these settings: a K-fold, a search, or one training."""
    if config.kfold:
        from cnnviz.training.kfold import kfold_job

        return kfold_job
    if config.search:
        from cnnviz.training.search import search_job

        return search_job
    from cnnviz.training.jobs import training_job

    return training_job


def print_kfold(holdout: Run) -> None:
    """Each fold's folder and final validation accuracy, their mean and std, and the hold-out's."""
    from cnnviz.training.groups import group_members
    from cnnviz.training.kfold import HOLDOUT, summarize_folds

    assert holdout.path is not None and holdout.config.hyperparameters is not None
    members = group_members(holdout.path.parent, holdout.config.hyperparameters.group)
    folds = [m for m in members if m.key != HOLDOUT]
    for member in folds:
        accuracy = member.history[-1].get("val_accuracy", float("nan")) if member.history else float("nan")
        line = _("fold {fold}: val_accuracy {accuracy:.4f} · {path}")
        print(line.format(fold=member.key, accuracy=accuracy, path=member.path))
    summary = summarize_folds([m.history for m in folds])
    if summary.final_mean is not None:
        print(_("K-fold val_accuracy: {mean:.4f} ± {std:.4f} over {count} folds").format(
            mean=summary.final_mean, std=summary.final_std, count=len(folds)))
    holdout_accuracy = holdout.history[-1].get("val_accuracy") if holdout.history else None
    if holdout_accuracy is not None:
        print(_("hold-out val_accuracy: {accuracy:.4f}").format(accuracy=holdout_accuracy))


def add_command(commands: argparse._SubParsersAction) -> None:
    """Register ``train``."""
    from cnnviz.data.augmentation import PRESETS

    train = commands.add_parser("train", help="train an architecture on a dataset; prints the run folder")
    train.add_argument("--dataset", required=True, help="a dataset name (shapes, mnist...) or a path")
    train.add_argument("--arch", default="simple", choices=RegistryChoices(architectures), metavar="ARCH",
                       help="an architecture name (see `archs`)")
    train.add_argument("--image-size", type=int, default=64, help="images are resized to this (default 64)")
    train.add_argument("--augment", nargs="?", const="weather", choices=list(PRESETS),
                       help="augment the training split with a preset (default: weather)")
    train.add_argument("--runs-dir", type=Path, default=Path("runs"), help="where runs go (default ./runs)")
    train.add_argument("--name", default="", help=_("the run's name (default: architecture on dataset)"))
    add_training_flags(train)
    train.set_defaults(run=cmd_train)
