"""Runs page: saved trainings; open, rename, delete, download, upload, compare."""

from __future__ import annotations

# ruff: noqa: E402
from app.page import app_page

app_page()  # first, before the imports: the whole app when opened by its own URL, then Keras (app/page.py)

import streamlit as st

from app import lesson, loading, state
from cnnviz import charts
from cnnviz.i18n import N_, _
from cnnviz.text import plain, shorten
from cnnviz.runs.store import (
    MAX_NAME_LENGTH,
    MODEL_FILE,
    Run,
    RunError,
    RunSummary,
    compare_table,
    config_for_model,
    delete_run,
    list_runs,
    load_uploaded_model,
    read_config,
    read_history,
    rename_run,
    save_run,
    slug,
)

COLUMNS = {  # row keys of the runs list and the comparison table: their headers
    "name": N_("name"), "date": N_("date"), "architecture": N_("architecture"), "dataset": N_("dataset"),
    "epochs": N_("epochs"), "test accuracy %": N_("test accuracy %"), "status": N_("status"), "folder": N_("folder"),
    "run": N_("run"), "optimizer": N_("optimizer"), "learning rate": N_("learning rate"),
    "batch size": N_("batch size"), "augmentation": N_("augmentation"), "seed": N_("seed"),
    "test loss": N_("test loss"), "test accuracy": N_("test accuracy"),
}  # fmt: skip


def table(rows: list[dict]) -> None:
    """Rows of a runs table with their headers in the current language."""
    st.dataframe(rows, hide_index=True, column_config={key: _(label) for key, label in COLUMNS.items()})


st.title(_("🗃️ Runs"))
folder = loading.runs_dir()


def manage(summary: RunSummary) -> None:
    """Open, rename, download and delete one run."""
    open_col, download_col = st.columns(2)
    if open_col.button(_("Open as the current model"), type="primary"):
        run = loading.open_run(summary)
        if run is not None:
            state.set_current_model(run)
            st.success(_("'{label}' is now the current model.").format(label=plain(run.label)))
    download_col.download_button(
        _("Download model.keras"), data=lambda: (summary.path / MODEL_FILE).read_bytes(),
        file_name=f"{slug(summary.name)}.keras", mime="application/octet-stream",
    )
    with st.form("rename_run"):
        new_name = st.text_input(_("New name"), value=summary.name, max_chars=MAX_NAME_LENGTH)
        if st.form_submit_button(_("Rename")):
            try:
                rename_run(summary.path, new_name)
                st.rerun()
            except RunError as error:
                st.error(str(error))
    lesson.run_code(read_config(summary.path))
    sure = st.checkbox(_("Yes, delete '{name}' and its files").format(name=plain(summary.name)))
    if st.button(_("Delete run"), disabled=not sure):
        delete_run(summary.path)
        st.rerun()


def compare(chosen: list[RunSummary]) -> None:
    """Learning curves overlaid, plus a table of settings and test scores."""
    histories = {summary.label: read_history(summary.path) for summary in chosen}
    st.plotly_chart(charts.compare_curves(histories), key="compare_curves")
    table(compare_table([summary.path for summary in chosen]))


def upload() -> None:
    """A user's .keras model, loaded in safe mode, saved as a run and made the current model."""
    file = st.file_uploader(_("A Keras 3 .keras model"), type=["keras"])
    if file is None or not st.button(_("Add this model")):
        return
    dataset = state.current_dataset()
    try:
        model = load_uploaded_model(file.getvalue())
        run = save_run(Run(model, config_for_model(model, dataset, shorten(file.name, MAX_NAME_LENGTH))), folder)
    except RunError as error:
        st.error(str(error))
        return
    state.set_current_model(run)
    st.success(_("'{name}' was added to the runs and is now the current model.").format(name=plain(file.name)))


summaries = list_runs(folder)
st.caption(_("Runs are folders under `{folder}`; they survive restarts of the app.").format(folder=folder.name))
if not summaries:
    st.info(_("No saved runs yet: train a model on the Train page (or run `python -m cnnviz train`)."))
else:
    table([summary.row() for summary in summaries])
    labels = {summary.label: summary for summary in summaries}
    chosen = st.selectbox(_("Run"), list(labels))
    manage(labels[chosen])
    st.subheader(_("Compare runs"))
    picked = st.multiselect(_("Runs to compare (two or more)"), list(labels))
    if len(picked) >= 2:
        compare([labels[label] for label in picked])

st.subheader(_("Upload a model"))
upload()
