"""Intermediate activations: one grid per layer, one map per channel at the layer's size."""

from __future__ import annotations

import keras
import numpy as np

from cnnviz.explain.activations import channel_grid, depth_strip, feature_maps
from cnnviz.models.layers import conv_layers, feature_model, inspectable_layers, last_conv_layer


def test_layers_in_order_with_kinds_and_shapes(trained_shapes):
    run, _ = trained_shapes
    layers = inspectable_layers(run.model)
    assert [info.name for info in layers[:4]] == ["block1_conv", "block1_bn", "block1_relu", "block1_pool"]
    assert [info.kind for info in layers[:4]] == ["conv", "batch-norm", "activation", "pooling"]
    assert len(layers) == 12 and last_conv_layer(run.model) == "block3_conv"
    assert [info.shape for info in conv_layers(run.model)] == [(32, 32, 16), (16, 16, 32), (8, 8, 64)]


def test_each_grid_has_a_map_per_channel_at_the_layers_size(trained_shapes):
    run, dataset = trained_shapes
    maps = feature_maps(run.model, dataset.test.x[0])
    for info in inspectable_layers(run.model):
        expected = keras.Model(run.model.input, run.model.get_layer(info.name).output)(
            dataset.test.x[:1] / 255.0, training=False)[0]
        np.testing.assert_allclose(maps[info.name], expected, atol=1e-4)
        grid = channel_grid(maps[info.name])
        height, width, channels = info.shape
        assert grid.tiles.shape == (channels, height, width, 3) and grid.dead.shape == (channels,)


def test_one_cached_feature_model_serves_every_layer(trained_shapes):
    run, _ = trained_shapes
    names = tuple(info.name for info in inspectable_layers(run.model))
    model = feature_model(run.model, names)
    assert feature_model(run.model, names) is model and len(model.outputs) == len(names)


def test_dead_channels_and_normalisation():
    maps = np.zeros((5, 6, 3), np.float32)
    maps[..., 1] = np.arange(30).reshape(5, 6)
    maps[..., 2] = 0.01 * np.arange(30).reshape(5, 6)
    grid = channel_grid(maps, "gray")
    assert grid.dead.tolist() == [True, False, False]
    np.testing.assert_array_equal(grid.tiles[1], grid.tiles[2])  # each channel on its own scale
    assert grid.tiles[1].min() == 0 and grid.tiles[1].max() == 255
    shared = channel_grid(maps, "gray", per_channel=False)
    assert shared.tiles[2].max() < 10 < shared.tiles[1].max()  # one scale: the weak channel is dark
    mosaic = grid.mosaic(columns=2, tile_size=20)
    assert mosaic.shape[1] == 2 * 22 and mosaic.shape[0] > 2 * 20


def test_depth_strip_walks_every_layer(trained_shapes):
    run, dataset = trained_shapes
    layers = inspectable_layers(run.model)
    strips = depth_strip(feature_maps(run.model, dataset.test.x[3]), layers, per_layer=3, tile_size=24)
    assert [info for info, _ in strips] == layers
    assert all(strip.shape[1] == 3 * 26 for _, strip in strips)


def test_sequential_with_a_nested_base_lists_the_inner_layers():
    base = keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=(32, 32, 3), alpha=0.35)
    model = keras.Sequential([base, keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2, activation="softmax")])
    model.build((None, 32, 32, 3))
    layers = inspectable_layers(model)
    names = [info.name for info in layers]
    assert names[0] == "Conv1" and "block_5_project" in names and names[-1] == "out_relu"
    maps = feature_maps(model, np.full((32, 32, 3), 128, np.uint8))
    assert all(maps[info.name].shape == info.shape for info in layers)
