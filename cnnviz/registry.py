"""One way to register things: a ``Registry`` of small frozen entries, each under its ``key``.

Architectures, saliency methods, dataset sources and training callbacks are each a ``Registry``,
filled when their module is imported and read-only in use (``register`` takes a lock, so a late
registration from another thread is safe too)::

    METHODS = Registry[Method]("explanation method")
    METHODS.register(Method("occlusion", ...))          # an entry
    @ARCHITECTURES.entry(lambda build: Architecture(build.__name__, ..., build))   # a decorated function

A registry reads like a mapping (``key in``, ``[key]``, ``keys()``, iteration in registration order).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Generic, Protocol, TypeVar


class Keyed(Protocol):
    @property
    def key(self) -> str: ...


Entry = TypeVar("Entry", bound=Keyed)
Function = TypeVar("Function", bound=Callable)


class Registry(Mapping[str, Entry], Generic[Entry]):
    """Entries by key, in registration order; registering a key twice raises KeyError."""

    def __init__(self, kind: str) -> None:
        self.kind = kind  # what an entry is ("architecture"), as repr() shows it
        self._entries: dict[str, Entry] = {}
        self._lock = threading.Lock()

    def register(self, entry: Entry) -> Entry:
        """Add ``entry`` under its key and return it."""
        with self._lock:
            if entry.key in self._entries:  # two entries under one key: a programming error, met at import
                raise KeyError(entry.key)
            self._entries = {**self._entries, entry.key: entry}  # readers never see a dict being changed
        return entry

    def entry(self, make: Callable[[Function], Entry]) -> Callable[[Function], Function]:
        """A decorator: register ``make(function)`` and leave the function as it is."""

        def add(function: Function) -> Function:
            self.register(make(function))
            return function

        return add

    def __getitem__(self, key: str) -> Entry:
        return self._entries[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"<{self.kind} registry: {', '.join(self._entries)}>"
