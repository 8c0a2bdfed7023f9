"""Grad-CAM page: which parts of the image made the model choose a class."""

import streamlit as st

from cnnviz.data.class_names import display_names
from cnnviz.explain.activations import COLORMAPS, colorize
from cnnviz.explain.gradcam import gradcam_overlay
from cnnviz.i18n import N_, _
from cnnviz.models.layers import conv_layers
from cnnviz.models.predictions import top_classes
from pages import _session

METHODS = {"gradcam": N_("Grad-CAM"), "gradcam_plus_plus": N_("Grad-CAM++")}

st.title(_("Grad-CAM"))
st.caption(_(
    "The gradient of a class score with respect to a conv layer's feature maps weighs each map; "
    "their weighted sum shows where the evidence for that class lies. Grad-CAM++ weighs "
    "pixels too and often covers several instances of an object better."
))
run, convs, photo, caption = _session.pick_model_layers_and_image(
    "gradcam", conv_layers,
    _("This model has no convolutional layer, so Grad-CAM has no feature maps to weigh. "
      "Pick a model with Conv2D layers."),
)
names, image = display_names(run.display_names), photo.image

first, second, third = st.columns(3)
layer = first.selectbox(_("Conv layer"), convs, index=len(convs) - 1, format_func=lambda info: info.label,
                        key="gradcam_layer", help=_("The last conv layer by default: the most semantic maps."))
target = second.selectbox(_("Class"), [None, *range(len(names))], key="gradcam_class",
                          format_func=lambda i: _("Predicted class") if i is None else names[i])
method = third.radio(_("Method"), list(METHODS), format_func=lambda key: _(METHODS[key]), horizontal=True,
                     key="gradcam_method")
opacity = first.slider(_("Heatmap opacity"), 0.0, 1.0, 0.4, 0.05, key="gradcam_opacity")
colormap = second.selectbox(_("Colour map"), list(COLORMAPS), index=list(COLORMAPS).index("jet"),
                            key="gradcam_colormap")


def explain(class_index: int | None):
    return gradcam_overlay(run.model, image, class_index, layer_name=layer.name,
                           plus_plus=method == "gradcam_plus_plus", opacity=opacity, colormap=colormap,
                           scale=run.config.preprocessing.scale)


result = explain(target)
chosen = f"{names[result.class_index]} ({result.probabilities[result.class_index]:.0%})"
columns = st.columns(3)
columns[0].image(image, caption=caption, width="stretch")
overlay_caption = _("{method} for {chosen}").format(method=_(METHODS[method]), chosen=chosen)
columns[1].image(result.overlay, caption=overlay_caption, width="stretch")
heatmap_caption = _("Raw heatmap from {name}").format(name=layer.name)
columns[2].image(colorize(result.heatmap, colormap), caption=heatmap_caption, width="stretch")

st.subheader(_("Top 3 classes"))
for column, (index, probability) in zip(st.columns(3), top_classes(result.probabilities)):
    column.image(explain(index).overlay, caption=f"{names[index]}: {probability:.1%}", width="stretch")
