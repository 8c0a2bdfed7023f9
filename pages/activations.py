"""Activations page: every channel of one layer for one image, and a strip through the depth."""

# ruff: noqa: E402
from app.page import app_page

app_page()  # first, before the imports: the whole app when opened by its own URL, then Keras (app/page.py)

import streamlit as st

from app import controls, pickers
from cnnviz.explain.activations import COLORMAPS, channel_grid, depth_strip, feature_maps
from cnnviz.i18n import _
from cnnviz.lesson.pages import page_controls
from cnnviz.models.layers import inspectable_layers

st.title(_("Intermediate activations"))
st.caption(_(
    "What each layer passes on: one feature map per channel (filter) for the chosen image. "
    "Early layers respond to edges and colours, deeper ones to larger, more abstract patterns."
))
run, layers, photo, caption = pickers.pick_model_layers_and_image(
    "activations", inspectable_layers,
    _("This model has no convolution, pooling, batch-norm or activation layer with feature maps."),
)

left, right = st.columns([1, 3])
left.image(photo.image, caption=caption, width="stretch")
CONTROLS = page_controls("activations")
layer = controls.draw(right, CONTROLS["activations_layer"], options=layers, format_func=lambda info: info.label)
colormap = controls.draw(right, CONTROLS["activations_colormap"], options=list(COLORMAPS))
per_channel = controls.draw(right, CONTROLS["activations_per_channel"],
                            help=_("Off: one scale for the whole layer, so weak channels look dark."))
columns = controls.draw(right, CONTROLS["activations_columns"])

maps = feature_maps(run.model, photo.image, run.config.preprocessing.scale)
grid = channel_grid(maps[layer.name], colormap, per_channel)
height, width, channels = layer.shape
dead = int(grid.dead.sum())
caption = _("{channels} channels of {name}, {height}×{width} each; {dead} dead (all zero, crossed out)")
st.image(grid.mosaic(columns), caption=caption.format(
    channels=channels, name=layer.name, height=height, width=width, dead=dead
))  # fmt: skip

with st.expander(_("Through the depth: the 4 most active channels of every layer"), expanded=True):
    for info, strip in depth_strip(maps, layers, colormap=colormap):
        st.image(strip, caption=info.label)
