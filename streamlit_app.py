"""cnnviz entry point: the app (app/entry.py), after the heavy imports.

Every session waits at ``preload()`` until TensorFlow, Keras and the other heavy modules are
imported, once per server (cnnviz/runtime.py says why), before the app's own imports.
"""

from cnnviz.runtime import preload

preload()

from app.entry import run_app  # noqa: E402

run_app()
