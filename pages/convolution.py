"""Convolution page: what one Conv2D layer computes, on the student's own model and image."""

# ruff: noqa: E402
from app.page import app_page

app_page()  # first, before the imports: the whole app when opened by its own URL, then Keras (app/page.py)

import numpy as np
import streamlit as st

from app import controls, memo, pickers
from cnnviz.data.class_names import display_names
from cnnviz.explain.activations import feature_maps
from cnnviz.explain.conv_views import image_tile, map_tile, number_grid, outline, softmax_figure, window_box
from cnnviz.explain.convolution import (
    ConvExplainError, LayerIO, channel_breakdown, conv_step, layer_io, layer_kernel, plain_conv_layers
)  # fmt: skip
from cnnviz.explain.layer_math import pool_step, relu_table, softmax_step
from cnnviz.explain.receptive_field import field_of, receptive_fields
from cnnviz.explain.sandbox import KERNEL_PRESETS, OutputSize, convolve, crop_centre, to_gray
from cnnviz.i18n import N_, _
from cnnviz.lesson.pages import page_controls
from cnnviz.models.layers import inspectable_layers
from cnnviz.text import plain

SHOWN_INPUT_CHANNELS = 6
PLAY_INTERVAL_S = 0.25
KERNEL_LABELS = {
    "model": N_("this layer's filter (input channel 0)"), "vertical_edges": N_("vertical edges (Sobel)"),
    "horizontal_edges": N_("horizontal edges (Sobel)"), "blur": N_("blur (box)"), "sharpen": N_("sharpen"),
    "identity": N_("identity"),
}  # fmt: skip
POOL_KINDS = {"max": N_("max"), "average": N_("average")}
TABS = (N_("Overview"), N_("One channel"), N_("Formula"), N_("ReLU, pooling and softmax"), N_("Sandbox"),
        N_("Receptive field"))  # fmt: skip

st.title(_("🧮 Convolution"))
st.caption(_(
    "What a convolution layer computes, number by number, with your model's own weights on your image. "
    "Each output value is a window of the input times the kernel, summed, plus a bias, through the activation."
))
run, layers, photo, caption = pickers.pick_model_layers_and_image(
    "conv", plain_conv_layers, _("This model has no Conv2D layer to explain.")
)
model, image, scale = run.model, photo.image, run.config.preprocessing.scale
CONTROLS = page_controls("convolution")
layer = controls.draw(st, CONTROLS["conv_layer"], options=layers, format_func=lambda info: info.label)
out_h, out_w, out_c = layer.shape
channel = int(controls.draw(st, CONTROLS["conv_channel"], max_value=out_c - 1))
tabs = st.tabs([_(title) for title in TABS])


def show_numbers(container, values: np.ndarray, title: str, decimals: int = 2, *, key: str) -> None:
    """A small matrix with every number written in its cell, at its own size."""
    container.plotly_chart(number_grid(values, title, decimals), width="content", key=key)


def overview() -> None:
    st.caption(_("The network from input to output: the first maps of each layer, with their shapes."))
    maps = feature_maps(model, image, scale)
    st.image(image_tile(image, 96), caption=_("input: {caption}").format(caption=caption))
    for info in inspectable_layers(model):
        columns = st.columns([2, 1, 1, 1, 1])
        columns[0].markdown(f"**{plain(info.name)}** · {info.kind} · {'×'.join(map(str, info.shape))}")
        for slot, index in enumerate(range(min(4, info.shape[2])), start=1):
            columns[slot].image(map_tile(maps[info.name][..., index], 72), caption=f"#{index}")


def one_channel() -> None:
    view = channel_breakdown(model, image, layer.name, channel, scale)
    st.caption(_(
        "Output channel {channel} = the sum over the {count} input channels of (input map convolved with its "
        "kernel slice), plus the bias, through the activation."
    ).format(channel=channel, count=len(view.inputs)))
    for index in range(min(SHOWN_INPUT_CHANNELS, len(view.inputs))):
        left, middle, right = st.columns(3)
        left.image(map_tile(view.inputs[index]), caption=_("input channel {index}").format(index=index))
        show_numbers(middle, view.kernels[index], _("kernel slice {index}").format(index=index),
                     key=f"conv_kernel_{index}")
        product = _("input {index} ∗ kernel {index}").format(index=index)
        right.image(map_tile(view.contributions[index]), caption=product)
    if len(view.inputs) > SHOWN_INPUT_CHANNELS:
        st.info(_("Showing {shown} of {count} input channels; the sum uses them all.").format(
            shown=SHOWN_INPUT_CHANNELS, count=len(view.inputs)))
    left, middle, right = st.columns(3)
    summed = _("sum of all channels + bias ({bias:.4f})").format(bias=view.bias)
    left.image(map_tile(view.pre_activation), caption=summed)
    middle.image(map_tile(view.output), caption=_("after the activation (computed by hand)"))
    right.image(map_tile(view.model_output), caption=_("the model's own output"))
    gap = float(np.abs(view.output - view.model_output).max())
    st.success(_("Largest difference between the hand computation and the model: {gap:.2e}").format(gap=gap))


