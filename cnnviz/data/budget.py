"""The datasets loaded in this process: one copy per spec, all of them within one byte budget.

Every session, link and page that asks for the same spec gets the same Dataset while any of
them still holds its images; a load of another spec first reserves its estimated bytes and is
refused with a clear message when the datasets held (and those being loaded) would pass
``Limits.loaded_bytes``. A dataset's bytes are given back when its images are freed.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager

import numpy as np

from cnnviz.i18n import _
from cnnviz.limits import MB, LimitExceeded, limits


class LoadedDatasets:
    """Datasets by spec, shared while alive, their bytes counted against the budget (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._datasets: dict[Hashable, weakref.ref] = {}
        self._held: dict[Hashable, int] = {}  # bytes of the images still alive, by spec
        self._reserved: dict[int, int] = {}  # bytes of loads under way, by reservation
        self._spec_locks: dict[Hashable, threading.Lock] = {}

    def held_bytes(self) -> int:
        with self._lock:
            return sum(self._held.values()) + sum(self._reserved.values())

    def load(self, spec: Hashable, estimated: int, make: Callable[[], object]) -> object:
        """The live dataset of ``spec``, else ``make()`` once its ``estimated`` bytes fit the budget."""
        with self._spec_lock(spec):
            shared = self._live(spec)
            if shared is not None:
                return shared
            with self._reservation(estimated):
                dataset = make()
            self._keep(spec, dataset)
            return dataset

    def _spec_lock(self, spec: Hashable) -> threading.Lock:
        with self._lock:
            return self._spec_locks.setdefault(spec, threading.Lock())

    def _live(self, spec: Hashable) -> object | None:
        with self._lock:
            ref = self._datasets.get(spec)
            return None if ref is None else ref()

    @contextmanager
    def _reservation(self, estimated: int) -> Iterator[None]:
        budget = limits().loaded_bytes
        with self._lock:
            held = sum(self._held.values()) + sum(self._reserved.values())
            if held + estimated > budget:
                raise LimitExceeded(
                    _("The server already holds {held:,.0f} MB of datasets for its sessions and cannot load "
                      "{size:,.0f} MB more now (its limit is {limit:,} MB). Try again later, or pick a smaller "
                      "dataset.").format(held=held / MB, size=estimated / MB, limit=budget // MB)
                )
            token = object()
            self._reserved[id(token)] = estimated
        try:
            yield
        finally:
            with self._lock:
                del self._reserved[id(token)]

    def _keep(self, spec: Hashable, dataset: object) -> None:
        """Share ``dataset`` under its spec and count its images' bytes until they are all freed."""
        owners = _image_buffers(dataset)
        with self._lock:
            self._datasets[spec] = weakref.ref(dataset)
            self._held[spec] = self._held.get(spec, 0) + sum(owner.nbytes for owner in owners)
        for owner in owners:
            weakref.finalize(owner, self._release, spec, owner.nbytes)

    def _release(self, spec: Hashable, size: int) -> None:
        with self._lock:
            left = self._held.get(spec, 0) - size
            if left > 0:
                self._held[spec] = left
            else:
                self._held.pop(spec, None)
                if spec in self._datasets and self._datasets[spec]() is None:
                    del self._datasets[spec]


def _image_buffers(dataset: object) -> list[np.ndarray]:
    """The arrays that own the memory of a dataset's images (a split's images may be a view of one)."""
    owners: dict[int, np.ndarray] = {}
    for split in dataset.splits().values():  # type: ignore[attr-defined]
        array = split.x
        while isinstance(array.base, np.ndarray):
            array = array.base
        owners[id(array)] = array
    return list(owners.values())


LOADED = LoadedDatasets()  # the process's datasets (its state is behind its own lock)
