"""Train page: settings, Start and Stop, live curves, then test scores, confusion matrix, mistakes."""

from __future__ import annotations

# ruff: noqa: E402
from app.page import app_page

app_page()  # first, before the imports: the whole app when opened by its own URL, then Keras (app/page.py)

import streamlit as st

from app import controls, jobs, lesson, loading, state
from cnnviz import charts
from cnnviz.data.class_names import display_names
from cnnviz.i18n import _
from cnnviz.lesson.controls import CALLBACK_GROUPS, SETTINGS, TRAIN
from cnnviz.lesson.link import TRAIN_KEYS
from cnnviz.limits import LimitExceeded
from cnnviz.runs.schema import DIVERGED, STOPPED, TIME_LIMIT, TrainConfig
from cnnviz.runs.store import Run
from cnnviz.text import plain
from cnnviz.training.jobs import training_job
from cnnviz.training.progress import progress_text, status_line, waiting_text
from cnnviz.training.train import (
    confusion_matrix,
    incompatibility,
    misclassified,
    saved_test_predictions,
)
from cnnviz.training.backends import get_worker
from cnnviz.training.worker import FAILED, FINISHED, QUEUED

GALLERY_SIZE = 24

st.title(_("📈 Train"))
dataset = state.current_dataset()
current = state.current_model()
augmentation = state.current_augmentation()
worker = get_worker()


def settings_form() -> TrainConfig | None:
    """The settings form (cnnviz/lesson/controls.py declares it); a TrainConfig when Start was pressed with valid
    settings."""
    with st.form("train_settings"):
        columns = st.columns(3)
        values = controls.draw_all(columns, tuple(c for c in TRAIN if c.group == SETTINGS), **overrides())
        name = columns[1].text_input(_("Run name"), placeholder=_("(architecture on dataset)"))
        with st.expander(_("Callbacks")):
            values.update(callback_settings())
        if not st.form_submit_button(_("▶ Start training"), type="primary"):
            return None
    try:
        return TrainConfig(**values, name=name.strip())
    except ValueError as error:
        st.error(str(error))
        return None


def overrides() -> dict[str, dict]:
    """What the page knows beyond the declarations: the augmentation switch needs some augmentation."""
    help_augment = (_("All transforms are off: choose some on the Augment page first.") if augmentation.is_identity
                    else _("Applies the Augment page's settings to the training split only."))  # fmt: skip
    augment = {"help": help_augment, "disabled": augmentation.is_identity or lesson.locked(TRAIN_KEYS["augment"])}
    if TRAIN_KEYS["augment"] not in st.session_state:
        augment["value"] = not augmentation.is_identity
    precision = {"help": _("bfloat16 trains up to twice as fast on hardware that supports it; views always use float32.")}
    return {"augment": augment, "precision": precision}


def callback_settings() -> dict:
    """EarlyStopping, ReduceLROnPlateau and ModelCheckpoint settings, as TrainConfig fields."""
    columns = dict(zip(CALLBACK_GROUPS, st.columns(len(CALLBACK_GROUPS))))
    settings = controls.draw_all(columns, tuple(c for c in TRAIN if c.group in columns), place=lambda c: c.group)
    columns["checkpoint"].caption(_("TerminateOnNaN and CSVLogger (history.csv) always run."))
    return settings


def render_results(run: Run) -> None:
    """Final scores, curves, confusion matrix and misclassified test images of a finished run."""
    status = run.config.status
    (st.error if status == DIVERGED else st.warning if status in (STOPPED, TIME_LIMIT) else st.success)(run.config.message)
    cols = st.columns(3)
    accuracy, loss = run.config.test_metrics.accuracy, run.config.test_metrics.loss
    cols[0].metric(_("Test accuracy"), "-" if accuracy is None else f"{100 * accuracy:.1f}%")
    cols[1].metric(_("Test loss"), "-" if loss is None else f"{loss:.4f}")
    cols[2].metric(_("Epochs run"), run.config.epochs_run)
    st.caption(_("Trained in {precision}.").format(precision=run.config.precision))
    st.plotly_chart(charts.training_curves(run.history), key="final_curves")
    st.plotly_chart(charts.learning_rate_chart(run.history), key="final_lr")
    predicted = saved_test_predictions(run, dataset)
    if predicted is not None:
        counts = confusion_matrix(dataset.test.y, predicted, dataset.num_classes)
        st.plotly_chart(charts.confusion_figure(counts, display_names(run.display_names)), key="confusion")
        render_mistakes(predicted, display_names(run.display_names))
    st.caption(_("Saved in `{path}`; it is now the current model for the other pages.").format(path=run.path.name))