def step_position(x_key: str, y_key: str, width: int, height: int) -> None:
    """Move a pair of (x, y) position widgets one step on, row by row, wrapping at the end."""
    index = st.session_state.get(y_key, 0) * width + st.session_state.get(x_key, 0) + 1
    st.session_state[y_key], st.session_state[x_key] = divmod(index % (width * height), width)


def formula_position() -> tuple[int, int]:
    """Sliders for the output position; while playing, the position advances by itself."""
    if st.session_state.get("conv_play"):
        step_position("conv_x", "conv_y", out_w, out_h)
    left, right = st.columns(2)
    x = controls.draw(left, CONTROLS["conv_x"], max_value=out_w - 1) if out_w > 1 else 0
    y = controls.draw(right, CONTROLS["conv_y"], max_value=out_h - 1) if out_h > 1 else 0
    return int(x), int(y)


def layer_input_output() -> LayerIO:
    """The layer's input and output for this image, from one forward pass per model, image and layer:
    Play only moves the window, so its ticks need no forward pass."""
    inputs = memo.view_key(run, image, layer.name)
    return memo.remembered("convolution", inputs, lambda: layer_io(model, layer.name, image, scale))


def formula() -> None:
    x, y = formula_position()
    io = layer_input_output()
    step = conv_step(model, image, layer.name, channel, x, y, scale, io)
    st.markdown(_(
        "**Output position x={x}, y={y}**, channel {channel}: window at input ({left}, {top}), {height}×{width}."
    ).format(x=x, y=y, channel=channel, left=step.origin[0], top=step.origin[1],
             height=step.window.shape[0], width=step.window.shape[1]))
    shown = int(controls.draw(st, CONTROLS["conv_in_channel"], max_value=step.window.shape[2] - 1))
    layer_input = io.input[..., shown]
    box = window_box(step.origin, step.window.shape)
    left, middle, right = st.columns([1.2, 1, 1])
    left.image(outline(map_tile(layer_input, 200), box, layer_input.shape), caption=_("the window on the input"))
    show_numbers(middle, step.window[..., shown], _("window"), key="conv_window")
    show_numbers(right, step.kernel[..., shown], _("kernel"), key="conv_kernel")
    show_numbers(st, step.products[..., shown], _("window × kernel, element by element"), 3, key="conv_products")
    st.markdown(_(
        "sum over {channels} channel(s) = **{total:.4f}** · + bias {bias:.4f} = **{pre:.4f}** · {activation} → "
        "**{value:.4f}** (the model says {model_value:.4f})"
    ).format(channels=step.window.shape[2], total=step.total, bias=step.bias, pre=step.pre_activation,
             activation=step.activation, value=step.value, model_value=step.model_value))
    if step.followed_by:
        st.info(_("A {layer} layer follows: it rescales this value before the next layer.").format(
            layer=step.followed_by))


def pooling() -> None:
    pools = [info for info in inspectable_layers(model) if info.kind == "pooling"]
    if not pools:
        st.info(_("This model has no pooling layer."))
        return
    st.caption(_(
        "Pooling shrinks each map: every output value is the largest (max) or the mean (average) of a small "
        "window, so the next layer sees a coarser, cheaper map that shifts less when the object moves."
    ))
    pool = controls.draw(st, CONTROLS["conv_pool"], options=pools, format_func=lambda info: info.label)
    left, right = st.columns(2)
    x = int(controls.draw(left, CONTROLS["conv_pool_x"], max_value=pool.shape[1] - 1))
    y = int(controls.draw(right, CONTROLS["conv_pool_y"], max_value=pool.shape[0] - 1))
    step = pool_step(model, image, pool.name, min(channel, pool.shape[2] - 1), x, y, scale)
    show_numbers(st, step.window, _("{kind} pooling window (channel {channel})").format(
        kind=_(POOL_KINDS[step.kind]), channel=step.channel), key="conv_pool_window")
    st.markdown(_("{kind} of the window = **{value:.4f}** (the model says {model_value:.4f})").format(
        kind=_(POOL_KINDS[step.kind]), value=step.value, model_value=step.model_value))


