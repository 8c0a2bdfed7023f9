"""The dataset registry: every data source, by name, behind one ``load_dataset`` call."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from cnnviz.data.class_names import english_name
from cnnviz.data.archive import ArchiveError, content_hash, extract_cached
from cnnviz.data.budget import LOADED
from cnnviz.data.dataset import Dataset, DatasetSpec, SkippedFile, Split
from cnnviz.data.estimate import (
    check_size,
    folder_bytes,
    idx_bytes,
    keras_bytes,
    npz_bytes,
    shapes_bytes,
    zip_bytes,
)
from cnnviz.data.folders import (
    FolderError,
    check_classes,
    class_folders,
    decode_classes,
    find_split_folders,
    flat_folder_files,
    listed_labels,
    suggest_flat_keywords,
    visible_children,
)
from cnnviz.data.fast_decode import Progress
from cnnviz.data.formats import FormatError, detect_light_on_dark, load_idx_pair, load_npz
from cnnviz.data.keras_datasets import KERAS_DATASETS, DownloadFailed, load_keras_dataset
from cnnviz.data.roots import PathRefused, cache_dir, check_readable
from cnnviz.data.shared_files import touch, trim_oldest
from cnnviz.data.shapes import SHAPE_CLASSES, generate_shapes
from cnnviz.data.source_code import (
    array_file_code,
    flat_folder_source_code,
    folder_source_code,
    keras_dataset_code,
    shapes_code,
    zip_code,
)
from cnnviz.data.split import stratified_split
from cnnviz.i18n import N_, _
from cnnviz.limits import MB, LimitExceeded, limits
from cnnviz.registry import Registry

log = logging.getLogger(__name__)


class DatasetUnavailable(RuntimeError):
    """A dataset that cannot be loaded, with a message meant for the user."""


def save_upload(data: bytes, suffix: str = ".zip") -> Path:
    """Keep an uploaded file in the cache, named by its content, and return its path; the cache is then
    trimmed to ``Limits.upload_cache_mb``, least recently used uploads first."""
    path = cache_dir() / "uploads" / f"{content_hash(data)}{suffix}"
    if path.exists():
        touch(path)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".tmp-{uuid.uuid4().hex}-{path.name}")
    temporary.write_bytes(data)
    temporary.replace(path)
    trim_oldest(path.parent, limits().upload_cache_mb * MB, keep=path)
    return path


def split_arrays(name: str, class_names: list[str], x: np.ndarray, y: np.ndarray, spec: DatasetSpec, **extra) -> Dataset:
    """A Dataset from one pool of images, split by the spec's seed and ratios."""
    boxes = extra.pop("boxes", None)
    pool = Split(x, y.astype(np.int32), boxes)
    train, val, test = (pool.take(i) for i in stratified_split(pool.y, spec.ratios, spec.split_seed))
    return Dataset(name, class_names, train, val, test, split_seed=spec.split_seed, **extra)


def _load_shapes(spec: DatasetSpec, progress: Progress | None = None) -> Dataset:
    x, y, boxes = generate_shapes(spec.count, spec.image_size, seed=spec.split_seed)
    if spec.color_mode == "grayscale":
        x = np.round(x.mean(axis=-1, keepdims=True)).astype(np.uint8)
    return split_arrays("Shapes", list(SHAPE_CLASSES), x, y, spec, boxes=boxes, source="generated offline")


def _load_keras(spec: DatasetSpec, progress: Progress | None = None) -> Dataset:
    title, class_names, _description = KERAS_DATASETS[spec.source]
    (x_pool, y_pool), (x_test, y_test) = load_keras_dataset(spec.source)
    x_pool, y_pool = _limited(x_pool, y_pool, spec)
    train_share, val_share, _test_share = spec.ratios
    train_idx, val_idx, _no_test = stratified_split(y_pool, (train_share, val_share, 0.0), spec.split_seed)
    pool = Split(x_pool, y_pool)
    return Dataset(
        title, class_names, pool.take(train_idx), pool.take(val_idx), Split(x_test, y_test),
        source=f"keras.datasets.{spec.source}", split_seed=spec.split_seed,
        light_on_dark=detect_light_on_dark(x_pool),
    )  # fmt: skip