def render_mistakes(predicted: list[int], names: list[str]) -> None:
    wrong = misclassified(dataset.test.y, predicted)
    st.subheader(_("Misclassified test images ({wrong} of {total})").format(wrong=len(wrong), total=len(predicted)))
    if not wrong:
        st.info(_("Every test image was classified correctly."))
        return
    columns = st.columns(6)
    for slot, (index, true, guess) in enumerate(wrong[:GALLERY_SIZE]):
        caption = _("true: {true} · predicted: {predicted}").format(true=names[true], predicted=names[guess])
        columns[slot % 6].image(dataset.test.x[index], caption=caption)


def render_live(job_id: str) -> None:
    """Progress bar, live curves and the Stop button of a waiting or running job."""
    info = worker.info(job_id)
    snapshot = worker.progress(job_id).snapshot()
    if info.state == QUEUED:
        st.info(_("Waiting for a free training slot: {position}.").format(position=waiting_text(info)))
    else:
        st.progress(snapshot.fraction, text=progress_text(snapshot))
        st.plotly_chart(
            charts.training_curves(
                snapshot.history, snapshot.batch_position, snapshot.batch_loss, snapshot.batch_accuracy
            ),
            key="live_curves",
        )
        if snapshot.history:
            st.plotly_chart(charts.learning_rate_chart(snapshot.history), key="live_lr")
    if st.button(_("⏹ Stop"), help=_("Ends training after the current batch; the run is still saved.")):
        worker.stop(job_id)


def job_is_active(job_id: str) -> bool:
    return worker.info(job_id).state not in FINISHED


def job_panel(job_id: str, was_active: bool) -> None:
    """Refreshes every second while the job runs; one full rerun when it has just finished."""
    info = worker.info(job_id)
    if info.state not in FINISHED:
        render_live(job_id)
    elif was_active:
        st.rerun()
    elif info.state == FAILED:
        st.error(_("Training failed: {error}").format(error=plain(info.error, 300)))
    elif worker.result(job_id) is not None:
        render_results(worker.result(job_id))
    else:
        st.info(_("The training was cancelled before it started."))


problem = incompatibility(current, dataset) if current is not None else None
if current is None:
    st.caption(_("No model chosen on the Model page: `simple` will be built for **{dataset}**.").format(dataset=plain(dataset.name)))
else:
    st.caption(_("Training a fresh copy of **{model}** on **{dataset}**.").format(model=plain(current.label), dataset=plain(dataset.name)))
if problem:
    st.error(_("{problem} Build a model for this dataset on the Model page, or pick another dataset.").format(problem=problem))
else:
    config = settings_form()
    if config is not None:
        try:
            job = training_job(current, dataset, config, loading.runs_dir(), augmentation=augmentation)
        except LimitExceeded as error:
            st.error(str(error))
            st.stop()
        job_id = worker.submit(state.session_owner(), job)
        jobs.set_training_job_id(job_id)
        if replaced := worker.info(job_id).replaced:
            st.info(_(
                "Your waiting training '{replaced}' was replaced by this one (one waiting training per person)."
            ).format(replaced=plain(replaced)))

job_id = jobs.training_job_id()
if job_id is not None:
    jobs.adopt_finished_training()  # the sidebar does it too; this page also runs without it (AppTest)
    st.subheader(plain(worker.info(job_id).label))
    active = job_is_active(job_id)
    st.fragment(job_panel, run_every=1.0 if active else None)(job_id, active)
    others = [info for info in worker.jobs_for(state.session_owner()) if info.id != job_id]
    if others:
        with st.expander(_("Your other trainings ({count})").format(count=len(others))):
            for info in others:
                st.write(plain(status_line(info, worker.progress(info.id).snapshot(), worker.result_config(info.id)), 200))
lesson.code_expander("train")
