"""Class display names in both languages: the tables, the language switch, overrides and "both languages"."""

from __future__ import annotations

import re

import pytest

from cnnviz.data.class_names import (
    ANIMALS10_NAMES,
    ITALIAN_TO_ENGLISH,
    KNOWN_NAMES,
    both_languages,
    display_name,
    display_names,
    english_name,
)
from cnnviz.data.keras_datasets import KERAS_DATASETS
from cnnviz.data.shapes import SHAPE_CLASSES
from cnnviz.i18n import use_language

HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.mark.parametrize("folder", sorted(ITALIAN_TO_ENGLISH))
def test_every_animals10_folder_has_an_english_and_a_korean_name(folder):
    english = english_name(folder)
    assert english != folder and english in ANIMALS10_NAMES
    assert english_name(folder.upper()) == english  # folder names are matched without case
    with use_language("en"):
        assert display_name(english) == english
    with use_language("ko"):
        assert HANGUL.search(display_name(english)), f"no Korean name for {english!r}"


def test_every_built_in_dataset_class_has_a_korean_name():
    classes = [*SHAPE_CLASSES] + [name for _, names, _ in KERAS_DATASETS.values() for name in names]
    assert set(classes) <= KNOWN_NAMES
    with use_language("ko"):
        untranslated = [name for name in classes if display_name(name) == name]
    assert not untranslated


def test_display_names_follow_the_language_and_leave_unknown_names_alone():
    names = ["cat", "my_own_class", "circle"]
    with use_language("en"):
        assert display_names(names) == names
    with use_language("ko"):
        assert display_names(names) == ["고양이", "my_own_class", "원"]
    assert english_name("weather_sunny") == "weather_sunny"


def test_overrides_apply_to_their_language_only():
    overrides = {"ko": ["야옹이", "내 클래스"]}
    with use_language("ko"):
        assert display_names(["cat", "mine"], overrides) == ["야옹이", "내 클래스"]
        assert display_names(["cat", "mine", "extra"], overrides) == ["고양이", "mine", "extra"]  # stale length
    with use_language("en"):
        assert display_names(["cat", "mine"], overrides) == ["cat", "mine"]


def test_both_languages_shows_the_translation_then_the_english_name():
    with use_language("ko"):
        assert both_languages("cat") == "고양이 · cat"
        assert both_languages("cat", "야옹이") == "야옹이 · cat"
        assert both_languages("my_own_class") == "my_own_class"
    with use_language("en"):
        assert both_languages("cat") == "cat"