def _limited(x: np.ndarray, y: np.ndarray, spec: DatasetSpec) -> tuple[np.ndarray, np.ndarray]:
    """A stratified subset of at most spec.limit images (all of them when limit is 0)."""
    if not 0 < spec.limit < len(y):
        return x, y
    keep, _, rest = stratified_split(y, (spec.limit, 0, len(y) - spec.limit), spec.split_seed)
    return x[keep], y[keep]


def _load_array_file(spec: DatasetSpec, progress: Progress | None = None) -> Dataset:
    path = Path(spec.path)
    if spec.source == "idx":
        x, y = load_idx_pair(path)
        names = _idx_class_names(path, y)
    else:
        x, y, names = load_npz(path)
    x, y = _limited(x, y, spec)
    class_names = names or [str(label) for label in range(int(y.max()) + 1)]
    check_classes(class_names, y)
    return split_arrays(path.name, class_names, x, y, spec, source=path.name, light_on_dark=detect_light_on_dark(x))


def _idx_class_names(path: Path, y: np.ndarray) -> list[str] | None:
    """Fashion-MNIST's names when the path says "fashion" (its IDX files are named like MNIST's)."""
    _title, fashion_names, _description = KERAS_DATASETS["fashion_mnist"]
    if "fashion" in str(path).lower() and int(y.max()) + 1 == len(fashion_names):
        return list(fashion_names)
    return None


def _load_folder(spec: DatasetSpec, root: Path | None = None, progress: Progress | None = None) -> Dataset:
    root = root or Path(spec.path)
    if not root.is_dir():
        raise FolderError(_("folder not found: {name}").format(name=root.name))
    splits = find_split_folders(root)
    if splits:
        return _load_split_folders(spec, root, splits, progress)
    return _decode_and_split(root.name, class_folders(root), spec, progress, source=root.name)


def _decode_and_split(
    name: str, files: dict[str, list[Path]], spec: DatasetSpec, progress: Progress | None,
    source: str, listing_skipped: list[SkippedFile] | None = None,
) -> Dataset:  # fmt: skip
    """Decode a folder's files in the order of its seeded split, so train, val and test are
    slices of one array rather than copies. When files are skipped, the split is drawn over
    the files that decoded, as split_arrays does."""
    parts = stratified_split(listed_labels(files), spec.ratios, spec.split_seed)
    decoded = decode_classes(files, spec.image_size, spec.color_mode, progress, order=np.concatenate(parts))
    skipped = (listing_skipped or []) + decoded.skipped
    extra = {"source": source, "skipped": skipped, "light_on_dark": _light(decoded.x)}
    if decoded.skipped:
        back = np.argsort(decoded.listing_index)
        return split_arrays(name, list(files), decoded.x[back], decoded.y[back], spec, **extra)
    ends = np.cumsum([len(part) for part in parts])
    train, val, test = (Split(decoded.x[a:b], decoded.y[a:b]) for a, b in zip((0, *ends[:2]), ends))
    return Dataset(name, list(files), train, val, test, split_seed=spec.split_seed, **extra)


def _load_split_folders(
    spec: DatasetSpec, root: Path, folders: dict[str, Path], progress: Progress | None = None
) -> Dataset:
    """A folder already split into train/ and val/ (or validation/) and/or test/."""
    class_names = list(class_folders(folders["train"]))
    files_per_split = {split: class_folders(folder) for split, folder in folders.items()}
    total = sum(len(paths) for files in files_per_split.values() for paths in files.values())
    parts: dict[str, Split] = {}
    skipped: list[SkippedFile] = []
    decoded = 0
    for split, files in files_per_split.items():
        extra = sorted(set(files) - set(class_names))
        if extra:
            raise FolderError(
                _("{folder}/ has classes that train/ lacks: {names}").format(
                    folder=folders[split].name, names=", ".join(extra)
                )
            )
        x, y, bad, _listing = decode_classes(
            {n: files.get(n, []) for n in class_names}, spec.image_size, spec.color_mode,
            _shifted(progress, decoded, total),
        )
        parts[split], skipped = Split(x, y), skipped + bad
        decoded += sum(len(paths) for paths in files.values())
    parts = _fill_missing_splits(parts, spec)
    return Dataset(
        root.name, class_names, parts["train"], parts["val"], parts["test"], source=_("{name} (its own split)").format(name=root.name),
        split_seed=spec.split_seed, skipped=skipped, light_on_dark=_light(parts["train"].x),
    )  # fmt: skip


