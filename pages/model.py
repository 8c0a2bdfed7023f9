"""Model page: pick an architecture for the current dataset; see its layers and their parameters."""

from __future__ import annotations

# ruff: noqa: E402
from app.page import app_page

app_page()  # first, before the imports: the whole app when opened by its own URL, then Keras (app/page.py)

from typing import Any

import streamlit as st

from app import controls, lesson, state
from cnnviz.i18n import N_, _, current_language
from cnnviz.lesson.controls import CUSTOM_OPTIONS, MODEL, MODEL_ARCHITECTURE_KEY
from cnnviz.lesson.link import MODEL_OPTION_KEYS
from cnnviz.models.architectures import ARCHITECTURES, build_model, list_architectures
from cnnviz.models.info import summary_rows, totals
from cnnviz.models.regularization import NONE
from cnnviz.models.transfer import BASES, WeightsUnavailable, base_layer_names
from cnnviz.runs.schema import model_config
from cnnviz.runs.store import Run

MODEL_CONTROLS = {control.key: control for control in MODEL}
WEIGHTS_KEY = "model_page_weights"
FAMILIES = {
    "simple": N_("default"), "custom": N_("your own"), "seed": N_("course report"), "transfer": N_("transfer")
}  # fmt: skip


@st.cache_data(show_spinner=False, max_entries=32)
def layer_table(name: str, options: dict[str, Any], shape: tuple[int, int, int], classes: int, language: str):
    """The summary rows and totals of one configuration (the model itself is not kept), in ``language``."""
    model = build_model(name, shape, classes, **options)
    return summary_rows(model), totals(model)


@st.cache_data(show_spinner=False)
def fine_tune_choices(base: str) -> list[str]:
    return base_layer_names(base)


def custom_options() -> dict[str, Any]:
    """The custom architecture's options (cnnviz/lesson/controls.py declares them), by option name."""
    horizontal = {"horizontal": True}
    return controls.draw_all(st.columns(3), CUSTOM_OPTIONS, filter_growth=horizontal, pooling=horizontal)


def transfer_options(base: str) -> dict[str, Any]:
    left, right = st.columns(2)
    weights = controls.draw(left, MODEL_CONTROLS[WEIGHTS_KEY])
    mode = controls.draw(right, MODEL_CONTROLS[MODEL_OPTION_KEYS["mode"]])
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
        kind = controls.draw(left, MODEL_CONTROLS[MODEL_OPTION_KEYS["penalty"]])
        explanation = _("The loss gains strength × (sum of |w| for L1, sum of w² for L2) over every kernel.")
        key = MODEL_OPTION_KEYS["penalty_strength"]
        strength = controls.draw(right, MODEL_CONTROLS[key], help=explanation,
                                 disabled=kind == NONE or lesson.locked(key))  # fmt: skip
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
name = controls.draw(st, MODEL_CONTROLS[MODEL_ARCHITECTURE_KEY], options=names,
                     format_func=lambda n: f"{n} ({_(FAMILIES[ARCHITECTURES[n].family])})")  # fmt: skip
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
