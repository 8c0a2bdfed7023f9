"""Translations: gettext catalogs managed with Babel, chosen per session, never installed globally.

Text the user reads is written ``_("English text")`` (``N_`` marks text translated later, such
as option labels in a module-level dict). ``_`` looks the text up in the current language's
catalog. The current language is, in order: the one set with ``use_language`` (the CLI, tests),
the one the app's provider reports for the session running now (set once per server with
``set_language_provider``), else the environment's ``LANGUAGE``/``LC_ALL``/``LC_MESSAGES``/``LANG``.
One server therefore serves sessions in different languages at the same time.

The catalogs live in ``cnnviz/locales/<lang>/LC_MESSAGES/cnnviz.po``; ``pybabel extract``,
``update`` and ``compile`` manage them (see README). A missing or stale ``.mo`` is compiled
in memory from the ``.po`` at first use.
"""

from __future__ import annotations

import contextvars
import functools
import gettext as gettext_module
import io
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DOMAIN = "cnnviz"
LOCALE_DIR = Path(__file__).resolve().parent / "locales"
SOURCE_LANGUAGE = "en"
LANGUAGES = {"en": "English", "ko": "한국어"}  # code: the language's own name
ENV_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

_explicit: contextvars.ContextVar[str | None] = contextvars.ContextVar("cnnviz_language", default=None)
_provider: Callable[[], str | None] | None = None
_provider_lock = threading.Lock()


def supported(tag: str | None) -> str | None:
    """A supported language code for a locale tag ("ko-KR", "ko_KR.UTF-8", "en") or None."""
    if not tag:
        return None
    code = tag.replace("-", "_").split("_")[0].split(".")[0].split(":")[0].lower()
    return code if code in LANGUAGES else None


def language_from_env() -> str:
    """The first supported language the environment names (the CLI follows LANG), else English."""
    for variable in ENV_VARIABLES:
        for tag in os.environ.get(variable, "").split(":"):
            if code := supported(tag):
                return code
    return SOURCE_LANGUAGE


def set_language_provider(provider: Callable[[], str | None]) -> None:
    """Install, once per process, the function that tells the language of the session running now."""
    global _provider
    with _provider_lock:
        _provider = provider


def current_language() -> str:
    """The language text is translated into right now (see the module docstring for the order)."""
    if explicit := _explicit.get():
        return explicit
    with _provider_lock:
        provider = _provider
    if provider is not None and (code := supported(provider())):
        return code
    return language_from_env()


@contextmanager
def use_language(code: str) -> Iterator[None]:
    """Translate into ``code`` inside the block, in this thread or task only."""
    if code not in LANGUAGES:
        raise ValueError(gettext("unsupported language {code!r}; choose one of {codes}").format(
            code=code, codes=", ".join(LANGUAGES)))
    token = _explicit.set(code)
    try:
        yield
    finally:
        _explicit.reset(token)


def catalog_path(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.lru_cache(maxsize=None)
def translations(code: str) -> gettext_module.NullTranslations:
    """The compiled catalog of ``code`` (English, the source language, needs none)."""
    if code == SOURCE_LANGUAGE or not catalog_path(code).exists():
        return gettext_module.NullTranslations()
    po = catalog_path(code)
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as stream:
            return gettext_module.GNUTranslations(stream)
    return gettext_module.GNUTranslations(io.BytesIO(compile_catalog(po)))


def compile_catalog(po: Path) -> bytes:
    """A ``.po`` catalog compiled to ``.mo`` bytes with Babel (fuzzy entries left out)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as stream:
        catalog = read_po(stream)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def gettext(message: str) -> str:
    """``message`` in the current language."""
    return translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form for ``count`` in the current language."""
    return translations(current_language()).ngettext(singular, plural, count)


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Marks text for extraction without translating it now; pass it through ``_`` when shown."""
    return message


@dataclass(frozen=True)
class LazyText:
    """Text translated each time it is shown, in the language of whoever reads it.

    For messages made where no session is running (a thread that watches a training process,
    a dataset decoded once and shared by every session): ``str()`` translates at display time.
    """

    message: str
    arguments: tuple[tuple[str, object], ...] = ()

    def __str__(self) -> str:
        return gettext(self.message).format(**dict(self.arguments))


def later(message: str, **arguments: object) -> LazyText:
    """``message`` (marked with ``N_``) and its named arguments, translated when shown."""
    return LazyText(message, tuple(arguments.items()))


_ = gettext