def _shifted(progress: Progress | None, before: int, total: int) -> Progress | None:
    """A progress callback for one part of a load: counts after ``before`` files, out of ``total``."""
    if progress is None:
        return None
    return lambda done, _part_total: progress(before + done, total)


def _fill_missing_splits(parts: dict[str, Split], spec: DatasetSpec) -> dict[str, Split]:
    """Carve a missing validation or test split out of train, stratified and seeded."""
    missing = [name for name in ("val", "test") if name not in parts]
    if not missing:
        return parts
    shares = {"train": spec.ratios[0], "val": spec.ratios[1], "test": spec.ratios[2]}
    ratios = tuple(shares[name] if name in missing or name == "train" else 0.0 for name in ("train", "val", "test"))
    indices = stratified_split(parts["train"].y, ratios, spec.split_seed)  # type: ignore[arg-type]
    train = parts["train"]
    carved = dict(zip(("train", "val", "test"), (train.take(i) for i in indices)))
    return {**parts, "train": carved["train"], **{name: carved[name] for name in missing}}


def _load_flat_folder(spec: DatasetSpec, root: Path | None = None, progress: Progress | None = None) -> Dataset:
    root = root or Path(spec.path)
    if not root.is_dir():
        raise FolderError(_("folder not found: {name}").format(name=root.name))
    keywords = list(spec.keywords) or suggest_flat_keywords(root)
    files, unmatched = flat_folder_files(root, keywords)
    return _decode_and_split(root.name, files, spec, progress, _("{name} (classes from file names)").format(name=root.name), unmatched)


def _load_zip(spec: DatasetSpec, progress: Progress | None = None) -> Dataset:
    archive = Path(spec.path)
    if not archive.is_file():
        raise ArchiveError(_("archive not found: {name}").format(name=archive.name))
    root = extract_cached(archive, cache_dir() / "extracted", limits().extracted_mb * MB)
    if any(child.is_dir() for child in visible_children(root)):
        return _load_folder(spec, root, progress)
    return _load_flat_folder(spec, root, progress)


def _light(x: np.ndarray) -> bool:
    return x.shape[-1] == 1 and detect_light_on_dark(x)


@dataclass(frozen=True)
class Source:
    """A dataset source: how it loads, the Data page's widgets for its spec (in order: pages/data.py draws
    each by name, and each sets spec fields), and its code in the lesson's script."""

    key: str
    label: str  # N_() text
    load: Callable[..., Dataset]  # load(spec, progress=...): progress hears decoded image files
    code: Callable[[DatasetSpec], tuple[dict[str, object], str]]  # cnnviz.data.source_code
    estimate: Callable[[DatasetSpec], int]  # decoded bytes, before anything is decoded (cnnviz.data.estimate)
    widgets: tuple[str, ...]  # "image_size", "color_mode", "count", "limit", "downloaded", "path", "upload", "keywords"
    own_test_split: bool = False
    largest_image: int = 256  # the image size widget's maximum (the server's limit may be lower)
    path_suffix: str = ""  # the server path a "path" widget offers: a folder, or a file with this suffix


SOURCES: Registry[Source] = Registry("dataset source")
RESIZED = ("image_size", "color_mode")  # the widgets of a source that decodes images at the spec's size
SOURCES.register(Source("shapes", N_("Shapes (generated offline)"), _load_shapes, shapes_code, shapes_bytes,
                        (*RESIZED, "count"), largest_image=128))  # fmt: skip
KERAS = ("limit", "downloaded")  # a Keras download's widgets
SOURCES.register(Source("mnist", N_("MNIST (Keras download)"), _load_keras, keras_dataset_code, keras_bytes, KERAS,
                        own_test_split=True))  # fmt: skip
SOURCES.register(Source("fashion_mnist", N_("Fashion-MNIST (Keras download)"), _load_keras, keras_dataset_code,
                        keras_bytes, KERAS, own_test_split=True))  # fmt: skip
SOURCES.register(Source("cifar10", N_("CIFAR-10 (Keras download)"), _load_keras, keras_dataset_code, keras_bytes,
                        KERAS, own_test_split=True))  # fmt: skip
SOURCES.register(Source("folder", N_("A folder of class subfolders (or train/val/test)"), _load_folder,
                        folder_source_code, folder_bytes, (*RESIZED, "path")))  # fmt: skip
