"""The architecture registry, transfer models and the model summary: real builds, real counts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cnnviz.models.architectures import ARCHITECTURES, InputTooSmall, build_model, list_architectures
from cnnviz.models.info import explain_parameters, summary_rows, totals
from cnnviz.models.transfer import WeightsUnavailable, keras_weights_dir

# name, the seed's input shape, classes, total parameters, non-trainable parameters
SEED_COUNTS = [
    ("animals10", (150, 150, 3), 10, 427_782, 992),
    ("weather_small", (250, 250, 3), 4, 14_803_780, 0),
    ("weather_deep", (250, 250, 3), 4, 10_648_772, 0),
    ("weather_bn", (250, 250, 3), 4, 1_375_396, 1_920),
    ("mnist_dlwp", (28, 28, 1), 10, 93_322, 0),
    ("mnist_basic", (28, 28, 1), 10, 215_370, 0),
    ("cats_dogs", (150, 150, 3), 1, 3_453_121, 0),
    ("fashion", (28, 28, 1), 10, 5_259_594, 0),
    ("fashion_bn", (28, 28, 1), 10, 5_261_642, 1_024),
]
# seeds with valid convolutions need more than 32 pixels; they train at the smallest size that fits
TRAIN_SHAPES = {"weather_deep": (96, 96, 3), "cats_dogs": (64, 64, 3)}
TRANSFER = [name for name, entry in ARCHITECTURES.items() if entry.family == "transfer"]
SMALL_MODELS = [name for name in list_architectures() if name not in TRANSFER]


def train_one_step(model, classes: int) -> float:
    """Compile, train on one tiny random batch; return how far the trainable weights moved."""
    import keras

    rng = np.random.default_rng(0)
    x = rng.random((4, *model.input_shape[1:]), dtype=np.float32)
    y = np.arange(4) % classes
    model.compile(keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", run_eagerly=True)
    before = [w.numpy().copy() for w in model.trainable_weights]
    loss = model.train_on_batch(x, y)
    assert np.isfinite(loss)
    return max(float(np.abs(w.numpy() - b).max()) for w, b in zip(model.trainable_weights, before))


@pytest.mark.parametrize(("name", "shape", "classes", "total", "frozen"), SEED_COUNTS)
def test_seed_models_have_the_reports_parameter_counts(name, shape, classes, total, frozen):
    model = build_model(name, shape, classes)
    assert totals(model) == {"total": total, "trainable": total - frozen, "non_trainable": frozen}
    assert model.count_params() == total
    assert model.output_shape == (None, classes)
    assert model.layers[-1].get_config()["activation"] == ("sigmoid" if classes == 1 else "softmax")
    assert ARCHITECTURES[name].input_shape == shape and ARCHITECTURES[name].num_classes == classes


def test_fashion_convolutions_hold_the_reported_counts():
    model = build_model("fashion", (28, 28, 1), 10)
    convs = [layer.count_params() for layer in model.layers if type(layer).__name__ == "Conv2D"]
    assert convs == [640, 36_928, 73_856, 295_168]
    variant = build_model("fashion_bn", (28, 28, 1), 10)
    kinds = [type(layer).__name__ for layer in variant.layers]
    assert kinds.count("BatchNormalization") == 4 and kinds.count("Dropout") == 4
    assert variant.get_layer("conv1").get_config()["kernel_initializer"]["class_name"] == "HeUniform"


@pytest.mark.parametrize("name", SMALL_MODELS)
def test_every_architecture_builds_small_and_trains_one_step(name):
    grayscale = ARCHITECTURES[name].input_shape[2] == 1
    shape = TRAIN_SHAPES.get(name, (28, 28, 1) if grayscale else (32, 32, 3))
    model = build_model(name, shape, 4)
    assert model.input_shape == (None, *shape) and model.output_shape == (None, 4)
    assert train_one_step(model, 4) > 0
    other = (32, 32, 3) if shape[2] == 1 else (28, 28, 1)
    if name not in TRAIN_SHAPES:  # the other small shape builds too
        assert build_model(name, other, 4).output_shape == (None, 4)


@pytest.mark.parametrize(("name", "shape"), [("cats_dogs", (32, 32, 3)), ("weather_deep", (28, 28, 1))])
def test_seed_too_big_for_small_images_says_so(name, shape):
    expected = rf"{name} cannot take {shape[0]}x{shape[1]} images.*smaller than"
    with pytest.raises(InputTooSmall, match=expected):
        build_model(name, shape, 4)


def test_seed_with_five_halvings_still_builds_at_28_pixels():
    model = build_model("animals10", (28, 28, 1), 10)
    assert model.get_layer("block5_pool").output.shape[1:3] == (1, 1)


def test_simple_adapts_its_depth_to_the_image_size():
    def blocks(shape):
        return sum(type(layer).__name__ == "Conv2D" for layer in build_model("simple", shape, 4).layers)

    assert blocks((64, 64, 3)) == 5 and blocks((28, 28, 1)) == 4 and blocks((8, 8, 3)) == 3
    assert list_architectures()[0] == "simple"


def test_custom_builder_follows_its_options():
    model = build_model(
        "custom", (32, 32, 3), 3, blocks=2, filters=8, filter_growth="constant", kernel_size=5,
        batch_norm=False, pooling="avg", dropout=0.25, dense_units=0, global_pooling=True,
    )
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds.count("AveragePooling2D") == 2 and "BatchNormalization" not in kinds
    assert [model.get_layer(f"block{i}_conv").kernel.shape for i in (1, 2)] == [(5, 5, 3, 8), (5, 5, 8, 8)]
    assert kinds[-3:] == ["GlobalAveragePooling2D", "Dropout", "Dense"]  # no hidden Dense
    doubled = build_model("custom", (32, 32, 3), 3, blocks=3, filters=4)
    assert [doubled.get_layer(f"block{i}_conv").filters for i in (1, 2, 3)] == [4, 8, 16]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"blocks": 5}, r"28x28 images are too small for 5 pooling blocks.*at most 4 blocks"),
        ({"blocks": 0}, "blocks must be between 1 and 5"),
        ({"kernel_size": 4}, "kernel size must be odd"),
        ({"pooling": "median"}, "pooling must be 'max' or 'avg'"),
        ({"dropout": 1.0}, "dropout must be at least 0 and below 1"),
        ({"filters": 256, "blocks": 4}, "over 1024 filters"),
    ],
)
def test_custom_builder_rejects_bad_options_with_a_clear_message(options, message):
    with pytest.raises(ValueError, match=message):
        build_model("custom", (28, 28, 1), 10, **options)


def test_unknown_architecture_is_a_value_error():
    with pytest.raises(ValueError, match="Unknown architecture 'resnet'"):
        build_model("resnet", (32, 32, 3), 4)


def test_model_config_follows_the_run_contract(small_shapes):
    from cnnviz.runs.schema import model_config

    config = model_config("custom", {"blocks": 2}, small_shapes).to_dict()  # spec from small_shapes.spec
    json.dumps(config)  # config.json must be plain JSON
    assert config["architecture"] == {"name": "custom", "options": {"blocks": 2}}
    assert config["input_shape"] == [32, 32, 3]
    assert config["class_names"] == small_shapes.class_names == config["dataset"]["class_names"]
    assert config["preprocessing"] == {"scale": 1 / 255, "color_mode": "rgb", "light_on_dark": False}
    assert config["dataset"]["spec"]["image_size"] == 32 and config["dataset"]["sizes"]["train"] == 280


# ---------------------------------------------------------------- transfer learning


def test_mobilenetv2_is_flat_frozen_and_cuttable_inside():
    import keras

    model = build_model("mobilenetv2", (32, 32, 3), 4, weights=None)
    assert not any(isinstance(layer, keras.Model) for layer in model.layers)
    inner = keras.Model(model.inputs, model.get_layer("block_13_expand").output)  # no "Graph disconnected"
    assert inner.predict(np.zeros((1, 32, 32, 3), np.float32), verbose=0).shape[0] == 1
    assert model.get_layer("Conv_1").output.shape[-1] == 1280
    head = ("dense1", "predictions")
    assert {layer.name for layer in model.layers if layer.trainable_weights} == set(head)
    assert totals(model)["trainable"] == sum(model.get_layer(name).count_params() for name in head)
    scaled = keras.Model(model.inputs, model.get_layer("to_minus1_1").output)
    black_and_white = np.stack([np.zeros((32, 32, 3)), np.ones((32, 32, 3))]).astype(np.float32)
    ends = scaled.predict(black_and_white, verbose=0)
    assert np.allclose(ends[0], -1) and np.allclose(ends[1], 1)
    assert train_one_step(model, 4) > 0


def test_vgg16_fine_tuning_unfreezes_from_the_chosen_layer_on_grayscale_small_input(tmp_path):
    import keras

    model = build_model("vgg16", (28, 28, 1), 3, weights=None, mode="fine_tune")
    model.save(tmp_path / "vgg16.keras")  # no Lambda layers: safe_mode loading accepts it
    loaded = keras.models.load_model(tmp_path / "vgg16.keras", safe_mode=True)
    def frozen(m):
        return [layer.name for layer in m.layers if layer.weights and not layer.trainable]

    assert frozen(loaded) == frozen(model) and "block4_conv3" in frozen(model)
    assert model.get_layer("gray_to_rgb").output.shape[-1] == 3
    assert tuple(model.get_layer("upsize").output.shape[1:]) == (32, 32, 3)
    assert model.get_layer("block5_conv1").trainable and model.get_layer("block5_conv3").trainable
    assert not model.get_layer("block4_conv3").trainable and not model.get_layer("block1_conv1").trainable
    keras.Model(model.inputs, model.get_layer("block5_conv3").output)  # Grad-CAM's cut
    later = build_model(
        "vgg16", (32, 32, 3), 3, weights=None, mode="fine_tune", fine_tune_from="block5_conv3"
    )
    assert not later.get_layer("block5_conv2").trainable and later.get_layer("block5_conv3").trainable
    with pytest.raises(ValueError, match="no layer 'block9_conv1'"):
        build_model("vgg16", (32, 32, 3), 3, weights=None, mode="fine_tune", fine_tune_from="block9_conv1")


def test_vgg16_imagenet_weights_take_rgb_input_like_the_caffe_preprocessing(monkeypatch):
    """Loading copies the reference weights; the model on RGB [0, 1] equals VGG16 on BGR - means."""
    import keras

    real_vgg16 = keras.applications.VGG16
    keras.utils.set_random_seed(1)
    reference = real_vgg16(include_top=False, weights=None, input_shape=(32, 32, 3))
    monkeypatch.setattr(
        keras.applications, "VGG16",
        lambda weights=None, **kw: reference if weights == "imagenet" else real_vgg16(weights=weights, **kw),
    )
    model = build_model("vgg16", (32, 32, 3), 2, weights="imagenet")
    image = np.random.default_rng(0).random((1, 32, 32, 3), dtype=np.float32)
    ours = keras.Model(model.inputs, model.get_layer("block3_conv1").output).predict(image, verbose=0)
    caffe = keras.applications.vgg16.preprocess_input(image * 255.0)
    theirs = keras.Model(reference.inputs, reference.get_layer("block3_conv1").output)
    theirs = theirs.predict(caffe, verbose=0)
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-3)


def test_failed_imagenet_download_names_the_keras_cache(monkeypatch):
    from keras.src.utils import file_utils

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure: no network")

    monkeypatch.setattr(file_utils, "get_file", offline)
    with pytest.raises(WeightsUnavailable) as caught:
        build_model("mobilenetv2", (32, 32, 3), 4, weights="imagenet")
    message = str(caught.value)
    assert str(keras_weights_dir()) in message and "random initialisation" in message
    assert keras_weights_dir().name == "models"


# ---------------------------------------------------------------- model_info


def test_explanations_show_the_arithmetic():
    model = build_model("animals10", (150, 150, 3), 10)
    conv = explain_parameters(model.get_layer("block1_conv"))
    assert conv.startswith("Conv2D: (3 x 3 x 3 + 1) x 256 = 7,168")
    assert explain_parameters(model.get_layer("dense1")).startswith("Dense: (256 + 1) x 100 = 25,700")
    batch_norm = explain_parameters(model.get_layer("block1_bn"))
    assert batch_norm.startswith("BatchNormalization: 4 x 256 = 1,024") and "(512)" in batch_norm
    assert "no parameters" in explain_parameters(model.get_layer("block1_pool"))
    assert "2x2" in explain_parameters(model.get_layer("block1_pool"))


def test_depthwise_and_separable_explanations():
    import keras

    depthwise = keras.layers.DepthwiseConv2D(3)
    depthwise.build((None, 8, 8, 32))
    assert explain_parameters(depthwise).startswith("DepthwiseConv2D: (3 x 3 + 1) x 32 x 1 = 320")
    separable = keras.layers.SeparableConv2D(64, 3)
    separable.build((None, 8, 8, 32))
    assert explain_parameters(separable).startswith(
        "SeparableConv2D: 3 x 3 x 32 (depthwise) + 32 x 64 (pointwise) + 64 = 2,400"
    )


def test_summary_rows_are_flat_and_add_up_even_for_a_nested_base():
    import keras

    base = keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=(32, 32, 3))
    base.trainable = False
    nested = keras.Sequential(
        [keras.Input((32, 32, 3)), base, keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3, name="head")]
    )
    rows = summary_rows(nested)
    assert sum(row["parameters"] for row in rows) == totals(nested)["total"] == nested.count_params()
    assert sum(row["trainable"] for row in rows) == totals(nested)["trainable"] == 1280 * 3 + 3
    conv = next(row for row in rows if row["layer"].endswith("/Conv_1"))
    assert conv["type"] == "Conv2D" and conv["output shape"] == "1 x 1 x 1280" and conv["trainable"] == 0
    assert rows[-1]["layer"] == "head" and rows[-1]["output shape"] == "3"


def test_archs_command_prints_each_architecture_with_its_seed_count(capsys):
    from cnnviz.cli.main import main

    assert main(["archs"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list_architectures()
    assert "animals10 427782" in lines and "weather_bn 1375396" in lines and "cats_dogs 3453121" in lines
