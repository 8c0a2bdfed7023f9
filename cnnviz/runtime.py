"""Process-level set-up for a long-lived server (the Streamlit app) that imports TensorFlow."""

from __future__ import annotations

import gc


def import_keras_and_freeze() -> None:
    """Import Keras (and TensorFlow), then hide everything alive from the garbage collector.

    After every script run, fragment refreshes included, Streamlit calls gc.collect(2) and
    keras.backend.clear_session() (a second full collection). With TensorFlow's ~400,000
    objects in memory each collection holds the GIL for ~0.4 s, so the Train page's
    once-a-second refresh starved running trainings (two at once crawled for minutes).
    gc.freeze() moves the objects alive now, import-time objects that live for the whole
    process anyway, into a generation the collector never scans.
    """
    import keras  # noqa: F401 (imports TensorFlow)

    gc.collect()
    gc.freeze()
