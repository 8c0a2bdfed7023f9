"""Convolution page: what one Conv2D layer computes, on the student's own model and image."""

import numpy as np
import streamlit as st

from cnnviz.explain.activations import feature_maps
from cnnviz.explain.conv_views import image_tile, map_tile, number_grid, outline, softmax_figure, window_box
from cnnviz.explain.convolution import (
    ConvExplainError, channel_breakdown, conv_step, layer_kernel, plain_conv_layers
)  # fmt: skip
from cnnviz.explain.layer_math import pool_step, softmax_step
from cnnviz.explain.receptive_field import field_of, receptive_fields
from cnnviz.explain.sandbox import KERNEL_PRESETS, OutputSize, convolve, crop_centre, to_gray
from cnnviz.models.layers import inspectable_layers
from pages import _session

SHOWN_INPUT_CHANNELS = 6
PLAY_INTERVAL_S = 0.25
KERNEL_LABELS = {
    "model": "this layer's filter (input channel 0)", "vertical_edges": "vertical edges (Sobel)",
    "horizontal_edges": "horizontal edges (Sobel)", "blur": "blur (box)", "sharpen": "sharpen",
    "identity": "identity",
}

st.title("🧮 Convolution")
st.caption(
    "What a convolution layer computes, number by number, with your model's own weights on your image. "
    "Each output value is a window of the input times the kernel, summed, plus a bias, through the activation."
)
run, layers, image, caption = _session.pick_model_layers_and_image(
    "conv", plain_conv_layers, "This model has no Conv2D layer to explain."
)
model = run.model
layer = st.selectbox("Conv layer", layers, format_func=lambda info: info.label, key="conv_layer")
out_h, out_w, out_c = layer.shape
channel = st.number_input("Output channel (filter)", 0, out_c - 1, 0, key="conv_channel")
tabs = st.tabs(["Overview", "One channel", "Formula", "Pooling and softmax", "Sandbox", "Receptive field"])


def show_numbers(container, values: np.ndarray, title: str, decimals: int = 2, *, key: str) -> None:
    """A small matrix with every number written in its cell, at its own size."""
    container.plotly_chart(number_grid(values, title, decimals), width="content", key=key)


def overview() -> None:
    st.caption("The network from input to output: the first maps of each layer, with their shapes.")
    maps = feature_maps(model, image)
    st.image(image_tile(image, 96), caption=f"input {caption}")
    for info in inspectable_layers(model):
        columns = st.columns([2, 1, 1, 1, 1])
        columns[0].markdown(f"**{info.name}** · {info.kind} · {'×'.join(map(str, info.shape))}")
        for slot, index in enumerate(range(min(4, info.shape[2])), start=1):
            columns[slot].image(map_tile(maps[info.name][..., index], 72), caption=f"#{index}")


def one_channel() -> None:
    view = channel_breakdown(model, image, layer.name, int(channel))
    st.caption(
        f"Output channel {channel} = the sum over the {len(view.inputs)} input channels of "
        "(input map convolved with its kernel slice), plus the bias, through the activation."
    )
    for index in range(min(SHOWN_INPUT_CHANNELS, len(view.inputs))):
        left, middle, right = st.columns(3)
        left.image(map_tile(view.inputs[index]), caption=f"input channel {index}")
        show_numbers(middle, view.kernels[index], f"kernel slice {index}", key=f"conv_kernel_{index}")
        right.image(map_tile(view.contributions[index]), caption=f"input {index} ∗ kernel {index}")
    if len(view.inputs) > SHOWN_INPUT_CHANNELS:
        st.info(f"Showing {SHOWN_INPUT_CHANNELS} of {len(view.inputs)} input channels; the sum uses them all.")
    left, middle, right = st.columns(3)
    left.image(map_tile(view.pre_activation), caption=f"sum of all channels + bias ({view.bias:.4f})")
    middle.image(map_tile(view.output), caption="after the activation (computed by hand)")
    right.image(map_tile(view.model_output), caption="the model's own output")
    gap = float(np.abs(view.output - view.model_output).max())
    st.success(f"Largest difference between the hand computation and the model: {gap:.2e}")


def formula_position() -> tuple[int, int]:
    """Sliders for the output position; while playing, the position advances by itself."""
    if st.session_state.get("conv_play"):
        _session.step_position("conv_x", "conv_y", out_w, out_h)
    left, right = st.columns(2)
    x = left.slider("Output x", 0, out_w - 1, key="conv_x") if out_w > 1 else 0
    y = right.slider("Output y", 0, out_h - 1, key="conv_y") if out_h > 1 else 0
    return int(x), int(y)


