"""Class display names in the user's language: the built-in datasets' classes and Animals-10's Italian folders.

A dataset keeps its class names (folder names, keys) and English display names; the names shown are
the English ones translated through the catalog, for the classes this table knows. Names it does not
know (a user's own folders, names a user typed) are shown as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cnnviz.i18n import N_, _, current_language, use_language


# Animals-10 ships with Italian folder names.
ITALIAN_TO_ENGLISH = {
    "cane": "dog", "cavallo": "horse", "elefante": "elephant", "farfalla": "butterfly",
    "gallina": "chicken", "gatto": "cat", "mucca": "cow", "pecora": "sheep",
    "ragno": "spider", "scoiattolo": "squirrel",
}  # fmt: skip
ANIMALS10_NAMES = (N_("dog"), N_("horse"), N_("elephant"), N_("butterfly"), N_("chicken"), N_("cat"), N_("cow"),
                   N_("sheep"), N_("spider"), N_("squirrel"))  # fmt: skip
DIGIT_NAMES = (N_("0"), N_("1"), N_("2"), N_("3"), N_("4"), N_("5"), N_("6"), N_("7"), N_("8"), N_("9"))
FASHION_MNIST_NAMES = (N_("T-shirt/top"), N_("Trouser"), N_("Pullover"), N_("Dress"), N_("Coat"), N_("Sandal"),
                       N_("Shirt"), N_("Sneaker"), N_("Bag"), N_("Ankle boot"))  # fmt: skip
CIFAR10_NAMES = (N_("airplane"), N_("automobile"), N_("bird"), N_("cat"), N_("deer"), N_("dog"), N_("frog"),
                 N_("horse"), N_("ship"), N_("truck"))  # fmt: skip
SHAPES_NAMES = (N_("circle"), N_("square"), N_("triangle"), N_("star"))
KNOWN_NAMES = frozenset(ANIMALS10_NAMES + DIGIT_NAMES + FASHION_MNIST_NAMES + CIFAR10_NAMES + SHAPES_NAMES)


def english_name(class_name: str) -> str:
    """The English display name of a class (Animals-10's Italian folders get theirs; others stay)."""
    return ITALIAN_TO_ENGLISH.get(class_name.lower(), class_name)


def display_name(name: str) -> str:
    """An English display name in the current language (unknown names are shown as they are)."""
    return _(name) if name in KNOWN_NAMES else name


def display_names(names: Sequence[str], overrides: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """The names shown now: the current language's overrides (one per class) if given, else translated."""
    chosen = (overrides or {}).get(current_language())
    if chosen is not None and len(chosen) == len(names):
        return list(chosen)
    return [display_name(name) for name in names]


def both_languages(name: str, shown: str | None = None) -> str:
    """The name ``shown`` (else the current language's) and the English one ("고양이 · cat"); one when they agree."""
    shown = shown or display_name(name)
    return shown if shown == name else f"{shown} · {name}"


def korean_and_english(name: str) -> str:
    """The name in Korean and in English ("고양이 · cat") whatever the current language, as the
    Animals-10 report captioned its predictions; one name when the catalog does not know it."""
    with use_language("ko"):
        korean = display_name(name)
    return both_languages(name, korean)
