"""The app's pages and each page's controls, declared once (no Streamlit here).

``NAVIGATION`` is the sidebar's navigation (``app/entry.py`` draws it) and the pages a lesson link
may name; ``PAGE_CONTROLS`` every keyed control of every page (``cnnviz/lesson/controls.py`` declares
the Train, Lab, Augment and Model settings). ``tests/test_page_controls.py`` runs each page and
checks that its keyed controls are exactly the declared ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz.i18n import N_
from cnnviz.lesson.controls import (
    AUGMENT,
    CAMERA,
    CHECKBOX,
    LAB_SETTINGS,
    MODEL,
    MULTISELECT,
    NUMBER,
    RADIO,
    SELECT,
    SELECT_SLIDER,
    SLIDER,
    TOGGLE,
    TRAIN,
    UPLOAD,
    Control,
)


@dataclass(frozen=True)
class Page:
    """One page: its key is its file's name under pages/ and its URL path."""

    key: str
    title: str  # marked with N_(), translated where drawn
    icon: str


NAVIGATION: tuple[tuple[str, tuple[Page, ...]], ...] = (  # (section title, its pages); the first page is the default
    (N_("Data and model"), (Page("data", N_("Data"), "🗂️"), Page("model", N_("Model"), "🧱"),
                            Page("augment", N_("Augment"), "🎛️"))),
    (N_("Training"), (Page("train", N_("Train"), "📈"), Page("runs", N_("Runs"), "🗃️"),
                      Page("lab", N_("Overfitting lab"), "🧪"))),
    (N_("Inside the network"), (Page("activations", N_("Activations"), "🔬"), Page("filters", N_("Filters"), "🌀"),
                                Page("gradcam", N_("Where the network looks"), "🔥"),
                                Page("convolution", N_("Convolution"), "🧮"))),
    (N_("Use it"), (Page("predict", N_("Predict"), "📷"),)),
)  # fmt: skip
PAGES = tuple(page.key for _, pages in NAVIGATION for page in pages)
DEFAULT_PAGE = PAGES[0]  # served at the root URL


def _view(key: str, label: str, kind: str, **settings: object) -> Control:
    """A view page's control; the page draws it with its own choices and range (a model's layers)."""
    return Control(key, label, kind, flag=None, **settings)


def image_picker(prefix: str) -> tuple[Control, ...]:
    """``app.pickers.pick_image``'s controls under ``prefix``."""
    sources = {"test_split": N_("From the test split"), "upload": N_("Upload a photo")}
    return (
        _view(f"{prefix}_src", N_("Image"), RADIO, choice_labels=sources), _view(f"{prefix}_class", N_("Class"), SELECT),
        _view(f"{prefix}_index", N_("Image number"), NUMBER, default=0, low=0),
        _view(f"{prefix}_upload", N_("Photo"), UPLOAD, linked=False),
    )  # fmt: skip


def model_picker(key: str) -> Control:
    """``app.pickers.pick_model``'s control (a link names the model by its run, not by this)."""
    return _view(key, N_("Model"), SELECT, linked=False)


