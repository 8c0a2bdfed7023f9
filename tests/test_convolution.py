"""The convolution explained by hand must equal what the Keras layer really computes."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.explain.convolution import ConvExplainError, channel_breakdown, conv_step
from cnnviz.explain.layer_math import pool_step, relu_table, softmax_step
from cnnviz.explain.receptive_field import field_of, receptive_fields
from cnnviz.explain.sandbox import KERNEL_PRESETS, OutputSize, convolve

TOLERANCE = 1e-4


def conv_model(size: int, channels: int, padding: str, stride: int, activation: str = "relu"):
    """Two Conv2D layers (3x3 and 5x3), a pooling layer and a softmax head, seeded."""
    import keras

    keras.utils.set_random_seed(7)
    inputs = keras.Input((size, size, channels))
    x = keras.layers.Conv2D(4, 3, strides=stride, padding=padding, activation=activation, name="first")(inputs)
    x = keras.layers.Conv2D(6, (5, 3), strides=stride, padding=padding, activation="tanh", name="second")(x)
    x = keras.layers.MaxPooling2D(2, padding="same", name="pool")(x)
    outputs = keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(x))
    return keras.Model(inputs, outputs)


def random_positions(model, layer: str, count: int, rng: np.random.Generator):
    height, width, channels = model.get_layer(layer).output.shape[1:]
    for _ in range(count):
        yield int(rng.integers(channels)), int(rng.integers(width)), int(rng.integers(height))


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("channels", [1, 3])
def test_hand_computed_value_equals_the_layer_output(padding, stride, channels):
    rng = np.random.default_rng(stride * 10 + channels)
    size = 15 if stride == 2 else 12  # odd sizes exercise TensorFlow's uneven "same" padding
    model = conv_model(size, channels, padding, stride, activation="elu")
    image = rng.integers(0, 256, (size, size, channels), dtype=np.uint8)
    for layer in ("first", "second"):
        for channel, x, y in random_positions(model, layer, 12, rng):
            step = conv_step(model, image, layer, channel, x, y)
            assert abs(step.value - step.model_value) <= TOLERANCE, (layer, channel, x, y)
            assert step.window.shape == step.kernel.shape
            assert step.pre_activation == pytest.approx(step.channel_sums.sum() + step.bias)


def test_the_elementary_view_sums_channels_into_the_model_output():
    model = conv_model(10, 3, "same", 1)
    image = np.random.default_rng(3).integers(0, 256, (10, 10, 3), dtype=np.uint8)
    view = channel_breakdown(model, image, "second", 2)
    assert view.contributions.shape == (4, 10, 10) and view.kernels.shape == (4, 5, 3)
    np.testing.assert_allclose(view.pre_activation, view.contributions.sum(axis=0) + view.bias)
    np.testing.assert_allclose(view.output, view.model_output, atol=TOLERANCE)


def test_padding_reads_zeros_outside_the_image():
    model = conv_model(8, 1, "same", 1)
    image = np.full((8, 8, 1), 255, dtype=np.uint8)
    corner = conv_step(model, image, "first", 0, 0, 0)
    assert corner.origin == (-1, -1)
    assert (corner.window[0, :, 0] == 0).all() and (corner.window[:, 0, 0] == 0).all()
    assert corner.window[1, 1, 0] == pytest.approx(1.0)


@pytest.mark.parametrize("functional", [True, False])
def test_conv_inside_a_nested_base_and_the_batch_norm_after_it(functional):
    """A keras.applications base nested inside the model: its convs are explained too."""
    import keras

    keras.utils.set_random_seed(3)
    base = keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=(32, 32, 3))
    head = [keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(4, activation="softmax")]
    if functional:
        inputs = keras.Input((32, 32, 3))
        model = keras.Model(inputs, head[1](head[0](base(inputs))))
    else:
        model = keras.Sequential([keras.Input((32, 32, 3)), base, *head])
    image = np.random.default_rng(5).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    convs = [layer.name for layer in base.layers if type(layer) is keras.layers.Conv2D]
    for name in (convs[0], convs[5], convs[-1]):  # stride 2 first, a 1x1 projection, the last
        step = conv_step(model, image, name, 1, 0, 0)
        assert abs(step.value - step.model_value) <= TOLERANCE
        assert step.followed_by == "BatchNormalization"


def test_bad_layer_channel_or_position_get_clear_errors():
    model = conv_model(8, 1, "valid", 1)
    image = np.zeros((8, 8, 1), dtype=np.uint8)
    with pytest.raises(ConvExplainError, match="No layer named"):
        conv_step(model, image, "nope", 0, 0, 0)
    with pytest.raises(ConvExplainError, match="not a Conv2D"):
        conv_step(model, image, "pool", 0, 0, 0)
    with pytest.raises(ConvExplainError, match="Channel 4 does not exist"):
        conv_step(model, image, "first", 4, 0, 0)
    with pytest.raises(ConvExplainError, match="outside the output map"):
        conv_step(model, image, "first", 0, 6, 0)


def test_pooling_and_softmax_by_hand_match_the_model():
    model = conv_model(11, 3, "same", 1)
    image = np.random.default_rng(9).integers(0, 256, (11, 11, 3), dtype=np.uint8)
    for x, y in [(0, 0), (5, 5), (2, 4)]:  # 11 -> 6 with "same": the last window hangs over
        step = pool_step(model, image, "pool", 3, x, y)
        assert step.value == pytest.approx(step.model_value, abs=TOLERANCE)
    assert np.isnan(pool_step(model, image, "pool", 0, 5, 5).window).any()
    soft = softmax_step(model, image)
    np.testing.assert_allclose(soft.probabilities, soft.model_probabilities, atol=TOLERANCE)
    assert soft.probabilities.sum() == pytest.approx(1.0)
    values, rectified = relu_table(np.array([-2.0, 0.5]))
    assert rectified.tolist() == [0.0, 0.5] and values.tolist() == [-2.0, 0.5]


def textbook_field(layers: list[tuple[int, int]]) -> int:
    """r = 1 + sum((k_l - 1) * prod(s_1..s_{l-1})): the receptive field of a chain of windows."""
    size, jump = 1, 1
    for kernel, stride in layers:
        size, jump = size + (kernel - 1) * jump, jump * stride
    return size


@pytest.mark.parametrize(
    "architecture, shape, chain",
    [
        ("mnist_dlwp", (28, 28, 1), [(3, 1), (2, 2), (3, 1), (2, 2), (3, 1)]),
        ("mnist_basic", (28, 28, 1), [(5, 1), (2, 2), (5, 1), (2, 2)]),
        ("cats_dogs", (150, 150, 3), [(3, 1), (2, 2)] * 4),
        ("animals10", (150, 150, 3), [(3, 1), (2, 2)] * 5),
    ],
)
def test_receptive_fields_of_seed_models_follow_the_textbook_formula(architecture, shape, chain):
    from cnnviz.models.architectures import build_model

    model = build_model(architecture, shape, 10)
    steps = receptive_fields(model)
    assert [(s.kernel, s.stride) for s in steps] == chain
    assert [s.size for s in steps] == [textbook_field(chain[: i + 1]) for i in range(len(chain))]
    last = field_of(model, steps[-1].layer)
    centre = last.region(0, 0, shape[:2])
    assert centre[0] == 0 and centre[1] == 0  # unit (0, 0) starts at the image's corner


def test_output_size_formula_and_impossible_combinations():
    assert OutputSize(28, 3, 1, 1).value == 28 and OutputSize(28, 3, 1, 1).fits
    assert OutputSize(28, 3, 0, 1).formula() == "(28 - 3 + 2×0) / 1 + 1 = 26"
    odd = OutputSize(28, 3, 0, 2)  # (28 - 3) / 2 + 1 = 13.5: the last column is dropped
    assert not odd.fits and odd.value == 13 and "13.50" in odd.formula()
    assert not OutputSize(2, 5, 0, 1).fits and OutputSize(2, 5, 0, 1).value == 0


def test_sandbox_convolution_matches_keras_conv2d():
    import keras

    image = np.random.default_rng(1).random((9, 9))
    for kernel_name, padding, stride in [("vertical_edges", 1, 1), ("sharpen", 0, 2), ("blur", 1, 2)]:
        kernel = KERNEL_PRESETS[kernel_name]
        ours = convolve(image, kernel, padding, stride)
        layer = keras.layers.Conv2D(1, 3, strides=stride, use_bias=False)
        padded = np.pad(image, padding)[np.newaxis, ..., np.newaxis].astype("float32")
        layer.build(padded.shape)
        layer.set_weights([kernel[..., np.newaxis, np.newaxis]])
        np.testing.assert_allclose(ours, np.asarray(layer(padded))[0, ..., 0], atol=1e-5)
        assert ours.shape[0] == OutputSize(9, 3, padding, stride).value
    with pytest.raises(ValueError, match="larger than the padded image"):
        convolve(np.zeros((2, 2)), KERNEL_PRESETS["blur"], 0, 1)


def test_conv_step_command_prints_the_hand_computed_value(tiny_run, small_shapes, tmp_path, capsys):
    import json

    from PIL import Image

    from cnnviz.cli.main import main
    from cnnviz.runs.store import save_run

    run = save_run(tiny_run, tmp_path / "runs")
    image = tmp_path / "shape.png"
    Image.fromarray(small_shapes.test.x[0]).save(image)
    common = ["conv-step", str(image), "--run", str(run.path)]
    assert main([*common, "--layer", "block2_conv", "--channel", "3", "--x", "5", "--y", "2"]) == 0
    step = json.loads(capsys.readouterr().out)
    assert {"layer", "channel", "x", "y", "window_shape", "sum", "bias", "pre_activation", "value",
            "model_value"} <= step.keys()
    assert step["window_shape"] == [3, 3, 8] and (step["x"], step["y"], step["channel"]) == (5, 2, 3)
    assert abs(step["value"] - step["model_value"]) <= TOLERANCE
    for bad, message in [(["--layer", "nope"], "No layer named"), (["--layer", "block1_conv", "--channel", "99"],
                         "Channel 99 does not exist"), (["--layer", "block1_conv", "--x", "64"], "outside")]:
        assert main([*common, *bad]) == 2
        assert message in capsys.readouterr().err
