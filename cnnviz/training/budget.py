"""A training job's limits: its settings checked at Start, its wall-clock budget kept where it trains.

``check_training`` refuses settings over the server's limits (cnnviz.limits) before anything
is staged. ``JobClock`` is the stop flag a job trains with: it is set when the user stops the
job or once the job's time budget is spent, and the training's Keras callback (LiveMetrics)
checks it after every batch, inside the training process whichever backend runs it. A job
over its budget is saved like a stopped one, with the status "stopped: time limit".
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from cnnviz.i18n import _
from cnnviz.limits import at_most, limits

if TYPE_CHECKING:
    from cnnviz.runs.schema import TrainConfig


def check_training(config: TrainConfig) -> None:
    """Raise LimitExceeded when the settings ask for more than the server allows."""
    allowed = limits()
    at_most(config.epochs, allowed.epochs, _("The number of epochs"))
    at_most(config.batch_size, allowed.batch_size, _("The batch size"))
    if config.kfold:
        at_most(config.kfold * config.epochs, allowed.fold_epochs, _("K x epochs of the K-fold"))
    if config.search:
        at_most(config.search_trials, allowed.trials, _("The number of search trials"))
        at_most(config.search_minutes, allowed.job_minutes, _("The search's minutes"))


class JobClock:
    """A stop flag set by the user's stop flag (may be None) or once ``seconds`` have passed since it was made."""

    def __init__(self, stop: Any, seconds: float) -> None:
        self.stop = stop
        self.deadline = time.monotonic() + seconds

    def over_time(self) -> bool:
        return time.monotonic() >= self.deadline

    def is_set(self) -> bool:
        return self.over_time() or (self.stop is not None and self.stop.is_set())


def over_time(stop: Any) -> bool:
    """Whether ``stop`` is a JobClock whose budget is spent."""
    return isinstance(stop, JobClock) and stop.over_time()
