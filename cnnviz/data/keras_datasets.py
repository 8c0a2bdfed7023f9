"""MNIST, Fashion-MNIST and CIFAR-10 through keras.datasets, with a decoded-array cache."""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

import numpy as np

from cnnviz.i18n import _

log = logging.getLogger(__name__)
FOLDER_HINT = "$KERAS_HOME/datasets, ~/.keras/datasets by default"

KERAS_DATASETS = {
    "mnist": ("MNIST", [str(d) for d in range(10)], "mnist.npz"),
    "fashion_mnist": (
        "Fashion-MNIST",
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
        "fashion-mnist/ (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz)",
    ),
    "cifar10": (
        "CIFAR-10",
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
        "cifar-10-batches-py.tar.gz",
    ),
}


class DownloadFailed(RuntimeError):
    """keras.datasets could not download a dataset; the message says where to put the files."""


def keras_cache_dir() -> Path:
    """Keras' own dataset cache: $KERAS_HOME/datasets, default ~/.keras/datasets."""
    home = os.environ.get("KERAS_HOME", str(Path.home() / ".keras"))
    return Path(home) / "datasets"


def load_keras_dataset(source: str) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """((x_train, y_train), (x_test, y_test)) as uint8 (N, H, W, C) images and int labels.

    The decoded arrays are kept in the Keras cache folder as cnnviz-<source>.npz, because
    Keras re-extracts the CIFAR-10 archive on every load_data() call.
    """
    cached = keras_cache_dir() / f"cnnviz-{source}.npz"
    if cached.exists():
        with np.load(cached) as arrays:
            return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
    (x_train, y_train), (x_test, y_test) = _download(source)
    train = (_with_channels(x_train), y_train.reshape(-1).astype(np.int32))
    test = (_with_channels(x_test), y_test.reshape(-1).astype(np.int32))
    _save_atomically(cached, x_train=train[0], y_train=train[1], x_test=test[0], y_test=test[1])
    return train, test


def _download(source: str):
    """keras.datasets' load_data; a failure is logged in full and told to the user without server paths."""
    import keras

    loaders = {
        "mnist": keras.datasets.mnist.load_data,
        "fashion_mnist": keras.datasets.fashion_mnist.load_data,
        "cifar10": keras.datasets.cifar10.load_data,
    }
    title, _class_names, files = KERAS_DATASETS[source]
    try:
        return loaders[source]()
    except Exception as error:  # Keras raises several error types for a failed download
        log.warning("%s could not be downloaded into %s: %s", title, keras_cache_dir(), error)
        raise DownloadFailed(
            _(
                "{title} could not be downloaded ({kind}). "
                "This machine may have no internet access. To use {title} offline, put "
                "{files} into Keras' dataset folder ({folder}) and try again, or pick another dataset "
                "(Shapes works offline)."
            ).format(title=title, kind=type(error).__name__, files=files, folder=FOLDER_HINT)
        ) from error


def _with_channels(x: np.ndarray) -> np.ndarray:
    return (x[..., np.newaxis] if x.ndim == 3 else x).astype(np.uint8)


def _save_atomically(path: Path, **arrays: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".tmp-{uuid.uuid4().hex}-{path.name}")  # one of its own: loads may run at once
    np.savez(temporary, **arrays)
    os.replace(temporary, path)