FIT_LABELS = {  # cnnviz.photos.prepare.FITS
    "auto": N_("Automatic (from the run)"), "object": N_("Find the object, crop and centre it"),
    "crop": N_("Keep the aspect ratio, crop the centre"), "pad": N_("Keep the aspect ratio, pad the sides"),
}  # fmt: skip
INVERT_LABELS = {"auto": N_("Automatic (polarity check)"), "always": N_("Always invert"), "never": N_("Never invert")}
PAGE_CONTROLS: dict[str, tuple[Control, ...]] = {
    "data": (_view("data_both_languages", N_("Show both languages"), TOGGLE, linked=False),),
    "model": MODEL,
    "augment": (*AUGMENT, _view("augment_n", N_("Augmented versions"), SELECT_SLIDER), *image_picker("augment")),
    "train": TRAIN,
    "lab": LAB_SETTINGS,
    "activations": (
        model_picker("activations_model"), _view("activations_layer", N_("Layer"), SELECT),
        _view("activations_colormap", N_("Colour map"), SELECT),
        _view("activations_per_channel", N_("Normalise each channel on its own"), CHECKBOX, default=True),
        _view("activations_columns", N_("Maps per row"), SLIDER, default=16, low=4, high=32), *image_picker("activations_image"),
    ),
    "filters": (  # the ascent's defaults are cnnviz.explain.filters.FilterSettings' own, given by the page
        model_picker("filters_model"), _view("filters_layer", N_("Conv layer"), SELECT),
        _view("filters_first", N_("First filter"), NUMBER, default=0, low=0), _view("filters_count", N_("Filters"), SLIDER, low=1),
        _view("filters_steps", N_("Steps"), SLIDER, low=5, high=100),
        _view("filters_step_size", N_("Step size"), SLIDER, low=0.1, high=3.0, step=0.1),
        _view("filters_size", N_("Image size"), SLIDER, low=32, high=256, step=8), _view("filters_class", N_("Class"), SELECT),
    ),
    "gradcam": (
        model_picker("gradcam_model"), _view("gradcam_layer", N_("Conv layer"), SELECT, lockable=True),
        _view("gradcam_class", N_("Class to explain"), SELECT, lockable=True),
        _view("gradcam_methods", N_("Methods"), MULTISELECT, lockable=True,
              default=("gradcam", "occlusion", "smoothgrad", "integrated_gradients")),
        _view("gradcam_opacity", N_("Heatmap opacity"), SLIDER, default=0.4, low=0.0, high=1.0, step=0.05),
        _view("gradcam_colormap", N_("Colour map"), SELECT, default="jet"),
        _view("gradcam_sanity_method", N_("Method to check"), SELECT, linked=False),
        _view("gradcam_sanity", N_("Run the sanity check"), TOGGLE, linked=False), *image_picker("gradcam_image"),
    ),
    "convolution": (
        model_picker("conv_model"), _view("conv_layer", N_("Conv layer"), SELECT),
        _view("conv_channel", N_("Output channel (filter)"), NUMBER, default=0, low=0),
        _view("conv_x", N_("Output x"), SLIDER, low=0), _view("conv_y", N_("Output y"), SLIDER, low=0),
        _view("conv_in_channel", N_("Input channel to show"), NUMBER, default=0, low=0),
        *(_view(key, label, kind, linked=False, **settings) for key, label, kind, settings in (
            ("conv_pool", N_("Pooling layer"), SELECT, {}),
            ("conv_pool_x", N_("Pooling output x"), NUMBER, {"default": 0, "low": 0}),
            ("conv_pool_y", N_("Pooling output y"), NUMBER, {"default": 0, "low": 0}),
            ("conv_sb_size", N_("Input size (crop of the image)"), SLIDER, {"default": 8, "low": 4, "high": 16}),
            ("conv_sb_kernel", N_("Kernel"), SELECT, {}),
            ("conv_sb_padding", N_("Padding"), SLIDER, {"default": 0, "low": 0, "high": 3}),
            ("conv_sb_stride", N_("Stride"), SLIDER, {"default": 1, "low": 1, "high": 3}),
            ("conv_rf_x", N_("Unit x"), SLIDER, {"default": 0, "low": 0}),
            ("conv_rf_y", N_("Unit y"), SLIDER, {"default": 0, "low": 0}), ("conv_play", N_("▶ Play"), TOGGLE, {}),
        )),
        *image_picker("conv_image"),
    ),
    "predict": (  # the margin's default is PhotoOptions' own and the method's saliency's, given by the page
        model_picker("predict_model"), _view("predict_fit", N_("Framing"), RADIO, choice_labels=FIT_LABELS),
        _view("predict_invert", N_("Invert"), RADIO, choice_labels=INVERT_LABELS),
        _view("predict_margin", N_("Margin around a found object (%)"), SLIDER, low=0, high=40),
        _view("predict_top", N_("Classes to show"), SLIDER, low=1),
        _view("predict_cam", N_("Grad-CAM overlay for the top class"), CHECKBOX, default=True),
        _view("predict_method", N_("Explanation method"), SELECT),
        *(_view(key, label, kind, linked=False) for key, label, kind in (
            ("predict_both_languages", N_("Show both languages"), CHECKBOX), ("predict_files", N_("Drop photos here"), UPLOAD),
            ("predict_webcam", N_("Use the webcam"), TOGGLE), ("predict_camera", N_("Take a picture"), CAMERA),
        )),
    ),
}  # fmt: skip


def page_controls(page: str) -> dict[str, Control]:
    """The page's controls by key."""
    return {control.key: control for control in PAGE_CONTROLS[page]}


def linked_keys(page: str) -> tuple[str, ...]:
    """The keys of the page's controls a lesson link carries as widget values (config fields go in their own groups)."""
    return tuple(control.key for control in PAGE_CONTROLS.get(page, ()) if control.linked)


def lock_labels(page: str) -> dict[str, str]:
    """The controls a teacher can lock on ``page``: widget key -> its label (N_-marked)."""
    return {control.key: control.label for control in PAGE_CONTROLS.get(page, ()) if control.lockable}
