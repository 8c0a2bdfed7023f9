"""The Streamlit app's glue, beside the page files in ``pages/``: one concern a module.

``entry`` (the whole app in one script run) and ``page`` (what every page calls first, and the
wait for Keras); ``state`` (the session's dataset, model, augmentation, widget values),
``loading`` (the runs folder, datasets from the dataset cache, saved runs), ``memo`` (results
kept per page), ``pickers`` (model, layers, image), ``jobs`` (the trainings a session follows),
``sidebar``, ``lesson`` (the Code expander and the lesson link), ``language``, ``server``
(housekeeping for a class on one process) and ``private_api`` (every private Streamlit name,
checked at start-up).

It may import Streamlit and the cnnviz library; the library never imports it.
"""
