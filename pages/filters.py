"""Filters page: the pattern each filter of a conv layer responds to most, and what a class looks like to the model."""

# ruff: noqa: E402
from app.page import app_page

app_page()  # first, before the imports: the whole app when opened by its own URL, then Keras (app/page.py)

import streamlit as st

from app import controls, memo, pickers
from cnnviz.explain.activations import as_rgb
from cnnviz.data.class_names import display_names
from cnnviz.explain.filters import (
    QUALITY_BAR, FilterPattern, FilterSettings, class_pattern, filter_patterns, pattern_layers,
)
from cnnviz.i18n import _
from cnnviz.lesson.pages import page_controls

PER_ROW = 8

st.title(_("Filter patterns"))
st.caption(_(
    "Starting from grey, the input image is changed step by step (gradient ascent) to make each filter "
    "respond as strongly as possible. The image is built from smooth waves (a Fourier basis), its colours "
    "are decorrelated and it is shifted, scaled and rotated a little at every step, so only patterns that "
    "survive small changes grow. Early layers show colours and edges, deeper layers textures. Under each "
    "image: how many times stronger the filter responds to it than to grey (aim: at least {bar:.0f}×); "
    "'silent' marks a filter that no image made fire."
).format(bar=QUALITY_BAR))
run, layers = pickers.pick_model_layers(
    "filters_model", pattern_layers, _("This model has no Conv2D layer whose filters could be shown.")
)

left, right = st.columns(2)
CONTROLS = page_controls("filters")
layer = controls.draw(left, CONTROLS["filters_layer"], options=layers, format_func=lambda info: info.label)
channels = layer.shape[2]
first = controls.draw(left, CONTROLS["filters_first"], max_value=channels - 1)
most = min(64, channels - int(first))
count = controls.draw(left, CONTROLS["filters_count"], max_value=most, value=min(16, most))
steps = controls.draw(right, CONTROLS["filters_steps"], value=FilterSettings.steps)
rate = controls.draw(right, CONTROLS["filters_step_size"], value=FilterSettings.learning_rate)
size = controls.draw(right, CONTROLS["filters_size"], value=max(32, min(256, run.input_shape[0])))
settings = FilterSettings(steps=steps, learning_rate=rate, image_size=size)
filters = list(range(int(first), int(first) + count))


def gain_text(pattern: FilterPattern) -> str:
    """'gain×', with a warning below the bar, or 'silent' when the pattern did not make it fire."""
    if not pattern.fires:
        return _("silent")
    return f"{pattern.gain:.0f}×" + ("" if pattern.gain >= QUALITY_BAR else " ⚠️")


shown_for = (memo.run_identity(run), layer.name, tuple(filters), settings)
if st.button(_("Generate"), type="primary", key="filters_go"):
    bar = st.progress(0.0, text=_("Gradient ascent..."))
    patterns = filter_patterns(run.model, layer.name, filters, settings, progress=lambda done: bar.progress(min(done, 1.0)))
    memo.remember_shown("filters", shown_for, patterns)
    bar.empty()
patterns = memo.shown_result("filters", shown_for) or []
if not patterns:
    st.info(_("Press Generate to compute these filters' patterns."))
for row in range(0, len(patterns), PER_ROW):
    for column, pattern in zip(st.columns(PER_ROW), patterns[row : row + PER_ROW]):
        column.image(as_rgb(pattern.image), caption=f"#{pattern.index}: {gain_text(pattern)}", width="stretch")

st.subheader(_("Class pattern"))
st.caption(_(
    "The same ascent on one class's score (before the softmax) instead of a filter: the input the model "
    "finds most typical of that class, at the model's input size."
))
names = display_names(run.display_names)
target = controls.draw(st, CONTROLS["filters_class"], options=range(len(names)), format_func=lambda index: names[index])
class_for = (memo.run_identity(run), target, settings)
if st.button(_("Generate class pattern"), key="filters_class_go"):
    with st.spinner(_("Gradient ascent...")):
        memo.remember_shown("filters_class", class_for, class_pattern(run.model, target, settings))
found = memo.shown_result("filters_class", class_for)
if found is not None:
    st.image(as_rgb(found.image), width=192, caption=f"{names[target]}: {gain_text(found)}")
