"""cnnviz entry point: the app (app/entry.py), once the preload has started.

``start_preload()`` imports the modules every page draws with, once per server (sessions that
arrive meanwhile wait: cnnviz/runtime.py says why), and starts importing TensorFlow and Keras
in a thread of their own; the first page paints meanwhile, and a page that needs Keras waits
for them (``app.page.app_page``).
"""

from cnnviz.runtime import start_preload

start_preload()

from app.entry import run_app  # noqa: E402

run_app()
