"""Model page: pick an architecture for the current dataset; see its layers and their parameters."""

from __future__ import annotations

# ruff: noqa: E402
from app.page import app_page

app_page()  # first, before the imports: the whole app when opened by its own URL, then Keras (app/page.py)

from typing import Any

import streamlit as st

from app import lesson, state
from cnnviz.i18n import N_, _, current_language
from cnnviz.lesson.link import MODEL_ARCHITECTURE_KEY, MODEL_OPTION_KEYS
from cnnviz.models.architectures import ARCHITECTURES, build_model, list_architectures
from cnnviz.models.info import summary_rows, totals
from cnnviz.models.regularization import NONE, PENALTIES
from cnnviz.models.transfer import BASES, WeightsUnavailable, base_layer_names
from cnnviz.runs.schema import model_config
from cnnviz.runs.store import Run

WEIGHTS_KEY = "model_page_weights"
WEIGHT_CHOICES = {"imagenet": N_("ImageNet (downloaded once by Keras)"), "random": N_("Random initialisation")}
FAMILIES = {
    "simple": N_("default"), "custom": N_("your own"), "seed": N_("course report"), "transfer": N_("transfer")
}  # fmt: skip
GROWTHS = {"double": N_("double"), "constant": N_("constant")}
POOLINGS = {"max": N_("max"), "avg": N_("avg")}
MODES = {"feature_extraction": N_("Feature extraction (frozen base)"), "fine_tune": N_("Fine-tuning")}


@st.cache_data(show_spinner=False, max_entries=32)
def layer_table(name: str, options: dict[str, Any], shape: tuple[int, int, int], classes: int, language: str):
    """The summary rows and totals of one configuration (the model itself is not kept), in ``language``."""
    model = build_model(name, shape, classes, **options)
    return summary_rows(model), totals(model)


@st.cache_data(show_spinner=False)
def fine_tune_choices(base: str) -> list[str]:
    return base_layer_names(base)


def option(name: str) -> dict[str, Any]:
    """The widget key of a builder option (a lesson link sets and may lock it)."""
    return lesson.control(MODEL_OPTION_KEYS[name])


def custom_options() -> dict[str, Any]:
    left, middle, right = st.columns(3)
    return {
        "blocks": left.slider(_("Conv blocks (each halves the image)"), 1, 5, 3, **option("blocks")),
        "filters": left.select_slider(_("Filters in the first block"), [4, 8, 16, 32, 64], 16, **option("filters")),
        "filter_growth": left.radio(
            _("Filters per block"), list(GROWTHS), horizontal=True, format_func=lambda k: _(GROWTHS[k]),
            **option("filter_growth"),
        ),
        "kernel_size": middle.select_slider(_("Kernel size"), [1, 3, 5, 7], 3, **option("kernel_size")),
        "pooling": middle.radio(_("Pooling"), list(POOLINGS), horizontal=True, format_func=lambda k: _(POOLINGS[k]),
                                **option("pooling")),
        "batch_norm": middle.checkbox(_("Batch normalisation"), True, **option("batch_norm")),
        "global_pooling": right.checkbox(_("Global average pooling instead of Flatten"), False, **option("global_pooling")),
        "dropout": right.slider(_("Dropout before the Dense layers"), 0.0, 0.8, 0.0, step=0.05, **option("dropout")),
        "dense_units": right.select_slider(_("Hidden Dense units (0 = none)"), [0, 32, 64, 128, 256, 512], 64,
                                           **option("dense_units")),
    }


def transfer_options(base: str) -> dict[str, Any]:
    left, right = st.columns(2)
    weights = left.radio(
        _("Weights"), list(WEIGHT_CHOICES), format_func=lambda k: _(WEIGHT_CHOICES[k]), key=WEIGHTS_KEY
    )
    mode = right.radio(_("Mode"), list(MODES), format_func=lambda k: _(MODES[k]), **option("mode"))
    options: dict[str, Any] = {"weights": None if weights == "random" else weights, "mode": mode}
    if mode == "fine_tune":
        layers = fine_tune_choices(base)
        options["fine_tune_from"] = right.selectbox(
            _("Train every base layer from"), layers, index=layers.index(BASES[base].fine_tune_from)
        )
    return options


