"""What one request may ask of the server, checked before the work starts.

The same limits hold for the pages' widgets (their maximum comes from here), lesson links,
uploads, saved runs and the CLI. Each is read from an environment variable when asked for
(``limits()``), so a server sets them at start; the defaults fit every seed workflow
(Animals-10's 26k images at 150 px, the weather models at 256 px, 50 epochs, batch 500).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

from cnnviz.i18n import _

MB = 1024**2


class LimitExceeded(ValueError):
    """A request over one of the server's limits, with a message meant for the user."""


@dataclass(frozen=True)
class Limits:
    """The server's limits; each field's environment variable is ``CNNVIZ_MAX_`` + its name in capitals."""

    dataset_mb: int = 2048  # decoded bytes of one dataset (Animals-10 at 150 px: 1,767 MB)
    loaded_mb: int = 8192  # decoded bytes of every dataset loaded in this process together
    image_size: int = 256  # the side of a dataset's square images
    zip_expansion: int = 100  # an uploaded zip's decoded images, at most this many times its own size
    parameters: int = 50_000_000  # a model's parameters (VGG16 with its head: 15 M; weather_small: 15 M)
    epochs: int = 200
    batch_size: int = 1024
    fold_epochs: int = 500  # K x epochs of a K-fold
    trials: int = 50  # a search's trials
    job_minutes: float = 240.0  # wall-clock time of one training job, a whole K-fold or search included
    predict_files: int = 20  # files in one Predict drop
    upload_cache_mb: int = 2048  # kept uploads, oldest removed first
    extracted_mb: int = 4096  # extracted zips, oldest removed first

    @property
    def dataset_bytes(self) -> int:
        return self.dataset_mb * MB

    @property
    def loaded_bytes(self) -> int:
        return self.loaded_mb * MB

    @property
    def job_seconds(self) -> float:
        return self.job_minutes * 60


def env_name(field: str) -> str:
    return f"CNNVIZ_MAX_{field.upper()}"


def limits() -> Limits:
    """The limits in force: each field from its environment variable, else its default."""
    values = {}
    for field in dataclasses.fields(Limits):
        text = os.environ.get(env_name(field.name), "").strip()
        if text:
            kind = float if field.type == "float" else int
            try:
                values[field.name] = kind(text)
            except ValueError as error:
                raise ValueError(
                    _("{variable} must be a number, not {text!r}").format(variable=env_name(field.name), text=text)
                ) from error
    return Limits(**values)


def at_most(value: float, limit: float, what: str) -> None:
    """LimitExceeded("<what> ... the limit is ...") when ``value`` is over ``limit``."""
    if value > limit:
        raise LimitExceeded(
            _("{what} is {value:,}; this server allows at most {limit:,}.").format(what=what, value=value, limit=limit)
        )


def check_dataset_bytes(estimated: int, name: str) -> None:
    """Refuse a dataset whose decoded images would take more than the limit (before decoding any)."""
    allowed = limits().dataset_bytes
    if estimated > allowed:
        raise LimitExceeded(
            _("{name} would take {size:,.0f} MB decoded; this server allows {limit:,} MB for one dataset. "
              "Use smaller images or fewer of them.").format(name=name, size=estimated / MB, limit=allowed // MB)
        )


def check_parameters(count: int) -> None:
    """Refuse a model with more parameters than the limit (counted before it is built)."""
    allowed = limits().parameters
    if count > allowed:
        raise LimitExceeded(
            _("This model would have {count:,} parameters; this server allows {limit:,}. "
              "Use fewer filters, blocks or dense units, or smaller images.").format(count=count, limit=allowed)
        )
