"""Predict page: drop photos or take a picture, see each preprocessing step, the top classes and why."""

# ruff: noqa: E402
from app.page import app_page

app_page()  # first, before the imports: the whole app when opened by its own URL, then Keras (app/page.py)

from dataclasses import dataclass

import streamlit as st

from app import controls, pickers
from cnnviz.data.class_names import display_names, korean_and_english
from cnnviz.data.images import IMAGE_EXTENSIONS
from cnnviz.explain.saliency import DEFAULT_METHOD, method, method_keys
from cnnviz.i18n import _
from cnnviz.lesson.pages import page_controls
from cnnviz.limits import limits
from cnnviz.models.layers import NoConvLayerError
from cnnviz.photos.prepare import PhotoOptions, thumbnail
from cnnviz.photos.predict import (
    FileResult, explain, predict_files, results_csv, top_k_figure
)  # fmt: skip
from cnnviz.runs.store import Run
from cnnviz.text import plain, shorten

CONTROLS = page_controls("predict")
STEP_HEIGHT = 96


@dataclass(frozen=True)
class Display:
    """How results are shown: how many classes, whether to draw a saliency map and which, the class names."""

    top_k: int
    show_cam: bool
    names: list[str]
    method: str = DEFAULT_METHOD


def photo_options(run: Run) -> tuple[PhotoOptions, Display]:
    """Preprocessing choices and how to show the results."""
    with st.expander(_("Preprocessing and display"), expanded=False):
        light = run.config.preprocessing.light_on_dark
        st.caption(
            _("This run was trained on light objects on a dark background: photos are checked for "
              "polarity, cropped to the object and centred.") if light
            else _("Photos are resized to this run's input keeping their aspect ratio "
                   "(centre crop by default).")
        )  # fmt: skip
        fit = controls.draw(st, CONTROLS["predict_fit"])
        invert = controls.draw(st, CONTROLS["predict_invert"], horizontal=True)
        margin = controls.draw(st, CONTROLS["predict_margin"], value=round(PhotoOptions().margin * 100)) / 100
        classes = len(run.display_names)
        top_k = controls.draw(st, CONTROLS["predict_top"], max_value=classes, value=min(3, classes)) if classes > 1 else 1
        show_cam = controls.draw(st, CONTROLS["predict_cam"])
        method_key = controls.draw(
            st, CONTROLS["predict_method"], options=method_keys(), index=method_keys().index(DEFAULT_METHOD),
            format_func=lambda key: _(method(key).label),
            disabled=not show_cam, help=_("How the overlay is computed; the Where the network looks page compares them all."),
        )  # fmt: skip
        both = controls.draw(st, CONTROLS["predict_both_languages"],
                             help=_("Each class as 'Korean · English', for example '고양이 · cat'."))  # fmt: skip
    names = [korean_and_english(name) for name in run.display_names] if both else display_names(run.display_names)
    return PhotoOptions(fit=fit, invert=invert, margin=margin), Display(top_k, show_cam, names, method_key)


def photo_inputs() -> list[tuple[str, bytes]]:
    """Uploaded files plus, when the webcam is switched on, its picture."""
    uploads = controls.draw(st, CONTROLS["predict_files"], type=[e[1:] for e in IMAGE_EXTENSIONS],
                            accept_multiple_files=True)  # fmt: skip
    files = [(upload.name, upload.getvalue()) for upload in uploads or []]
    if controls.draw(st, CONTROLS["predict_webcam"]):
        shot = controls.draw(st, CONTROLS["predict_camera"])
        if shot is not None:
            files.append(("webcam.jpg", shot.getvalue()))
    allowed = limits().predict_files
    if len(files) > allowed:
        st.warning(_("This server predicts at most {limit} files at a time: the first {limit} are used.").format(
            limit=allowed))
    return files[:allowed]


def gallery(results: list[FileResult], names: list[str]) -> None:
    """Every file at a glance, and the predictions as a CSV download."""
    st.subheader(_("{count} files").format(count=len(results)))
    columns = st.columns(6)
    for index, result in enumerate(results):
        with columns[index % 6]:
            if result.ok:
                name, probability = result.top(names, 1)[0]
                st.image(thumbnail(result.photo.image, STEP_HEIGHT), caption=f"{shorten(result.name)}: {name} {probability:.0%}")
            else:
                st.caption(_("⚠️ {name}: not used").format(name=plain(result.name)))
    csv_text = results_csv(results, names, min(3, len(names)))
    st.download_button(_("Download predictions (CSV)"), csv_text, "predictions.csv", "text/csv",
                       key="predict_csv")  # fmt: skip


def card(index: int, result: FileResult, run: Run, display: Display) -> None:
    """One file: its preprocessing steps, the top classes and the Grad-CAM overlay, or why it failed."""
    with st.container(border=True):
        st.markdown(f"**{plain(result.name)}**")
        if not result.ok:
            st.error(_("This file could not be used: {error}.").format(error=plain(result.error, 300)))
            return
        for note in result.photo.notes:
            st.warning(note)
        steps = result.photo.steps
        for column, step in zip(st.columns(len(steps)), steps):
            column.image(thumbnail(step.image, STEP_HEIGHT), caption=step.title)
            if step.note:
                column.caption(step.note)
        chart, overlay = st.columns(2)
        top = result.top(display.names, display.top_k)
        chart.plotly_chart(top_k_figure(top), key=f"predict_chart_{index}")
        if display.show_cam:
            try:
                caption = _("{method}: where the model saw '{name}'").format(
                    method=_(method(display.method).label), name=top[0][0])
                overlay.image(explain(run, result, display.method), caption=caption)
            except NoConvLayerError as error:
                overlay.info(str(error))


st.title(_("Predict"))
st.caption(_("Drop your own photos (or take one with the webcam) and see what the network thinks, and why."))
run = pickers.pick_model("predict_model")
if run is None:
    st.stop()
options, display = photo_options(run)
files = photo_inputs()
if not files:
    st.info(_("Drop one or more photos above (jpg, png, webp, bmp or gif), or switch on the webcam."))
    st.stop()
try:
    results = predict_files(run, files, options)
except ValueError as error:
    st.error(_("This run cannot predict photos: {error}").format(error=error))
    st.stop()
if len(results) > 1:
    gallery(results, display.names)
for position, file_result in enumerate(results):
    card(position, file_result, run, display)
