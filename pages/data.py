"""Data page: choose a dataset, see its classes, splits and samples."""

from pathlib import Path

import streamlit as st

from cnnviz.data.report import class_counts_figure, imbalance_message, samples_per_class
from cnnviz.data.keras_datasets import keras_cache_dir
from cnnviz.data.registry import SOURCES, DatasetSpec, save_upload, suggest_flat_keywords
from pages import _session

PATH_SOURCES = {"folder", "flat_folder", "idx", "npz"}
OWN_SPLIT_SOURCES = {"mnist", "fashion_mnist", "cifar10"}


def source_options(source: str, current: DatasetSpec) -> dict | None:
    """The widgets for one source; returns the spec fields they set, or None if incomplete."""
    options: dict = {}
    if source in ("shapes", "folder", "flat_folder", "zip"):
        options["image_size"] = st.slider("Image size (pixels, square)", 32, 128 if source == "shapes" else 256,
                                          min(current.image_size, 128), step=8)  # fmt: skip
        options["color_mode"] = st.radio("Colour", ["rgb", "grayscale"], horizontal=True)
    if source == "shapes":
        options["count"] = st.number_input("Number of images", 200, 20000, current.count, step=200)
    if source in OWN_SPLIT_SOURCES | {"idx", "npz"}:
        options["limit"] = st.number_input("Use at most this many training images (0 = all)", 0, 60000, 0, step=1000)
    if source in OWN_SPLIT_SOURCES:
        st.caption(f"Downloaded by Keras once and cached in `{keras_cache_dir()}`.")
    if source in PATH_SOURCES:
        path = st.text_input("Path on the server", placeholder="/data/animals10 or ../shared/data/weather_small")
        if not path:
            return None
        options["path"] = path
    if source == "zip":
        upload = st.file_uploader("Zip of class folders, of train/val/test folders, or of a flat folder", type=["zip"])
        if upload is None:
            return None
        options["path"] = str(save_upload(upload.getvalue()))
    if source == "flat_folder" and not _keywords(options):
        return None
    return options


def _keywords(options: dict) -> bool:
    """Editable class keywords for a flat folder, suggested from its file names."""
    folder = Path(options["path"])
    if not folder.is_dir():
        st.error(f"Folder not found: {folder}")
        return False
    suggested = suggest_flat_keywords(folder)
    text = st.text_input("Class keywords found in the file names (comma separated, editable)", ", ".join(suggested))
    options["keywords"] = tuple(k.strip() for k in text.split(",") if k.strip())
    return True


def split_options(source: str, current: DatasetSpec) -> dict:
    with st.expander("Split", expanded=False):
        seed = st.number_input("Split seed (same seed, same split)", 0, 2**31 - 1, current.split_seed)
        train = st.slider("Train %", 10, 90, int(current.ratios[0] * 100))
        val = st.slider("Validation %", 5, 50, int(current.ratios[1] * 100))
        if source in OWN_SPLIT_SOURCES:
            st.caption("This dataset has its own test split; train and validation come from its training set.")
        test = max(0, 100 - train - val)
        st.caption(f"Test: {test}% (used only when the source has no test split of its own)")
    return {"split_seed": int(seed), "ratios": (train / 100, val / 100, test / 100)}


def choose_dataset() -> None:
    current = _session.current_dataset_spec()
    names = list(SOURCES)
    source = st.selectbox("Source", names, index=names.index(current.source), format_func=lambda s: SOURCES[s][0])
    options = source_options(source, current)
    options = None if options is None else {**options, **split_options(source, current)}
    if st.button("Load dataset", type="primary", disabled=options is None):
        spec = DatasetSpec(source=source, **options)
        dataset = _session.try_load_dataset(spec)
        if dataset is not None:
            _session.set_current_dataset(dataset)


def edit_display_names() -> None:
    dataset = _session.current_dataset()
    with st.expander("Class display names", expanded=False):
        table = st.data_editor(
            {"class": dataset.class_names, "display name": dataset.display_names},
            disabled=["class"], hide_index=True, key="display_names_editor",
        )  # fmt: skip
        names = [str(n).strip() or c for n, c in zip(table["display name"], dataset.class_names)]
        if names != dataset.display_names:
            _session.set_current_dataset(dataset.with_display_names(names))
            st.rerun()


def show_dataset() -> None:
    dataset = _session.current_dataset()
    height, width, channels = dataset.image_shape
    st.subheader(dataset.name)
    cols = st.columns(4)
    cols[0].metric("Classes", dataset.num_classes)
    cols[1].metric("Image size", f"{height}×{width}")
    cols[2].metric("Channels", "RGB (3)" if channels == 3 else "grayscale (1)")
    cols[3].metric("Images", f"{len(dataset.train)} / {len(dataset.val)} / {len(dataset.test)}", help="train / validation / test")
    st.caption(f"Source: {dataset.source}")
    if dataset.skipped:
        count = len(dataset.skipped)
        with st.expander(f"⚠️ {count} file{' was' if count == 1 else 's were'} skipped", expanded=True):
            st.dataframe({"file": [s.path for s in dataset.skipped], "reason": [s.reason for s in dataset.skipped]})
    if message := imbalance_message(dataset):
        st.warning(message)
    st.plotly_chart(class_counts_figure(dataset), width="stretch")
    edit_display_names()
    st.markdown("**Samples per class** (training split)")
    for name, images in samples_per_class(dataset, per_class=8):
        st.image(list(images), caption=[name] * len(images), width=72)


st.title("Data")
with st.container(border=True):
    choose_dataset()
show_dataset()
