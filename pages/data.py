"""Data page: choose a dataset, see its classes, splits and samples."""

# ruff: noqa: E402
from app.page import app_page

app_page(needs_keras=False)  # first: the whole app when opened by its own URL; the first page needs no TensorFlow

from pathlib import Path

import streamlit as st

from app import controls, lesson, loading, state
from cnnviz.data.class_names import both_languages, display_names
from cnnviz.data.dataset import Dataset
from cnnviz.data.folders import suggest_flat_keywords
from cnnviz.data.registry import SOURCES, DatasetSpec, Source, save_upload
from cnnviz.data.report import class_counts_figure, imbalance_message, samples_per_class
from cnnviz.data.roots import PathRefused, check_readable, readable_roots, root_choices, shown_name
from cnnviz.i18n import N_, SOURCE_LANGUAGE, _, current_language, ngettext
from cnnviz.lesson.pages import page_controls
from cnnviz.limits import limits
from cnnviz.text import plain, shorten

COLOR_MODES = {"rgb": N_("rgb"), "grayscale": N_("grayscale")}
OVERRIDES_KEY = "display_name_overrides"  # {dataset name: {language: [display names]}}


def source_options(source: Source, current: DatasetSpec) -> dict | None:
    """The source's widgets, in its order; the spec fields they set, or None while one is incomplete."""
    options: dict = {}
    for name in source.widgets:
        fields = WIDGETS[name](source, current, options)
        if fields is None:
            return None
        options.update(fields)
    return options


def image_size_widget(source: Source, current: DatasetSpec, options: dict) -> dict:
    largest = min(source.largest_image, limits().image_size)
    size = st.slider(_("Image size (pixels, square)"), 32, largest, min(current.image_size, 128, largest), step=8)
    return {"image_size": size}


def color_mode_widget(source: Source, current: DatasetSpec, options: dict) -> dict:
    mode = st.radio(_("Colour"), list(COLOR_MODES), horizontal=True, format_func=lambda mode: _(COLOR_MODES[mode]))
    return {"color_mode": mode}


def count_widget(source: Source, current: DatasetSpec, options: dict) -> dict:
    return {"count": st.number_input(_("Number of images"), 200, 20000, current.count, step=200)}


def limit_widget(source: Source, current: DatasetSpec, options: dict) -> dict:
    return {"limit": st.number_input(_("Use at most this many training images (0 = all)"), 0, 60000, 0, step=1000)}


def downloaded_note(source: Source, current: DatasetSpec, options: dict) -> dict:
    st.caption(_("Downloaded by Keras once and cached on the server."))
    return {}


def path_widget(source: Source, current: DatasetSpec, options: dict) -> dict | None:
    path = server_path(source.path_suffix)
    return {"path": path} if path else None


def upload_widget(source: Source, current: DatasetSpec, options: dict) -> dict | None:
    upload = st.file_uploader(_("Zip of class folders, of train/val/test folders, or of a flat folder"), type=["zip"])
    return None if upload is None else {"path": str(save_upload(upload.getvalue()))}


def server_path(suffix: str) -> str | None:
    """The dataset's path on the server: picked among the folders (or .npz files) under the server's
    readable roots, or typed when the server sets none (one person on their own machine)."""
    if readable_roots() is None:
        return st.text_input(_("Path on the server"), placeholder=_("/data/animals10 or ../shared/data/weather_small"))
    choices = [str(path) for path in root_choices(suffix)]
    if not choices:
        st.info(_("This server offers no datasets of this kind."))
        return None
    return st.selectbox(_("Dataset on the server"), choices, index=None, placeholder=_("Choose a dataset"),
                        format_func=lambda path: shorten(shown_name(Path(path))))  # fmt: skip


def keywords_widget(source: Source, current: DatasetSpec, options: dict) -> dict | None:
    """Editable class keywords for a flat folder, suggested from its file names."""
    try:
        folder = check_readable(options["path"])
    except PathRefused as error:
        st.error(str(error))
        return None
    if not folder.is_dir():
        st.error(_("Folder not found: {path}").format(path=plain(folder.name)))
        return None
    suggested = suggest_flat_keywords(folder)
    text = st.text_input(_("Class keywords found in the file names (comma separated, editable)"), ", ".join(suggested))
    return {"keywords": tuple(k.strip() for k in text.split(",") if k.strip())}


WIDGETS = {  # a source's widget names (cnnviz.data.registry.Source.widgets) -> the function drawing it
    "image_size": image_size_widget, "color_mode": color_mode_widget, "count": count_widget, "limit": limit_widget,
    "downloaded": downloaded_note, "path": path_widget, "upload": upload_widget, "keywords": keywords_widget,
}  # fmt: skip


