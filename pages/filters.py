"""Filters page: the pattern each filter of a conv layer responds to most, by gradient ascent."""

import streamlit as st

from cnnviz.explain.activations import as_rgb
from cnnviz.explain.filters import QUALITY_BAR, FilterSettings, filter_patterns, pattern_layers
from cnnviz.i18n import _
from pages import _session

PER_ROW = 8

st.title(_("Filter patterns"))
st.caption(_(
    "Starting from grey noise, the input image is changed step by step (gradient ascent) to make "
    "each filter respond as strongly as possible. Early layers show colours and edges, deeper "
    "layers textures. Under each image: how many times stronger the filter responds to it than "
    "to the starting noise (aim: at least {bar:.0f}×)."
).format(bar=QUALITY_BAR))
run, layers = _session.pick_model_layers(
    "filters_model", pattern_layers, _("This model has no Conv2D layer whose filters could be shown.")
)

left, right = st.columns(2)
layer = left.selectbox(_("Conv layer"), layers, format_func=lambda info: info.label, key="filters_layer")
channels = layer.shape[2]
first = left.number_input(_("First filter"), 0, channels - 1, 0, key="filters_first")
count = left.slider(_("Filters"), 1, min(64, channels - int(first)), min(16, channels - int(first)), key="filters_count")
steps = right.slider(_("Steps"), 5, 100, FilterSettings.steps, key="filters_steps")
step_size = right.slider(_("Step size"), 0.05, 2.0, FilterSettings.step_size, 0.05, key="filters_step_size")
size = right.slider(_("Image size"), 32, 256, max(32, min(256, run.input_shape[0])), 8, key="filters_size")
blur = right.checkbox(_("Blur a little after each step (smoother patterns)"), key="filters_blur")
settings = FilterSettings(steps=steps, step_size=step_size, image_size=size, blur=blur)
filters = list(range(int(first), int(first) + count))

shown_for = (_session.run_identity(run), layer.name, tuple(filters), settings)
if st.button(_("Generate"), type="primary", key="filters_go"):
    bar = st.progress(0.0, text=_("Gradient ascent..."))
    patterns = filter_patterns(run.model, layer.name, filters, settings, progress=lambda done: bar.progress(min(done, 1.0)))
    _session.remember_shown("filters", shown_for, patterns)
    bar.empty()
patterns = _session.shown_result("filters", shown_for) or []
if not patterns:
    st.info(_("Press Generate to compute these filters' patterns."))
for row in range(0, len(patterns), PER_ROW):
    for column, pattern in zip(st.columns(PER_ROW), patterns[row : row + PER_ROW]):
        mark = "" if pattern.gain >= QUALITY_BAR else " ⚠️"
        column.image(as_rgb(pattern.image), caption=f"#{pattern.index}: {pattern.gain:.0f}×{mark}", width="stretch")
