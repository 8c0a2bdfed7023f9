"""Saved runs loaded once per process: one model object per run folder and config version.

Pages, the sidebar and the training worker's results all ask here, so one folder never gives
two model objects. The key is the folder and the modification time of its config.json, so a
renamed run is read again. Only the last LOADED_RUNS_KEPT models stay loaded.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from pathlib import Path
from typing import Generic, TypeVar

from cnnviz.runs.schema import RunConfig
from cnnviz.runs.store import CONFIG_FILE, Run, load_run, read_config

LOADED_RUNS_KEPT = 4  # models (megabytes each) kept loaded
SAVED_CONFIGS_KEPT = 256  # configs (a few KB each): every session's status line reads one on each rerun

ValueT = TypeVar("ValueT")


class KeptLoads(Generic[ValueT]):
    """The last ``size`` results of ``load(key)``; a key asked for by several threads at once is loaded once."""

    def __init__(self, size: int, load: Callable[[Hashable], ValueT]) -> None:
        self._size, self._load = size, load
        self._lock = threading.Lock()
        self._kept: OrderedDict[Hashable, Future[ValueT]] = OrderedDict()

    def get(self, key: Hashable) -> ValueT:
        with self._lock:
            future = self._kept.get(key)
            loads_here = future is None
            if future is None:
                future = self._kept[key] = Future()
                while len(self._kept) > self._size:
                    self._kept.popitem(last=False)
            self._kept.move_to_end(key)
        if loads_here:
            self._fill(key, future)
        return future.result()

    def _fill(self, key: Hashable, future: Future[ValueT]) -> None:
        try:
            future.set_result(self._load(key))
        except BaseException as error:  # handed to every waiter; the next ask tries again
            with self._lock:
                if self._kept.get(key) is future:
                    del self._kept[key]
            future.set_exception(error)


def _version(path: Path) -> tuple[str, int]:
    """A run folder's key: its absolute path and its config.json's modification time (OSError if gone)."""
    path = Path(path).absolute()
    return str(path), (path / CONFIG_FILE).stat().st_mtime_ns


_RUNS: KeptLoads[Run] = KeptLoads(LOADED_RUNS_KEPT, lambda key: load_run(Path(key[0])))
_CONFIGS: KeptLoads[RunConfig] = KeptLoads(SAVED_CONFIGS_KEPT, lambda key: read_config(Path(key[0])))


def loaded_run(path: Path | str) -> Run:
    """The saved run in ``path`` with its model, loaded once per config version (RunError, OSError)."""
    return _RUNS.get(_version(Path(path)))


def saved_config(path: Path | str) -> RunConfig:
    """The saved run's config, read once per version, without its model."""
    return _CONFIGS.get(_version(Path(path)))
