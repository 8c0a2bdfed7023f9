"""The lesson link: what a view needs, as short query parameters, and back (pure functions).

A ``LessonState`` holds the page, dataset spec, architecture and options (or a saved run by its
folder name), augmentation, training settings, the page's chosen controls (widget values by
key) and the controls a teacher locked. ``to_params`` leaves every default out, so links stay
short; ``from_params`` never raises: bad parts come back as messages and their defaults.

Each group is one parameter holding ``field:value`` pairs joined by commas; tuples join their
items with ``|``; strings are percent-quoted so separators inside them survive.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from cnnviz.data.augmentation import AugmentConfig
from cnnviz.data.dataset import DatasetSpec
from cnnviz.data.registry import SOURCES
from cnnviz.i18n import _
from cnnviz.lesson.controls import AUGMENT, MODEL, TRAIN, by_field
from cnnviz.lesson.pages import DEFAULT_PAGE, PAGE_CONTROLS, PAGES, linked_keys
from cnnviz.limits import LimitExceeded
from cnnviz.models.architectures import ARCHITECTURES
from cnnviz.models.layers import LayerInfo
from cnnviz.runs.schema import TrainConfig
from cnnviz.training.budget import check_training

MAX_LINK_LENGTH = 2000
PARAMS = {"page": "page", "dataset": "ds", "architecture": "arch", "options": "opt", "run": "run", "augmentation": "aug",
          "training": "train", "widgets": "w", "locked": "lock"}  # fmt: skip
LAYER_PREFIX = "@"  # a feature-map layer choice: @name|kind|height|width|channels

# The widget keys of the config fields and architecture options the pages set (linked and lockable by these keys).
TRAIN_KEYS = by_field(TRAIN)
MODEL_OPTION_KEYS = by_field(MODEL)
AUGMENT_KEYS = by_field(AUGMENT)
PAGE_WIDGETS = {page: keys for page in PAGES if (keys := linked_keys(page))}  # the chosen controls a link carries
LOCKABLE = frozenset(control.key for controls in PAGE_CONTROLS.values() for control in controls)


@dataclass(frozen=True)
class LessonState:
    """Everything a lesson link rebuilds (never weights: a trained model is named by its run)."""

    page: str = DEFAULT_PAGE
    dataset: DatasetSpec = DatasetSpec()
    architecture: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    run: str = ""  # a saved run's folder name
    augmentation: AugmentConfig = AugmentConfig()
    training: TrainConfig = TrainConfig()
    widgets: dict[str, Any] = field(default_factory=dict)
    locked: tuple[str, ...] = ()


# ---------------------------------------------------------------- values


def _format(value: Any) -> str:
    if isinstance(value, LayerInfo):
        return LAYER_PREFIX + "|".join(_format(part) for part in (value.name, value.kind, *value.shape))
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "none"}[value]
    if isinstance(value, (tuple, list)):  # a trailing "|" marks a list, even of one item
        return "".join(_format(item) + "|" for item in value) or "|"
    if isinstance(value, (int, float)):
        return repr(value)
    return quote(str(value), safe="/")


def _parse_any(text: str) -> Any:
    """A value without a declared type: a literal, a number, a layer choice or a string."""
    literals = {"true": True, "false": False, "none": None}
    if text in literals:
        return literals[text]
    if text.startswith(LAYER_PREFIX):
        name, kind, *shape = text[1:].split("|")
        return LayerInfo(unquote(name), unquote(kind), tuple(int(d) for d in shape))
    if text.endswith("|"):  # a list (a multiselect's choices); text of its own has "|" quoted
        return [_parse_any(item) for item in text[:-1].split("|") if item]
    for number in (int, float):
        try:
            return number(text)
        except ValueError:
            continue
    return unquote(text)


def _parse_as(text: str, default: Any) -> Any:
    """A value of the same type as ``default`` (ValueError when it is not one)."""
    if isinstance(default, bool):
        if text not in ("true", "false"):
            raise ValueError(text)
        return text == "true"
    if isinstance(default, tuple):
        items = [item for item in text.split("|") if item]
        sample = default[0] if default else ""
        return tuple(_parse_as(item, sample) for item in items)
    if isinstance(default, (int, float)):
        return type(default)(text)
    return unquote(text)


def _pairs(group: str) -> dict[str, str]:
    pairs = {}
    for item in filter(None, group.split(",")):
        key, separator, value = item.partition(":")
        if not separator:
            raise ValueError(item)
        pairs[unquote(key)] = value
    return pairs


def _join(values: dict[str, Any]) -> str:
    return ",".join(f"{quote(key, safe='')}:{_format(value)}" for key, value in values.items())


def _changed_fields(instance: Any) -> dict[str, Any]:
    """A dataclass's fields that differ from the defaults."""
    default = type(instance)()
    return {f.name: getattr(instance, f.name) for f in fields(instance) if getattr(instance, f.name) != getattr(default, f.name)}