def split_options(source: Source, current: DatasetSpec) -> dict:
    with st.expander(_("Split"), expanded=False):
        seed = st.number_input(_("Split seed (same seed, same split)"), 0, 2**31 - 1, current.split_seed)
        train = st.slider(_("Train %"), 10, 90, int(current.ratios[0] * 100))
        val = st.slider(_("Validation %"), 5, 50, int(current.ratios[1] * 100))
        if source.own_test_split:
            st.caption(_("This dataset has its own test split; train and validation come from its training set."))
        test = max(0, 100 - train - val)
        st.caption(_("Test: {percent}% (used only when the source has no test split of its own)").format(percent=test))
    return {"split_seed": int(seed), "ratios": (train / 100, val / 100, test / 100)}


def choose_dataset() -> None:
    current = state.current_dataset_spec()
    names = list(SOURCES)
    source = st.selectbox(
        _("Source"), names, index=names.index(current.source), format_func=lambda s: _(SOURCES[s].label)
    )
    options = source_options(SOURCES[source], current)
    options = None if options is None else {**options, **split_options(SOURCES[source], current)}
    if st.button(_("Load dataset"), type="primary", disabled=options is None):
        spec = DatasetSpec(source=source, **options)
        dataset = load_with_progress(spec)
        if dataset is not None:
            state.set_current_dataset(dataset)


def load_with_progress(spec: DatasetSpec) -> Dataset | None:
    """Load the dataset; while image files are decoded, a progress bar counts them."""
    bar = st.empty()

    def show(done: int, total: int) -> None:
        text = _("Decoding images: {done:,} of {total:,}").format(done=done, total=total)
        bar.progress(done / max(total, 1), text=text)

    dataset = loading.try_load_dataset(spec, progress=show)
    bar.empty()
    return dataset


def name_overrides() -> dict[str, list[str]]:
    """This session's display names per language code, for the current dataset (English edits the dataset)."""
    overrides = st.session_state.setdefault(OVERRIDES_KEY, {})
    return overrides.setdefault(state.current_dataset().name, {})


def edit_display_names(shown: list[str]) -> None:
    """Edit the current language's display names (English ones are the dataset's, kept in its runs)."""
    dataset = state.current_dataset()
    with st.expander(_("Class display names"), expanded=False):
        table = st.data_editor(
            {"class": dataset.class_names, "display name": shown},
            disabled=["class"], hide_index=True, key=f"display_names_editor_{current_language()}",
            column_config={"class": _("class"), "display name": _("display name")},
        )  # fmt: skip
        names = [str(n).strip() or c for n, c in zip(table["display name"], dataset.class_names)]
        if names == shown:
            return
        if current_language() == SOURCE_LANGUAGE:
            state.set_current_dataset(dataset.with_display_names(names))
        else:
            name_overrides()[current_language()] = names
        st.rerun()


def show_dataset() -> None:
    dataset = state.current_dataset()
    height, width, channels = dataset.image_shape
    names = display_names(dataset.display_names, name_overrides())
    st.subheader(plain(dataset.name))
    cols = st.columns(4)
    cols[0].metric(_("Classes"), dataset.num_classes)
    cols[1].metric(_("Image size"), f"{height}×{width}")
    cols[2].metric(_("Channels"), _("RGB (3)") if channels == 3 else _("grayscale (1)"))
    cols[3].metric(
        _("Images"), f"{len(dataset.train)} / {len(dataset.val)} / {len(dataset.test)}",
        help=_("train / validation / test"),
    )
    st.caption(_("Source: {source}").format(source=plain(dataset.source)))
    if dataset.skipped:
        count = len(dataset.skipped)
        skipped = ngettext("⚠️ {count} file was skipped", "⚠️ {count} files were skipped", count)
        with st.expander(skipped.format(count=count), expanded=True):
            st.dataframe({
                _("file"): [Path(s.path).name for s in dataset.skipped], _("reason"): [str(s.reason) for s in dataset.skipped],
            })
    if message := imbalance_message(dataset, names):
        st.warning(plain(message, 1000))  # it names the classes: text from the dataset's folders
    st.plotly_chart(class_counts_figure(dataset, names), width="stretch")
    edit_display_names(names)
    st.markdown(_("**Samples per class** (training split)"))
    english_only = current_language() == SOURCE_LANGUAGE
    both = controls.draw(st, page_controls("data")["data_both_languages"], disabled=english_only)
    for english, (name, images) in zip(dataset.display_names, samples_per_class(dataset, per_class=8, names=names)):
        caption = both_languages(english, name) if both else name
        st.image(list(images), caption=[caption] * len(images), width=72)


st.title(_("Data"))
with st.container(border=True):
    choose_dataset()
show_dataset()
lesson.code_expander("data")
