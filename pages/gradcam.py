"""Where the network looks: several saliency methods side by side on one image, and a sanity check."""

# ruff: noqa: E402
from app.page import app_page

app_page()  # first, before the imports: the whole app when opened by its own URL, then Keras (app/page.py)

from collections.abc import Callable
from typing import Any

import streamlit as st

from app import controls, memo, pickers, server
from cnnviz.data.class_names import display_names
from cnnviz.explain.activations import COLORMAPS
from cnnviz.explain.gradcam import overlay_heatmap
from cnnviz.explain.saliency import DEFAULT_METHOD, method, method_keys, saliency_map
from cnnviz.explain.sanity import LOW_CORRELATION, sanity_check
from cnnviz.i18n import _
from cnnviz.lesson.pages import page_controls
from cnnviz.models.layers import conv_layers
from cnnviz.models.predictions import top_classes

PER_ROW = 4

st.title(_("Where the network looks"))
st.caption(_(
    "Each method asks the same question in its own way: which parts of the image made the model "
    "choose a class? When methods that work differently agree, trust the answer more."
))
run, convs, photo, caption = pickers.pick_model_layers_and_image(
    "gradcam", conv_layers,
    _("This model has no convolutional layer, so Grad-CAM has no feature maps to weigh. "
      "Pick a model with Conv2D layers."),
)
names, image, scale = display_names(run.display_names), photo.image, run.config.preprocessing.scale


def label(key: str) -> str:
    return _(method(key).label)


first, second, third = st.columns(3)
CONTROLS = page_controls("gradcam")
layer = controls.draw(first, CONTROLS["gradcam_layer"], options=convs, index=len(convs) - 1,
                      format_func=lambda info: info.label,
                      help=_("For the CAM methods; the last conv layer by default: the most semantic maps."))  # fmt: skip
target = controls.draw(second, CONTROLS["gradcam_class"], options=[None, *range(len(names))],
                       format_func=lambda i: _("Predicted class") if i is None else names[i])  # fmt: skip
colormap = controls.draw(third, CONTROLS["gradcam_colormap"], options=list(COLORMAPS))
chosen_methods = controls.draw(st, CONTROLS["gradcam_methods"], options=method_keys(), format_func=label)
opacity = controls.draw(first, CONTROLS["gradcam_opacity"])


def options_for(key: str) -> dict | None:
    """The chosen conv layer for the methods that take one."""
    return {"layer_name": layer.name} if method(key).needs_conv_layer else None


def remembered(what: tuple, compute: Callable[[], Any]) -> Any:
    """A map computed once for this model, image and layer: moving a slider only redraws the overlays."""
    inputs = memo.view_key(run, image, layer.name)
    if run.path is not None:
        return server.shared_result((str(run.path), run.config.created), inputs, what, compute)
    kept = memo.remembered("gradcam", inputs, dict)
    if what not in kept:
        kept[what] = compute()
    return kept[what]


def explain(key: str, class_index: int | None):
    return remembered(("map", key, class_index), lambda: saliency_map(
        run.model, image, key, class_index, scale=scale, options=options_for(key)))


def overlay(heatmap):
    return overlay_heatmap(image, heatmap, opacity, colormap)[1]


results = {key: explain(key, target) for key in chosen_methods}
st.image(image, caption=caption, width=160)
for row in range(0, len(chosen_methods), PER_ROW):
    for column, key in zip(st.columns(PER_ROW), chosen_methods[row : row + PER_ROW]):
        result = results[key]
        chosen = f"{names[result.class_index]} ({result.probabilities[result.class_index]:.0%})"
        column.image(overlay(result.heatmap), width="stretch",
                     caption=_("{method} for {chosen}").format(method=label(key), chosen=chosen))
        column.caption(_(method(key).how))

st.subheader(_("Sanity check: does the map depend on what the model learned?"))
st.caption(_(
    "The same method on a copy of the model whose top layers got random weights. A map that barely "
    "changes (rank correlation near 1) shows the image more than the model's reasoning."
))
checked = st.selectbox(_("Method to check"), method_keys(), index=method_keys().index(DEFAULT_METHOD),
                       format_func=label, key="gradcam_sanity_method")


def show_sanity_check() -> None:
    """The check builds and traces a randomised copy of the model: it runs when the student asks."""
    check = remembered(("sanity", checked, target), lambda: sanity_check(
        run.model, image, checked, target, scale=scale, options=options_for(checked)))
    left, middle, right = st.columns(3)
    left.image(overlay(check.trained.heatmap), caption=_("Trained model"), width="stretch")
    middle.image(overlay(check.randomised.heatmap), width="stretch",
                 caption=_("Random weights in {layers}").format(layers=", ".join(check.layers)))
    right.metric(_("Rank correlation (Spearman)"), f"{check.correlation:.2f}")
    if check.correlation < LOW_CORRELATION:
        right.success(_("The map changed: it depends on the learned weights."))
    else:
        right.warning(_("The map barely changed: be careful reading it as the model's reasoning."))


if st.toggle(_("Run the sanity check"), key="gradcam_sanity"):
    show_sanity_check()

if chosen_methods:
    shown = chosen_methods[0]
    st.subheader(_("Top 3 classes ({method})").format(method=label(shown)))
    for column, (index, probability) in zip(st.columns(3), top_classes(results[shown].probabilities)):
        column.image(overlay(explain(shown, index).heatmap), caption=f"{names[index]}: {probability:.1%}",
                     width="stretch")
