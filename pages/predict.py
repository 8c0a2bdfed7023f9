"""Predict page: drop photos or take a picture, see each preprocessing step, the top classes and why."""

import streamlit as st

from cnnviz.data.images import IMAGE_EXTENSIONS
from cnnviz.models.layers import NoConvLayerError
from cnnviz.photos.prepare import PhotoOptions, thumbnail
from cnnviz.photos.predict import FileResult, explain, predict_files, results_csv, top_k_figure
from cnnviz.runs.store import Run
from pages import _session

FIT_LABELS = {
    "auto": "Automatic (from the run)",
    "object": "Find the object, crop and centre it",
    "crop": "Keep the aspect ratio, crop the centre",
    "pad": "Keep the aspect ratio, pad the sides",
}
INVERT_LABELS = {"auto": "Automatic (polarity check)", "always": "Always invert", "never": "Never invert"}
STEP_HEIGHT = 96


def photo_options(run: Run) -> tuple[PhotoOptions, int, bool]:
    """Preprocessing choices, how many classes to list, and whether to draw Grad-CAM."""
    with st.expander("Preprocessing and display", expanded=False):
        light = run.config.preprocessing.light_on_dark
        st.caption(
            "This run was trained on light objects on a dark background: photos are checked for "
            "polarity, cropped to the object and centred." if light
            else "Photos are resized to this run's input keeping their aspect ratio (centre crop by default)."
        )
        fit = st.radio("Framing", list(FIT_LABELS), format_func=FIT_LABELS.get, key="predict_fit")
        invert = st.radio("Invert", list(INVERT_LABELS), format_func=INVERT_LABELS.get, key="predict_invert",
                          horizontal=True)  # fmt: skip
        default_margin = round(PhotoOptions().margin * 100)
        margin = st.slider("Margin around a found object (%)", 0, 40, default_margin, key="predict_margin") / 100
        classes = len(run.display_names)
        top_k = st.slider("Classes to show", 1, classes, min(3, classes), key="predict_top") if classes > 1 else 1
        show_cam = st.checkbox("Grad-CAM overlay for the top class", True, key="predict_cam")
    return PhotoOptions(fit=fit, invert=invert, margin=margin), top_k, show_cam


def photo_inputs() -> list[tuple[str, bytes]]:
    """Uploaded files plus, when the webcam is switched on, its picture."""
    uploads = st.file_uploader(
        "Drop photos here", type=[e[1:] for e in IMAGE_EXTENSIONS], accept_multiple_files=True, key="predict_files"
    )
    files = [(upload.name, upload.getvalue()) for upload in uploads or []]
    if st.toggle("Use the webcam", key="predict_webcam"):
        shot = st.camera_input("Take a picture", key="predict_camera")
        if shot is not None:
            files.append(("webcam.jpg", shot.getvalue()))
    return files


def gallery(results: list[FileResult], run: Run) -> None:
    """Every file at a glance, and the predictions as a CSV download."""
    st.subheader(f"{len(results)} files")
    columns = st.columns(6)
    for index, result in enumerate(results):
        with columns[index % 6]:
            if result.ok:
                name, probability = result.top(run.display_names, 1)[0]
                st.image(thumbnail(result.photo.image, STEP_HEIGHT), caption=f"{result.name}: {name} {probability:.0%}")
            else:
                st.caption(f"⚠️ {result.name}: not used")
    csv_text = results_csv(results, run.display_names, min(3, len(run.display_names)))
    st.download_button("Download predictions (CSV)", csv_text, "predictions.csv", "text/csv", key="predict_csv")


def card(index: int, result: FileResult, run: Run, top_k: int, show_cam: bool) -> None:
    """One file: its preprocessing steps, the top classes and the Grad-CAM overlay, or why it failed."""
    with st.container(border=True):
        st.markdown(f"**{result.name}**")
        if not result.ok:
            st.error(f"This file could not be used: {result.error}.")
            return
        for note in result.photo.notes:
            st.warning(note)
        steps = result.photo.steps
        for column, step in zip(st.columns(len(steps)), steps):
            column.image(thumbnail(step.image, STEP_HEIGHT), caption=step.title)
            if step.note:
                column.caption(step.note)
        chart, overlay = st.columns(2)
        top = result.top(run.display_names, top_k)
        chart.plotly_chart(top_k_figure(top), key=f"predict_chart_{index}")
        if show_cam:
            try:
                overlay.image(explain(run, result), caption=f"Grad-CAM: where the model saw '{top[0][0]}'")
            except NoConvLayerError as error:
                overlay.info(str(error))


st.title("Predict")
st.caption("Drop your own photos (or take one with the webcam) and see what the network thinks, and why.")
run = _session.pick_model("predict_model")
if run is None:
    st.stop()
options, top_k, show_cam = photo_options(run)
files = photo_inputs()
if not files:
    st.info("Drop one or more photos above (jpg, png, webp, bmp or gif), or switch on the webcam.")
    st.stop()
try:
    results = predict_files(run, files, options)
except ValueError as error:
    st.error(f"This run cannot predict photos: {error}")
    st.stop()
if len(results) > 1:
    gallery(results, run)
for position, file_result in enumerate(results):
    card(position, file_result, run, top_k, show_cam)
