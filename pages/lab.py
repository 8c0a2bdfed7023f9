"""Overfitting lab: K-fold cross-validation, "overfit, then fix it" variants, hyper-parameter search."""

from __future__ import annotations

# ruff: noqa: E402
from app.page import app_page

app_page()  # first, before the imports: the whole app when opened by its own URL, then Keras (app/page.py)

from collections.abc import Callable
from dataclasses import replace

import streamlit as st

from app import controls, jobs, loading, state
from cnnviz import charts
from cnnviz.i18n import N_, _
from cnnviz.lesson.controls import LAB_SETTINGS
from cnnviz.runs.schema import STATUS_LABELS, TrainConfig
from cnnviz.text import plain
from cnnviz.training.backends import get_worker
from cnnviz.training.groups import KFOLD, SEARCH, VARIANTS, Member, group_members
from cnnviz.training.kfold import HOLDOUT, kfold_job, summarize_folds
from cnnviz.training.progress import progress_text, waiting_text
from cnnviz.training.search import SEARCHES, TRIALS_FILE, live_trials_path, read_trials, search_job
from cnnviz.training.train import incompatibility
from cnnviz.training.variants import VARIANT_LABELS, variant_rows, variants_job
from cnnviz.training.worker import FAILED, FINISHED, QUEUED

EXPERIMENTS = {
    KFOLD: N_("K-fold validation"), VARIANTS: N_("Overfit, then fix it"), SEARCH: N_("Hyper-parameter search")
}  # fmt: skip

LAB = {control.field: control for control in LAB_SETTINGS}
SHARED = tuple(LAB[name] for name in ("epochs", "batch_size", "learning_rate", "seed"))  # every experiment's settings

st.title(_("🧪 Overfitting lab"))
dataset = state.current_dataset()
current = state.current_model()
worker = get_worker()


def common_settings() -> TrainConfig | None:
    """The training settings every experiment of the lab shares."""
    with st.expander(_("Training settings (shared by every experiment)"), expanded=True):
        values = controls.draw_all(st.columns(len(SHARED)), SHARED)
    try:
        return TrainConfig(**values)
    except ValueError as error:
        st.error(str(error))
        return None


def submit(make_job: Callable, config: TrainConfig, kind: str) -> None:
    """Queue an experiment as one job; the page follows it."""
    try:
        job = make_job(current, dataset, config, loading.runs_dir(), augmentation=state.current_augmentation())
    except ValueError as error:
        st.error(str(error))
        return
    job_id = worker.submit(state.session_owner(), job)
    jobs.set_lab_job(job_id, kind, job.request.config.group)
    if replaced := worker.info(job_id).replaced:
        st.info(_("Your waiting training '{replaced}' was replaced by this one (one waiting training per person).")
                .format(replaced=plain(replaced)))  # fmt: skip


def kfold_controls(config: TrainConfig) -> None:
    st.markdown(_("Train K times on the train + validation images, each time validated on another fold; "
                  "the test images stay aside. A hold-out training on the usual split is added for comparison."))
    left, right = st.columns(2)
    k = controls.draw(left, LAB["kfold"])
    shuffle = controls.draw(right, LAB["kfold_shuffle"])
    if st.button(_("▶ Start the K-fold ({k} + 1 trainings)").format(k=k), key="lab_start_kfold"):
        submit(kfold_job, replace(config, kfold=k, kfold_shuffle=shuffle), KFOLD)


def variants_controls(config: TrainConfig) -> None:
    st.markdown(_("The same split and seed for: {variants}.").format(
        variants=", ".join(_(label) for label in VARIANT_LABELS.values())))
    if st.button(_("▶ Train the {count} variants").format(count=len(VARIANT_LABELS)), key="lab_start_variants"):
        submit(variants_job, config, VARIANTS)


def search_controls(config: TrainConfig) -> None:
    st.markdown(_("KerasTuner tries learning rates, dropout, L2 penalties and first-block filters of a custom "
                  "model; each trial trains for at most the epochs above."))
    left, middle, right = st.columns(3)
    kind = controls.draw(left, LAB["search"], options=list(SEARCHES), format_func=lambda k: _(SEARCHES[k]))
    trials = controls.draw(middle, LAB["search_trials"])
    minutes = controls.draw(right, LAB["search_minutes"])
    if st.button(_("▶ Start the search"), key="lab_start_search"):
        submit(search_job, replace(config, search=kind, search_trials=int(trials), search_minutes=minutes), SEARCH)


