"""The code of each dataset source, for the lesson's script: it loads the source's images as the app does.

Each ``*_code(spec)`` returns the settings it uses (the script's capitalised variables) and its code; every
source's code ends with the names ``x_train, y_train, x_val, y_val, x_test, y_test`` or with one pool ``x, y``
split by ``POOL_SPLIT``, and ``class_names``. ``cnnviz/lesson/data_code.py`` puts the split function first.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from cnnviz.data.dataset import DatasetSpec
from cnnviz.data.folders import find_split_folders, suggest_flat_keywords
from cnnviz.data.shapes import SHAPE_CLASSES

POOL_SPLIT = """
train, val, test = split_by_class(y, np.array(RATIOS) / np.sum(RATIOS), SPLIT_SEED)
x_train, y_train = x[train], y[train]
x_val, y_val = x[val], y[val]
x_test, y_test = x[test], y[test]
""".strip()

FOLDER_LOADER = '''
def load_class_folders(folder, class_names=None):
    """Every image of a folder of class subfolders, resized, as uint8 arrays."""
    data = keras.utils.image_dataset_from_directory(
        folder, class_names=class_names, color_mode=COLOR_MODE, image_size=(IMAGE_SIZE, IMAGE_SIZE),
        batch_size=None, shuffle=False,
    )
    images = np.stack([image.numpy() for image, _label in data]).round().astype("uint8")
    labels = np.array([int(label) for _image, label in data], dtype="int32")
    return images, labels, data.class_names
'''.strip()

FLAT_LOADER = '''
def keyword_of(file_name, keywords):
    """The longest keyword a file name starts with, or failing that contains."""
    name = file_name.lower()
    for test in (name.startswith, lambda keyword: keyword in name):
        matches = [keyword for keyword in keywords if test(keyword.lower())]
        if matches:
            return max(matches, key=len)
    return None


images, labels = [], []
for path in sorted(Path(FOLDER).iterdir()):
    keyword = keyword_of(path.name, KEYWORDS)
    if keyword is None or path.suffix.lower() not in IMAGE_SUFFIXES:
        continue  # not an image of a known class
    try:
        image = keras.utils.load_img(path, color_mode=COLOR_MODE, target_size=(IMAGE_SIZE, IMAGE_SIZE))
    except (OSError, ValueError) as error:
        print(f"skipped {path.name}: {error}")
        continue
    images.append(keras.utils.img_to_array(image).astype("uint8"))
    labels.append(KEYWORDS.index(keyword))
x, y = np.stack(images), np.array(labels, dtype="int32")
class_names = list(KEYWORDS)
'''.strip()

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp")


def shapes_code(spec: DatasetSpec) -> tuple[dict[str, object], str]:
    grayscale = "\nx = np.round(x.mean(axis=-1, keepdims=True)).astype(np.uint8)  # grayscale" * (
        spec.color_mode == "grayscale"
    )
    code = (
        "from cnnviz.data.shapes import generate_shapes  # pip install cnnviz: the app's generator\n\n"
        "x, y, _boxes = generate_shapes(COUNT, IMAGE_SIZE, seed=SPLIT_SEED)" + grayscale + "\n"
        f"class_names = {list(SHAPE_CLASSES)!r}\n" + POOL_SPLIT
    )
    return {"IMAGE_SIZE": spec.image_size, "COUNT": spec.count}, code


def keras_dataset_code(spec: DatasetSpec) -> tuple[dict[str, object], str]:
    limit = ""
    if spec.limit:
        limit = (
            "if 0 < LIMIT < len(y):  # a stratified subset of the training pool\n"
            "    keep, _unused, _rest = split_by_class(y, np.array([LIMIT, 0, len(y) - LIMIT]) / len(y), SPLIT_SEED)\n"
            "    x, y = x[keep], y[keep]\n"
        )
    code = (
        f"(x, y), (x_test, y_test) = keras.datasets.{spec.source}.load_data()  # downloaded once by Keras\n"
        "x, x_test = (a[..., np.newaxis] if a.ndim == 3 else a for a in (x, x_test))  # channel axis\n"
        "y, y_test = y.reshape(-1).astype('int32'), y_test.reshape(-1).astype('int32')\n"
        f"{limit}"
        "# the dataset has its own test split: train and validation come from its training set\n"
        "train, val, _none = split_by_class(y, np.array([RATIOS[0], RATIOS[1], 0.0]) / (RATIOS[0] + RATIOS[1]), SPLIT_SEED)\n"
        "x_train, y_train, x_val, y_val = x[train], y[train], x[val], y[val]"
    )
    return {"LIMIT": spec.limit} if spec.limit else {}, code


def folder_code(spec: DatasetSpec, folder: Path) -> tuple[dict[str, object], str]:
    settings = {"FOLDER": str(folder), "IMAGE_SIZE": spec.image_size, "COLOR_MODE": spec.color_mode}
    splits = find_split_folders(folder) if folder.is_dir() else {}
    if not splits:
        return settings, FOLDER_LOADER + "\n\n\nx, y, class_names = load_class_folders(FOLDER)\n" + POOL_SPLIT
    lines = [FOLDER_LOADER, "", "", "# the folder is already split into train/, val/ and test/ folders"]
    lines.append(f"x_train, y_train, class_names = load_class_folders(Path(FOLDER) / {splits['train'].name!r})")
    for split in ("val", "test"):
        if split in splits:
            lines.append(
                f"x_{split}, y_{split}, _names = load_class_folders(Path(FOLDER) / {splits[split].name!r}, class_names)"
            )
    missing = [split for split in ("val", "test") if split not in splits]
    if missing:
        ratios = ", ".join(f"RATIOS[{i}]" if split in ("train", *missing) else "0.0"
                           for i, split in enumerate(("train", "val", "test")))  # fmt: skip
        lines.append(f"# carve the missing {' and '.join(missing)} split out of train, stratified and seeded")
        lines.append(f"shares = np.array([{ratios}])")
        lines.append("train, val, test = split_by_class(y_train, shares / shares.sum(), SPLIT_SEED)")
        for split in missing:
            lines.append(f"x_{split}, y_{split} = x_train[{split}], y_train[{split}]")
        lines.append("x_train, y_train = x_train[train], y_train[train]")
    return settings, "\n".join(lines)


def flat_folder_code(spec: DatasetSpec, folder: Path) -> tuple[dict[str, object], str]:
    keywords = list(spec.keywords) or (suggest_flat_keywords(folder) if folder.is_dir() else [])
    settings = {
        "FOLDER": str(folder), "IMAGE_SIZE": spec.image_size, "COLOR_MODE": spec.color_mode,
        "KEYWORDS": keywords, "IMAGE_SUFFIXES": IMAGE_SUFFIXES,
    }  # fmt: skip
    return settings, FLAT_LOADER + "\n" + POOL_SPLIT


def zip_code(spec: DatasetSpec) -> tuple[dict[str, object], str]:
    archive = Path(spec.path)
    names = zipfile.ZipFile(archive).namelist() if archive.is_file() else []
    nested = any(name.rstrip("/").count("/") >= 1 for name in names)
    folder = Path("extracted")
    settings, code = (folder_code if nested else flat_folder_code)(spec, folder)
    unpack = f"import shutil\n\nshutil.unpack_archive({str(archive)!r}, FOLDER)  # the uploaded zip\n"
    return settings, unpack + code


def array_file_code(spec: DatasetSpec) -> tuple[dict[str, object], str]:
    if spec.source == "npz":
        load = "with np.load(PATH) as archive:\n    x, y = archive['x'], archive['y'].astype('int32')"
    else:
        load = "from cnnviz.data.formats import load_idx_pair  # reads the (gzipped) IDX pair\n\nx, y = load_idx_pair(Path(PATH))"
    code = load + "\nclass_names = [str(label) for label in range(int(y.max()) + 1)]\n" + POOL_SPLIT
    return {"PATH": spec.path}, code


def folder_source_code(spec: DatasetSpec) -> tuple[dict[str, object], str]:
    return folder_code(spec, Path(spec.path))


def flat_folder_source_code(spec: DatasetSpec) -> tuple[dict[str, object], str]:
    return flat_folder_code(spec, Path(spec.path))