def penalty_controls() -> dict[str, Any]:
    """The weight penalty on the conv and dense kernels, as architecture options ({} when none)."""
    with st.expander(_("Weight penalty (L1 / L2)")):
        left, right = st.columns(2)
        kind = left.selectbox(_("Penalty"), list(PENALTIES), format_func=lambda k: _(PENALTIES[k]), key="model_penalty")
        explanation = _("The loss gains strength × (sum of |w| for L1, sum of w² for L2) over every kernel.")
        strength = right.number_input(_("Strength"), 0.0, 1.0, 1e-4, format="%g", step=1e-4, disabled=kind == NONE,
                                      key="model_penalty_strength", help=explanation)  # fmt: skip
    return {} if kind == NONE or not strength else {"penalty": kind, "penalty_strength": strength}


def use_random_weights() -> None:
    state.set_widget_values({WEIGHTS_KEY: "random"})


def show_model(name: str, options: dict[str, Any]) -> bool:
    """The layer table and totals; False (with a message) when this model cannot be built."""
    try:
        with st.spinner(_("Building the model...")):
            rows, counts = layer_table(name, options, dataset.image_shape, dataset.num_classes, current_language())
    except WeightsUnavailable as error:
        st.error(str(error))
        st.button(_("Use random initialisation instead"), on_click=use_random_weights)
        return False
    except ValueError as error:
        st.error(_("This model cannot be built: {error}").format(error=error))
        return False
    total, trainable, frozen = st.columns(3)
    total.metric(_("Parameters"), f"{counts['total']:,}")
    trainable.metric(_("Trainable"), f"{counts['trainable']:,}")
    frozen.metric(_("Non-trainable"), f"{counts['non_trainable']:,}")
    st.dataframe(
        rows, hide_index=True,
        column_config={"explanation": st.column_config.TextColumn(_("where they come from"), width="large"),
                       "penalty": st.column_config.TextColumn(_("weight penalty"))},
    )
    return True


def use_model(name: str, options: dict[str, Any]) -> None:
    model = build_model(name, dataset.image_shape, dataset.num_classes, **options)
    state.set_current_model(Run(model, model_config(name, options, dataset), [], None))
    st.success(_("**{name}** is now the current model (untrained). Train it on the Train page.").format(name=name))


st.title(_("🧱 Model"))
dataset = state.current_dataset()
height, width, channels = dataset.image_shape
st.caption(_(
    "Built for the current dataset **{name}**: {height}×{width}×{channels} images, {classes} classes. "
    "Every model takes pixels scaled to [0, 1]."
).format(name=dataset.name, height=height, width=width, channels=channels, classes=dataset.num_classes))

names = list_architectures()
name = st.selectbox(
    _("Architecture"), names, format_func=lambda n: f"{n} ({_(FAMILIES[ARCHITECTURES[n].family])})",
    **lesson.control(MODEL_ARCHITECTURE_KEY),
)
entry = ARCHITECTURES[name]
st.markdown(_(entry.description))
if entry.family in ("seed", "transfer"):
    seed_h, seed_w, seed_c = entry.input_shape
    st.caption(_(
        "Designed for {height}×{width}×{channels} images and {classes} classes; "
        "the parameter counts below are for the current dataset's shape."
    ).format(height=seed_h, width=seed_w, channels=seed_c, classes=entry.num_classes))
options: dict[str, Any] = {}
if entry.family == "custom":
    options = custom_options()
elif entry.family == "transfer":
    options = transfer_options(name)
options.update(penalty_controls())

if show_model(name, options) and st.button(_("Use this model"), type="primary"):
    use_model(name, options)
current = state.current_model()
if current is not None:
    st.caption(_("Current model: {label}").format(label=current.label))
lesson.code_expander("model", name, options)