def softmax() -> None:
    try:
        soft = softmax_step(model, image, scale)
    except ConvExplainError as error:
        st.info(str(error))
        return
    classes = len(soft.logits)
    named = len(run.display_names) == classes
    names = display_names(run.display_names) if named else [str(i) for i in range(classes)]
    st.plotly_chart(softmax_figure(names, soft.logits, soft.probabilities), key="conv_softmax")
    st.caption(_("Softmax: exp(logit) for every class, each divided by their sum, so the scores add up to 1."))
    st.dataframe([
        {_("class"): name, _("logit"): round(float(logit), 4), _("exp(logit - max)"): round(float(power), 4),
         _("probability"): round(float(share), 4), _("the model's probability"): round(float(model), 4)}
        for name, logit, power, share, model in zip(
            names, soft.logits, soft.exponentials, soft.probabilities, soft.model_probabilities
        )
    ], hide_index=True)  # fmt: skip


def relu() -> None:
    st.caption(_(
        "ReLU keeps every positive value and turns every negative one into 0: max(0, x). Left, this channel "
        "before its activation; right, after ReLU (dark: zero)."
    ))
    view = channel_breakdown(model, image, layer.name, channel, scale)
    before, after = relu_table(view.pre_activation)
    left, right = st.columns(2)
    span = _("before: from {low:.3f} to {high:.3f}").format(low=before.min(), high=before.max())
    left.image(map_tile(before), caption=span)
    right.image(map_tile(after), caption=_("after ReLU: {share:.0%} of the values became 0").format(
        share=float((before < 0).mean())))


def sandbox() -> None:
    st.caption(_(
        "Try the settings of a convolution on a small crop of your image: a bigger kernel or stride makes the "
        "output smaller, padding adds a border of zeros so the kernel also fits at the edges."
    ))
    left, right = st.columns(2)
    side = controls.draw(left, CONTROLS["conv_sb_size"])
    kernels = {"model": layer_kernel(model, layer.name, channel), **KERNEL_PRESETS}
    name = controls.draw(left, CONTROLS["conv_sb_kernel"], options=list(kernels), format_func=lambda k: _(KERNEL_LABELS[k]))
    padding = controls.draw(right, CONTROLS["conv_sb_padding"])
    stride = controls.draw(right, CONTROLS["conv_sb_stride"])
    crop, kernel = to_gray(crop_centre(image, side)), kernels[name]
    size = OutputSize(crop.shape[0], kernel.shape[0], padding, stride)
    if size.fits:
        st.success(_("Output size: {formula}").format(formula=size.formula()))
    else:
        st.warning(_("Output size: {formula}: not a whole number, so the last pixels are dropped.").format(
            formula=size.formula()))
    if size.value >= 1:
        left, right = st.columns(2)
        show_numbers(left, crop, _("input"), key="conv_sb_input")
        show_numbers(right, convolve(crop, kernel, padding, stride), _("output"), key="conv_sb_output")


def receptive_field() -> None:
    st.caption(_(
        "Each unit of a deeper layer sees a bigger part of the input: every kernel adds its size, and every "
        "stride or pooling multiplies how far apart neighbouring units look."
    ))
    field = field_of(model, layer.name)
    left, right = st.columns(2)
    x = controls.draw(left, CONTROLS["conv_rf_x"], max_value=out_w - 1) if out_w > 1 else 0
    y = controls.draw(right, CONTROLS["conv_rf_y"], max_value=out_h - 1) if out_h > 1 else 0
    region = field.region(int(x), int(y), image.shape[:2])
    st.image(outline(image_tile(image, 240), region, image.shape[:2]), caption=_(
        "unit ({x}, {y}) of {layer} sees a {size}×{size} region of the input"
    ).format(x=x, y=y, layer=layer.name, size=field.size))
    st.dataframe([
        {_("layer"): s.layer, _("kernel"): s.kernel, _("stride"): s.stride, _("receptive field"): s.size}
        for s in receptive_fields(model)
    ], hide_index=True)  # fmt: skip


with tabs[0]:
    overview()
with tabs[1]:
    one_channel()
with tabs[2]:
    controls.draw(st, CONTROLS["conv_play"], help=_("Slides the window across the output, about 4 positions a second."))
    st.fragment(formula, run_every=PLAY_INTERVAL_S if st.session_state.get("conv_play") else None)()
with tabs[3]:
    relu()
    pooling()
    softmax()
with tabs[4]:
    sandbox()
with tabs[5]:
    receptive_field()