def _dataclass_from(cls: type, group: str) -> Any:
    default = cls()
    values = {}
    for key, text in _pairs(group).items():
        if key not in cls.__dataclass_fields__:
            raise ValueError(key)
        values[key] = _parse_as(text, getattr(default, key))
    return cls(**values)


# ---------------------------------------------------------------- the link


def to_params(state: LessonState) -> dict[str, str]:
    """The query parameters of ``state``, defaults left out."""
    groups = {
        "page": "" if state.page == DEFAULT_PAGE else state.page, "dataset": _join(_changed_fields(state.dataset)), "architecture": quote(state.architecture, safe=""),
        "options": _join(state.options), "run": quote(state.run, safe=""),
        "augmentation": _join(_changed_fields(state.augmentation)), "training": _join(_changed_fields(state.training)),
        "widgets": _join(state.widgets), "locked": ",".join(state.locked),
    }  # fmt: skip
    return {PARAMS[name]: value for name, value in groups.items() if value}


def lesson_url(base_url: str, state: LessonState, extra: dict[str, str] | None = None) -> str:
    """The link: the app's address plus the state's parameters (and ``extra`` ones such as lang).

    The page is a parameter, not the path: the app's entry script must run first to rebuild the view.
    """
    query = urlencode({**to_params(state), **(extra or {})})
    return f"{base_url.rstrip('/')}/" + (f"?{query}" if query else "")


def has_lesson(params: dict[str, str]) -> bool:
    return any(name in params for name in PARAMS.values())


def from_params(params: dict[str, str]) -> tuple[LessonState, list[str]]:
    """The state a link describes and the problems found (translated); bad parts keep their defaults."""
    problems: list[str] = []
    values: dict[str, Any] = {"page": params.get(PARAMS["page"]) or DEFAULT_PAGE}
    if values["page"] not in PAGES:
        problems.append(_("The link names a page this app does not have; the Data page is shown."))
        values["page"] = DEFAULT_PAGE

    def group(name: str) -> str:
        return params.get(PARAMS[name], "")

    try:
        spec = _dataclass_from(DatasetSpec, group("dataset"))
        if spec.source not in SOURCES:
            raise ValueError(spec.source)
        values["dataset"] = spec
    except (ValueError, TypeError):
        problems.append(_("The link's dataset settings are not valid; the default dataset is used."))
    architecture = unquote(group("architecture"))
    if architecture and architecture not in ARCHITECTURES:
        problems.append(_("The link names an architecture this app does not have; no model was built."))
    elif architecture:
        values["architecture"] = architecture
        values["options"] = {key: _parse_any(text) for key, text in _pairs(group("options")).items()}
    values["run"] = unquote(group("run"))
    try:
        values["augmentation"] = _dataclass_from(AugmentConfig, group("augmentation"))
    except (ValueError, TypeError):
        problems.append(_("The link's augmentation settings are not valid; augmentation is off."))
    try:
        values["training"] = _dataclass_from(TrainConfig, group("training"))
        check_training(values["training"])
    except LimitExceeded as error:  # the message names the setting and the server's limit, not the link's text
        values.pop("training", None)
        problems.append(_("{problem} The default training settings are used.").format(problem=error))
    except (ValueError, TypeError):
        problems.append(_("The link's training settings are not valid; the default settings are used."))
    try:
        widgets = {key: _parse_any(text) for key, text in _pairs(group("widgets")).items()}
    except ValueError:
        widgets = {}
    known = set(PAGE_WIDGETS.get(values["page"], ()))
    values["widgets"] = {key: value for key, value in widgets.items() if key in known}
    if set(widgets) - known:
        problems.append(_("The link sets controls this page does not have; they were ignored."))
    values["locked"] = tuple(key for key in group("locked").split(",") if key in LOCKABLE)
    return LessonState(**values), problems


def from_url(url: str) -> tuple[LessonState, list[str]]:
    """``from_params`` of a whole link."""
    return from_params(dict(parse_qsl(urlsplit(url).query)))