SOURCES.register(Source("flat_folder", N_("A flat folder, classes from file names"), _load_flat_folder,
                        flat_folder_source_code, folder_bytes, (*RESIZED, "path", "keywords")))  # fmt: skip
SOURCES.register(Source("zip", N_("A zip upload of either kind of folder"), _load_zip, zip_code, zip_bytes,
                        (*RESIZED, "upload")))  # fmt: skip
SOURCES.register(Source("idx", N_("MNIST-style IDX files"), _load_array_file, array_file_code, idx_bytes,
                        ("limit", "path")))  # fmt: skip
SOURCES.register(Source("npz", N_("A NumPy .npz with x and y"), _load_array_file, array_file_code, npz_bytes,
                        ("limit", "path"), path_suffix=".npz"))  # fmt: skip
LOAD_ERRORS = (DownloadFailed, FormatError, FolderError, ArchiveError, PathRefused, LimitExceeded, OSError)


def list_datasets() -> list[str]:
    return list(SOURCES)


def load_dataset(spec: DatasetSpec, progress: Progress | None = None) -> Dataset:
    """Load any registered source; raises DatasetUnavailable with a user-facing message.

    Before anything is read, a path must lie in the server's readable roots (cnnviz.data.roots)
    and the decoded size must fit the limits (cnnviz.data.estimate); every caller asking for the
    same spec while its images are alive gets the same Dataset (cnnviz.data.budget).
    ``progress(done, total)`` hears how many image files of a folder or zip are decoded.
    """
    estimated = check_request(spec)
    try:
        return LOADED.load(spec, estimated, lambda: _decoded(spec, progress))  # type: ignore[return-value]
    except LOAD_ERRORS as error:
        raise DatasetUnavailable(_user_message(error)) from error


def check_request(spec: DatasetSpec) -> int:
    """The checks made before a dataset is read: a known source, a path inside the server's readable
    roots (nothing under it opened before), a decoded size within the limits. Returns the estimated
    decoded bytes; raises DatasetUnavailable."""
    if spec.source not in SOURCES:
        raise DatasetUnavailable(_("Unknown dataset. Choose one of: {names}.").format(names=", ".join(SOURCES)))
    try:
        if spec.path:
            check_readable(spec.path)
        source = SOURCES[spec.source]
        return check_size(spec, source.estimate, resized="image_size" in source.widgets)
    except LOAD_ERRORS as error:
        raise DatasetUnavailable(_user_message(error)) from error


def _decoded(spec: DatasetSpec, progress: Progress | None) -> Dataset:
    dataset = SOURCES[spec.source].load(spec, progress=progress)
    english = [english_name(name) for name in dataset.class_names]
    return replace(dataset, display_names=english, spec=spec)


def _user_message(error: Exception) -> str:
    """What the user reads of a failed load: an OSError by its file's name, never its server path."""
    if not isinstance(error, OSError):
        return str(error)
    log.warning("a dataset could not be read: %s", error)
    name = Path(error.filename).name if error.filename else "?"
    return _("could not read {name} ({reason})").format(name=name, reason=error.strerror or type(error).__name__)


def spec_from_name_or_path(value: str, image_size: int = 64, **options) -> DatasetSpec:
    """A spec from a registry name (shapes, mnist...) or a path to a folder, zip, .npz or IDX."""
    if value in ("shapes", *KERAS_DATASETS):
        return DatasetSpec(source=value, image_size=image_size, **options)
    path = Path(value).expanduser()
    if not path.exists():
        raise DatasetUnavailable(
            _("{value!r} is neither a dataset name ({names}) nor an existing path").format(
                value=value, names=", ".join(SOURCES)
            )
        )
    if path.suffix.lower() in (".zip", ".npz"):
        return DatasetSpec(source=path.suffix.lower()[1:], path=str(path), image_size=image_size, **options)
    is_idx = "idx" in path.name or (path.is_dir() and any("idx3" in p.name for p in path.iterdir()))
    if is_idx:
        return DatasetSpec(source="idx", path=str(path), **options)
    flat = path.is_dir() and not any(child.is_dir() for child in visible_children(path))
    return DatasetSpec(source="flat_folder" if flat else "folder", path=str(path), image_size=image_size, **options)