def formula() -> None:
    x, y = formula_position()
    step = conv_step(model, image, layer.name, int(channel), x, y)
    st.markdown(f"**Output position x={x}, y={y}**, channel {channel}: window at input "
                f"({step.origin[0]}, {step.origin[1]}), {step.window.shape[0]}×{step.window.shape[1]}.")
    io_channel = st.number_input("Input channel to show", 0, step.window.shape[2] - 1, 0, key="conv_in_channel")
    layer_input = channel_breakdown(model, image, layer.name, int(channel)).inputs[int(io_channel)]
    box = window_box(step.origin, step.window.shape)
    left, middle, right = st.columns([1.2, 1, 1])
    left.image(outline(map_tile(layer_input, 200), box, layer_input.shape), caption="the window on the input")
    show_numbers(middle, step.window[..., io_channel], "window", key="conv_window")
    show_numbers(right, step.kernel[..., io_channel], "kernel", key="conv_kernel")
    products = step.products[..., io_channel]
    show_numbers(st, products, "window × kernel, element by element", 3, key="conv_products")
    st.markdown(
        f"sum over {step.window.shape[2]} channel(s) = **{step.total:.4f}** · + bias {step.bias:.4f} = "
        f"**{step.pre_activation:.4f}** · {step.activation} → **{step.value:.4f}** "
        f"(the model says {step.model_value:.4f})"
    )
    if step.followed_by:
        st.info(f"A {step.followed_by} layer follows: it rescales this value before the next layer.")


def pooling_and_softmax() -> None:
    pools = [info for info in inspectable_layers(model) if info.kind == "pooling"]
    if pools:
        pool = st.selectbox("Pooling layer", pools, format_func=lambda info: info.label, key="conv_pool")
        left, right = st.columns(2)
        px = left.number_input("Pooling output x", 0, pool.shape[1] - 1, 0, key="conv_pool_x")
        py = right.number_input("Pooling output y", 0, pool.shape[0] - 1, 0, key="conv_pool_y")
        pc = min(int(channel), pool.shape[2] - 1)
        step = pool_step(model, image, pool.name, pc, int(px), int(py))
        show_numbers(st, step.window, f"{step.kind} pooling window (channel {pc})", key="conv_pool_window")
        st.markdown(f"{step.kind} of the window = **{step.value:.4f}** (the model says {step.model_value:.4f})")
    try:
        soft = softmax_step(model, image)
    except ConvExplainError as error:
        st.info(str(error))
        return
    classes = len(soft.logits)
    names = run.display_names if len(run.display_names) == classes else [str(i) for i in range(classes)]
    st.plotly_chart(softmax_figure(names, soft.logits, soft.probabilities), key="conv_softmax")
    st.caption("Softmax: exp(logit) for every class, each divided by their sum, so the scores add up to 1.")


def sandbox() -> None:
    left, right = st.columns(2)
    side = left.slider("Input size (crop of the image)", 4, 16, 8, key="conv_sb_size")
    kernels = {"model": layer_kernel(model, layer.name, int(channel)), **KERNEL_PRESETS}
    kernel_name = left.selectbox("Kernel", list(kernels), key="conv_sb_kernel", format_func=KERNEL_LABELS.get)
    padding = right.slider("Padding", 0, 3, 0, key="conv_sb_padding")
    stride = right.slider("Stride", 1, 3, 1, key="conv_sb_stride")
    crop = to_gray(crop_centre(image, side))
    kernel = kernels[kernel_name]
    size = OutputSize(crop.shape[0], kernel.shape[0], padding, stride)
    (st.success if size.fits else st.warning)(
        f"Output size: {size.formula()}"
        + ("" if size.fits else " — not a whole number: the last pixels are dropped.")
    )
    if size.value >= 1:
        a, b = st.columns(2)
        show_numbers(a, crop, "input", key="conv_sb_input")
        show_numbers(b, convolve(crop, kernel, padding, stride), "output", key="conv_sb_output")


def receptive_field() -> None:
    steps = receptive_fields(model)
    step = field_of(model, layer.name)
    left, right = st.columns(2)
    ux = left.slider("Unit x", 0, out_w - 1, 0, key="conv_rf_x") if out_w > 1 else 0
    uy = right.slider("Unit y", 0, out_h - 1, 0, key="conv_rf_y") if out_h > 1 else 0
    region = step.region(int(ux), int(uy), image.shape[:2])
    st.image(outline(image_tile(image, 240), region, image.shape[:2]),
             caption=f"unit ({ux}, {uy}) of {layer.name} sees a {step.size}×{step.size} region of the input")
    st.dataframe([{"layer": s.layer, "kernel": s.kernel, "stride": s.stride, "receptive field": s.size}
                  for s in steps], hide_index=True)


with tabs[0]:
    overview()
with tabs[1]:
    one_channel()
with tabs[2]:
    st.toggle("▶ Play", key="conv_play", help="Slides the window across the output, about 4 positions a second.")
    st.fragment(formula, run_every=PLAY_INTERVAL_S if st.session_state.get("conv_play") else None)()
with tabs[3]:
    pooling_and_softmax()
with tabs[4]:
    sandbox()
with tabs[5]:
    receptive_field()
