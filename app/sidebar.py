"""The sidebar's always-visible summary of what the session is working on: dataset, model, training."""

from __future__ import annotations

import streamlit as st

from app import jobs, state
from cnnviz.i18n import _
from cnnviz.text import plain

SLOT_KEY = "cnnviz_sidebar_slot"


def render_sidebar() -> None:
    """Draw the summary before the page runs, into a slot that is redrawn whenever the page changes the
    dataset or the model (``state.redraw_on_change``), so it never shows the previous ones."""
    jobs.adopt_finished_training()
    st.session_state[SLOT_KEY] = st.sidebar.empty()
    state.redraw_on_change(redraw_summary)
    redraw_summary()


def redraw_summary() -> None:
    """The summary, drawn again into its slot (nothing when the sidebar has not been drawn this session)."""
    slot = st.session_state.get(SLOT_KEY)
    if slot is None:
        return
    with slot.container():
        st.caption(_("Current dataset"))
        st.markdown(_dataset_line())
        st.caption(_("Current model"))
        model = state.current_model()
        st.markdown(f"**{plain(model.label)}**" if model else _("none yet: pick one on the Model page"))
        training = jobs.training_status()
        if training:
            st.caption(_("Training"))
            st.markdown(plain(training, 200))  # it names the run, which its owner chose


def _dataset_line() -> str:
    dataset = state.picked_dataset()
    if dataset is None:
        return _("**Shapes** (default, generated offline)")
    height, width, channels = dataset.image_shape
    return _(
        "**{name}** · {classes} classes · {height}×{width}×{channels} · {train}/{val}/{test} images"
    ).format(
        name=plain(dataset.name), classes=dataset.num_classes, height=height, width=width, channels=channels,
        train=len(dataset.train), val=len(dataset.val), test=len(dataset.test),
    )  # fmt: skip