def show_kfold(members: list[Member]) -> None:
    folds = [m for m in members if m.key != HOLDOUT]
    holdout = next((m for m in members if m.key == HOLDOUT), None)
    if not folds:
        return
    summary = summarize_folds([m.history for m in folds])
    left, right = st.columns(2)
    if summary.final_mean is not None:
        left.metric(_("K-fold validation accuracy (last epoch)"),
                    f"{100 * summary.final_mean:.1f}% ± {100 * summary.final_std:.1f}")  # fmt: skip
    accuracy = holdout.history[-1].get("val_accuracy") if holdout and holdout.history else None
    if accuracy is not None:
        right.metric(_("Hold-out validation accuracy"), f"{100 * accuracy:.1f}%")
    holdout_history = holdout.history if holdout else ()
    figure = charts.kfold_figure([m.history for m in folds], summary.mean, summary.std, holdout_history)
    st.plotly_chart(figure, key="lab_kfold_chart")


def show_variants(members: list[Member]) -> None:
    if not members:
        return
    histories = {_(VARIANT_LABELS[m.key]): m.history for m in members}
    st.plotly_chart(charts.compare_curves(histories, splits=("val_",)), key="lab_variants_chart")
    rows = [{**row, "variant": _(VARIANT_LABELS[row["variant"]]), "status": _(STATUS_LABELS[row["status"]])}
            for row in variant_rows(members)]  # fmt: skip
    st.dataframe(rows, hide_index=True, column_config={
        "variant": _("variant"), "best_epoch": _("best epoch"),
        "best_val_accuracy": st.column_config.NumberColumn(_("best validation accuracy"), format="%.3f"),
        "test_accuracy": st.column_config.NumberColumn(_("test accuracy"), format="%.3f"), "status": _("status"),
    })  # fmt: skip


def show_search(members: list[Member], group: str) -> None:
    path = members[-1].path / TRIALS_FILE if members else live_trials_path(loading.runs_dir(), group)
    trials = read_trials(path)
    if trials:
        st.dataframe(trials, hide_index=True, column_config={
            "trial": _("trial"), "learning_rate": st.column_config.NumberColumn(_("learning rate"), format="%.2e"),
            "dropout": _("dropout"), "l2": _("L2 penalty"), "filters": _("first-block filters"),
            "epochs": _("epochs"), "seconds": _("seconds"),
        })  # fmt: skip
    if members:
        best = members[-1]
        st.success(_("The best trial is saved as the run '{name}' (test accuracy {accuracy}).").format(
            name=best.config.name, accuracy="-" if best.config.test_metrics.accuracy is None
            else f"{100 * best.config.test_metrics.accuracy:.1f}%"))  # fmt: skip


SHOW = {KFOLD: show_kfold, VARIANTS: show_variants}


def experiment_panel(job_id: str, kind: str, group: str, was_active: bool) -> None:
    """The experiment's progress and results; refreshed every second while it runs."""
    info = worker.info(job_id)
    if info.state in FINISHED and was_active:
        st.rerun()
    st.subheader(_(EXPERIMENTS[kind]))
    if info.state == QUEUED:
        st.info(_("Waiting for a free training slot: {position}.").format(position=waiting_text(info)))
    elif info.state not in FINISHED:
        snapshot = worker.progress(job_id).snapshot()
        st.progress(snapshot.fraction, text=f"{plain(info.label)} · {progress_text(snapshot)}")
        if st.button(_("⏹ Stop"), help=_("Ends the running training after its current batch; the rest is skipped.")):
            worker.stop(job_id)
    elif info.state == FAILED:
        st.error(_("Training failed: {error}").format(error=plain(info.error, 300)))
    members = group_members(loading.runs_dir(), group)
    if kind == SEARCH:
        show_search(members, group)
    else:
        SHOW[kind](members)


if current is not None and (problem := incompatibility(current, dataset)):
    advice = _("{problem} Build a model for this dataset on the Model page, or pick another dataset.")
    st.error(advice.format(problem=problem))
    st.stop()
st.caption(_("Experiments with **{model}** on **{dataset}**; each one is queued as one job and saves a group of runs.")
           .format(model=current.label if current else "simple", dataset=dataset.name))  # fmt: skip
settings = common_settings()
if settings is not None:
    tabs = st.tabs([_(label) for label in EXPERIMENTS.values()])
    for tab, experiment in zip(tabs, (kfold_controls, variants_controls, search_controls)):
        with tab:
            experiment(settings)

followed = jobs.lab_job()
if followed is not None:
    job_id, kind, group = followed
    active = worker.info(job_id).state not in FINISHED
    st.fragment(experiment_panel, run_every=1.0 if active else None)(job_id, kind, group, active)
