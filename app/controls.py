"""A declared control (``cnnviz/lesson/controls.py``) drawn as its Streamlit widget.

``draw(container, control)`` gives the widget its translated label, key, range, choices and
default, and draws it disabled when a lesson link locked it; ``overrides`` replace any of the
widget's arguments (a help text, a choice list only the page knows, a condition for disabled).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from app import lesson
from cnnviz.i18n import _
from cnnviz.lesson import controls as declared
from cnnviz.lesson.controls import Control
from cnnviz.text import plain, shorten

WIDGETS = {  # kind -> the container's method that draws it
    declared.NUMBER: "number_input", declared.SLIDER: "slider", declared.SELECT_SLIDER: "select_slider",
    declared.CHECKBOX: "checkbox", declared.TOGGLE: "toggle", declared.SELECT: "selectbox", declared.RADIO: "radio",
    declared.MULTISELECT: "multiselect", declared.TEXT: "text_input", declared.UPLOAD: "file_uploader",
    declared.CAMERA: "camera_input",
}  # fmt: skip
INDEXED_KINDS = (declared.SELECT, declared.RADIO)  # their default is given as an index
CHOICE_KINDS = (*INDEXED_KINDS, declared.SELECT_SLIDER, declared.MULTISELECT)


def _choice_label(control: Control) -> Callable[[Any], str]:
    labels = control.choice_labels or {}
    return lambda value: _(labels[value]) if value in labels else str(value)


def _value(control: Control, choices: tuple[Any, ...]) -> dict[str, Any]:
    """The default as the widget takes it; nothing when the session already holds the widget's value."""
    if control.key in st.session_state or control.default is None:
        return {}
    if control.kind in INDEXED_KINDS:
        return {"index": list(choices).index(control.default)} if control.default in choices else {}
    if control.kind == declared.MULTISELECT:
        return {"default": [choice for choice in control.default if choice in choices]}
    return {"value": control.default}


def _arguments(control: Control, choices: list[Any] | None) -> dict[str, Any]:
    """The widget's arguments from the declaration; ``choices`` the page's, when it supplies them."""
    if control.kind in CHOICE_KINDS:
        choices = list(control.options()) if choices is None else choices
        return {"options": choices, "format_func": _choice_label(control), **_value(control, tuple(choices))}
    arguments = {"min_value": control.low, "max_value": control.maximum(), "step": control.step,
                 "format": control.number_format}  # fmt: skip
    return {**{name: value for name, value in arguments.items() if value is not None}, **_value(control, ())}


def _as_text(control: Control, format_func: Callable[[Any], str]) -> Callable[[Any], str]:
    """Choice labels as text: class, layer and run names come from users. A radio renders its options as
    Markdown, so they are escaped there; every other widget shows them as written, only shortened."""
    as_text = plain if control.kind == declared.RADIO else shorten
    return lambda value: as_text(format_func(value))


def draw(container: Any, control: Control, **overrides: Any) -> Any:
    """Draw ``control`` in ``container`` (``st``, a column, a form) and return its value."""
    arguments = {"label": _(control.label), **lesson.control(control.key),
                 **_arguments(control, overrides.get("options")), **overrides}  # fmt: skip
    if "format_func" in arguments:
        arguments["format_func"] = _as_text(control, arguments["format_func"])
    return getattr(container, WIDGETS[control.kind])(**arguments)


def draw_all(
    columns: Any, controls: tuple[Control, ...], place: Callable[[Control], Any] = lambda control: control.column,
    **overrides: dict[str, Any],
) -> dict[str, Any]:
    """Each control in ``columns[place(control)]`` (its column by default), with ``overrides`` by field; their
    values by field."""
    return {control.field: draw(columns[place(control)], control, **overrides.get(control.field, {}))
            for control in controls}  # fmt: skip
