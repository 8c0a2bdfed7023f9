"""Augment page: tune the augmentation by looking at it; the Train page uses exactly this config."""

# ruff: noqa: E402
from app.page import app_page

app_page()  # first, before the imports: the whole app when opened by its own URL, then Keras (app/page.py)

import numpy as np
import streamlit as st

from app import controls, lesson, pickers, state
from cnnviz.data.augmentation import (
    PRESET_LABELS,
    PRESETS,
    TRANSFORM_LABELS,
    AugmentConfig,
    augment_grid,
    to_code,
    transform_strips,
)
from cnnviz.i18n import _, current_language
from cnnviz.lesson.controls import AUGMENT, CHECKBOX
from cnnviz.lesson.link import AUGMENT_KEYS as KEYS
from cnnviz.photos.prepare import InputSpec

GRID_SIZES = (4, 8, 16, 32)


def load_widgets(config: AugmentConfig) -> None:
    """Put a config into the option widgets (a preset click, or coming back to the page)."""
    values = config.to_dict()
    state.set_widget_values({
        KEYS[name]: tuple(value) if isinstance(value, list) else value for name, value in values.items()
    })


def preset_buttons() -> None:
    """The seeds' set-ups, one click each."""
    if len(state.widget_values(KEYS.values())) < len(KEYS):
        load_widgets(state.current_augmentation())
    with st.container(horizontal=True, vertical_alignment="center"):
        st.write(_("Presets from the seeds:"))
        for name, preset in PRESETS.items():
            label = _(PRESET_LABELS[name])
            st.button(label, on_click=load_widgets, args=(preset,), key=f"augment_preset_{name}",
                      disabled=any(lesson.locked(key) for key in KEYS.values()))


def option_widgets() -> AugmentConfig:
    """One widget per option, each bound to the session's augmentation config."""
    columns = None
    for control in AUGMENT:
        if control.kind == CHECKBOX:  # the two flips side by side
            columns = columns or st.columns(2)
            controls.draw(columns[control.column], control)
        elif control.field == "fill_value":  # only the constant fill mode fills with a value
            constant = st.session_state.get(KEYS["fill_mode"]) == "constant"
            controls.draw(st, control, disabled=not constant or lesson.locked(control.key))
        else:
            controls.draw(st, control)
    values = state.widget_values(KEYS.values())
    return AugmentConfig(**{name: _rounded(values[key]) for name, key in KEYS.items()})


def _rounded(value):
    """Slider floats without their binary noise (0.15000000000000002 -> 0.15)."""
    if isinstance(value, float):
        return round(value, 4)
    return tuple(round(v, 4) for v in value) if isinstance(value, tuple) else value


@st.cache_data(max_entries=32, show_spinner=False)
def cached_grid(image: np.ndarray, config: AugmentConfig, n: int, seed: int) -> np.ndarray:
    return augment_grid(image, config, n, seed)


@st.cache_data(max_entries=16, show_spinner=False)
def cached_strips(image: np.ndarray, config: AugmentConfig, language: str) -> list:
    """Each transform alone, labelled in ``language`` (part of the cache key)."""
    return transform_strips(image, config)


def shown(image: np.ndarray) -> np.ndarray:
    """st.image wants (H, W) for grayscale."""
    return image[..., 0] if image.shape[-1] == 1 else image


st.title(_("Augment"))
st.caption(_(
    "Random changes to the training images that keep their class: the network sees a new "
    "variant every epoch. Training applies these settings to the train split only."
))
dataset = state.current_dataset()
preset_buttons()
settings, preview = st.columns([1, 2], gap="large")
with settings:
    config = option_widgets()
    state.set_current_augmentation(config)
with preview:
    picked = pickers.pick_image(InputSpec.for_dataset(dataset), key="augment")
    if picked is None:
        st.info(_("Pick an image from the dataset or upload one."))
        st.stop()
    image, caption = picked[0].image, picked[1]
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    n = left.select_slider(_("Augmented versions"), GRID_SIZES, value=16, key="augment_n")
    right.button(_("🎲 Re-roll"), on_click=state.reroll_augment_seed, key="augment_reroll")
    seed = state.augment_seed()
    st.image(shown(image), caption=_("Original: {caption}").format(caption=caption), width=160)
    with st.spinner(_("Augmenting...")):
        grid = cached_grid(image, config, n, seed)
    captions = [_("seed {seed}, #{index}").format(seed=seed, index=i) for i in range(n)]
    st.image([shown(g) for g in grid], width=110, caption=captions)
    st.subheader(_("Each transform alone"))
    with st.spinner(_("Applying each transform alone...")):
        strips = cached_strips(image, config, current_language())
    for name, row in strips:
        st.caption(_(TRANSFORM_LABELS[name]).capitalize())
        st.image([shown(picture) for _, picture in row], width=90, caption=[label for label, _ in row])
    st.subheader(_("As Keras code"))
    st.code(to_code(config), language="python")
lesson.code_expander("augment")
