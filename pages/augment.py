"""Augment page: tune the augmentation by looking at it; the Train page uses exactly this config."""

from dataclasses import fields

import numpy as np
import streamlit as st

from cnnviz.data.augmentation import (
    FILL_MODES,
    PRESET_LABELS,
    PRESETS,
    TRANSFORM_LABELS,
    AugmentConfig,
    augment_grid,
    to_code,
    transform_strips,
)
from cnnviz.photos.prepare import InputSpec
from pages import _session

KEYS = {field.name: f"augment_{field.name}" for field in fields(AugmentConfig)}
GRID_SIZES = (4, 8, 16, 32)


def load_widgets(config: AugmentConfig) -> None:
    """Put a config into the option widgets (a preset click, or coming back to the page)."""
    values = config.to_dict()
    _session.set_widget_values({
        KEYS[name]: tuple(value) if isinstance(value, list) else value for name, value in values.items()
    })


def preset_buttons() -> None:
    """The seeds' set-ups, one click each."""
    if len(_session.widget_values(KEYS.values())) < len(KEYS):
        load_widgets(_session.current_augmentation())
    with st.container(horizontal=True, vertical_alignment="center"):
        st.write("Presets from the seeds:")
        for name, preset in PRESETS.items():
            label = PRESET_LABELS[name]
            st.button(label, on_click=load_widgets, args=(preset,), key=f"augment_preset_{name}")


def option_widgets() -> AugmentConfig:
    """One widget per option, each bound to the session's augmentation config."""
    st.slider("Rotation range (degrees, ±)", 0.0, 180.0, step=1.0, key=KEYS["rotation_degrees"])
    st.slider("Width shift (fraction of the width, ±)", 0.0, 1.0, step=0.05, key=KEYS["width_shift"])
    st.slider("Height shift (fraction of the height, ±)", 0.0, 1.0, step=0.05, key=KEYS["height_shift"])
    st.slider("Shear (slope, ±; 0.2 ≈ 11°)", 0.0, 1.0, step=0.05, key=KEYS["shear"])
    st.slider("Zoom (±, 0.2 scales by 0.8 to 1.2)", 0.0, 0.9, step=0.05, key=KEYS["zoom"])
    left, right = st.columns(2)
    left.checkbox("Horizontal flip", key=KEYS["horizontal_flip"])
    right.checkbox("Vertical flip", key=KEYS["vertical_flip"])
    st.slider("Brightness (multiplier range)", 0.0, 3.0, step=0.05, key=KEYS["brightness"])
    st.slider("Contrast (±)", 0.0, 1.0, step=0.05, key=KEYS["contrast"])
    fill_mode = st.selectbox("Fill mode (pixels moved in from outside)", FILL_MODES, key=KEYS["fill_mode"])
    st.slider("Fill value", 0.0, 1.0, step=0.05, key=KEYS["fill_value"], disabled=fill_mode != "constant")
    values = _session.widget_values(KEYS.values())
    return AugmentConfig(**{name: _rounded(values[key]) for name, key in KEYS.items()})


def _rounded(value):
    """Slider floats without their binary noise (0.15000000000000002 -> 0.15)."""
    if isinstance(value, float):
        return round(value, 4)
    return tuple(round(v, 4) for v in value) if isinstance(value, tuple) else value


@st.cache_data(max_entries=32, show_spinner=False)
def cached_grid(image: np.ndarray, config: AugmentConfig, n: int, seed: int) -> np.ndarray:
    return augment_grid(image, config, n, seed)


@st.cache_data(max_entries=16, show_spinner="Applying each transform alone...")
def cached_strips(image: np.ndarray, config: AugmentConfig) -> list:
    return transform_strips(image, config)


def shown(image: np.ndarray) -> np.ndarray:
    """st.image wants (H, W) for grayscale."""
    return image[..., 0] if image.shape[-1] == 1 else image


st.title("Augment")
st.caption(
    "Random changes to the training images that keep their class: the network sees a new "
    "variant every epoch. Training applies these settings to the train split only."
)
dataset = _session.current_dataset()
preset_buttons()
settings, preview = st.columns([1, 2], gap="large")
with settings:
    config = option_widgets()
    _session.set_current_augmentation(config)
with preview:
    picked = _session.pick_image(InputSpec.for_dataset(dataset), key="augment")
    if picked is None:
        st.info("Pick an image from the dataset or upload one.")
        st.stop()
    image, caption = picked[0].image, picked[1]
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    n = left.select_slider("Augmented versions", GRID_SIZES, value=16, key="augment_n")
    right.button("🎲 Re-roll", on_click=_session.reroll_augment_seed, key="augment_reroll")
    seed = _session.augment_seed()
    st.image(shown(image), caption=f"Original: {caption}", width=160)
    with st.spinner("Augmenting..."):
        grid = cached_grid(image, config, n, seed)
    st.image([shown(g) for g in grid], width=110, caption=[f"seed {seed}, #{i}" for i in range(n)])
    st.subheader("Each transform alone")
    for name, row in cached_strips(image, config):
        st.caption(TRANSFORM_LABELS[name].capitalize())
        st.image([shown(picture) for _, picture in row], width=90, caption=[label for label, _ in row])
    st.subheader("As Keras code")
    st.code(to_code(config), language="python")
