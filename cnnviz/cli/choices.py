"""A flag's choices read from a registry when the flag is first checked or its help shown, not when the parser
is built: ``cnnviz datasets`` then answers without importing the saliency methods (and TensorFlow)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any


class RegistryChoices:
    """The keys of the registry ``load()`` returns, as argparse ``choices``."""

    def __init__(self, load: Callable[[], Mapping[str, Any]]) -> None:
        self._load = functools.cache(load)

    def __contains__(self, key: object) -> bool:
        return key in self._load()

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())


def saliency_methods() -> Mapping[str, Any]:
    from cnnviz.explain.saliency import METHODS

    return METHODS


def architectures() -> Mapping[str, Any]:
    from cnnviz.models.architectures import ARCHITECTURES

    return ARCHITECTURES
