"""The layers every classifier ends with, shared by the architecture registry and transfer models."""

from __future__ import annotations


def dense_stack(x, units: list[int], dropout: float = 0.0):
    """Flattened features -> Dense(relu) layers, each followed by Dropout when asked."""
    from keras import layers

    for index, count in enumerate(units, start=1):
        x = layers.Dense(count, activation="relu", name=f"dense{index}")(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"dropout{index}")(x)
    return x


def classifier(x, num_classes: int):
    """The output layer: softmax over the classes (one sigmoid unit when num_classes is 1)."""
    from keras import layers

    if num_classes == 1:
        return layers.Dense(1, activation="sigmoid", name="predictions")(x)
    return layers.Dense(num_classes, activation="softmax", name="predictions")(x)
