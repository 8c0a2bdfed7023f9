"""Each attack of issue 28, as a curious or careless student would try it, now fails safely.

The memory attacks run in a fresh Python each, so the peak resident memory they add can be
measured (Linux's peak resident size, VmHWM, reset after the imports, against the resident
size then) and bounded; each one is refused before the big allocation.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnviz.data.registry import DatasetSpec, DatasetUnavailable, load_dataset, save_upload
from cnnviz.data.roots import ROOTS_ENV
from cnnviz.lesson.link import from_params
from tests.conftest import APPTEST_TIMEOUT_S, REPO_ROOT
from tests.test_folders import zip_bytes

REFUSED_PEAK_MB = 100  # what a refused attack may add to the process's peak memory (each attack asks for GBs)


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_CACHE", str(tmp_path / "cache"))


def png(value: int, size: int = 12) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((size, size, 3), value, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def peak_of(setup: str, attack: str, env: dict[str, str] | None = None) -> dict:
    """Run ``setup``, then ``attack``, in a fresh Python: whether the attack raised (and its message) and how
    many MB it added to the process's resident memory at its peak (Linux's VmHWM, reset after the setup)."""
    script = "\n".join([
        "import json",
        ("def memory(field): return next(int(line.split()[1]) / 1024 for line in open('/proc/self/status')"
         " if line.startswith(field))"),
        textwrap.dedent(setup),
        "open('/proc/self/clear_refs', 'w').write('5')  # the peak (VmHWM) starts again from here",
        "before = memory('VmRSS:')",
        "outcome = {'refused': False, 'message': ''}",
        "try:",
        textwrap.indent(textwrap.dedent(attack), "    "),
        "except Exception as error:",
        "    outcome = {'refused': True, 'message': str(error)}",
        "outcome['peak_mb'] = memory('VmHWM:') - before",
        "print(json.dumps(outcome))",
    ])  # fmt: skip
    result = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=300,
                            cwd=REPO_ROOT, env={**os.environ, **(env or {})})  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- the teacher's disk


@pytest.fixture
def roots(tmp_path, monkeypatch) -> Path:
    """A server whose one readable root holds a small class-folder dataset."""
    root = tmp_path / "datasets"
    for name, value in (("cats", 40), ("dogs", 200)):
        (root / "pets" / name).mkdir(parents=True)
        for index in range(3):
            (root / "pets" / name / f"{index}.png").write_bytes(png(value + index))
    monkeypatch.setenv(ROOTS_ENV, str(root))
    return root


def opened_under(monkeypatch, folder: str) -> list[str]:
    """Every open, walk, scandir or listdir of a path under ``folder`` from now on, recorded."""
    seen: list[str] = []

    def recording(original):
        def call(path=".", *args, **kwargs):
            if str(path).startswith(folder):
                seen.append(f"{original.__name__}({path})")
            return original(path, *args, **kwargs)

        return call

    for module, name in ((builtins, "open"), (os, "walk"), (os, "scandir"), (os, "listdir")):
        monkeypatch.setattr(module, name, recording(getattr(module, name)))
    return seen


def test_a_link_to_usr_is_refused_without_opening_anything_under_it(roots, tmp_path, monkeypatch):
    from cnnviz.data.cache import load_cached

    seen = opened_under(monkeypatch, "/usr")
    state, problems = from_params({"ds": "source:folder,path:/usr"})
    assert not problems and state.dataset.path == "/usr"
    for load in (load_dataset, lambda spec: load_cached(spec, tmp_path / "runs" / ".datasets")):
        with pytest.raises(DatasetUnavailable) as refused:
            load(state.dataset)
        assert "/usr" not in str(refused.value)
    assert seen == []


def test_a_refused_path_says_nothing_of_what_exists(roots, tmp_path):
    (roots / "escape").symlink_to("/usr", target_is_directory=True)  # a link inside a root does not lead out
    messages = set()
    for path in ("/usr", "/no/such/folder", str(roots / "escape"), str(roots / ".." / "..")):
        with pytest.raises(DatasetUnavailable) as refused:
            load_dataset(DatasetSpec(source="folder", path=path, image_size=32))
        messages.add(str(refused.value))
    assert len(messages) == 1 and "/" not in messages.pop()
    dataset = load_dataset(DatasetSpec(source="folder", path=str(roots / "pets"), image_size=32))
    assert dataset.num_classes == 2 and str(roots) not in dataset.source


def test_with_roots_the_data_page_offers_their_folders_instead_of_a_path_box(roots):
    (roots / "escape").symlink_to("/usr", target_is_directory=True)  # not offered: it leads out
    at = AppTest.from_file(str(REPO_ROOT / "pages" / "data.py"), default_timeout=APPTEST_TIMEOUT_S).run()
    at.selectbox[0].set_value("folder").run()
    assert not at.text_input and not at.exception
    picker = at.selectbox[1]
    assert picker.options == ["datasets/pets", "datasets/pets/cats", "datasets/pets/dogs"]
    picker.set_value(str(roots / "pets")).run()
    at.button[0].click().run()
    assert not at.exception and not at.error and at.subheader[0].value == "pets"
    assert not any(str(roots) in caption.value for caption in at.caption)


# ---------------------------------------------------------------- one student, the whole server's memory


def test_a_shapes_link_over_the_limits_is_refused_before_allocation(figure):
    setup = "from cnnviz.data.registry import load_dataset\nfrom cnnviz.lesson.link import from_params"
    for query in ("count:100000000", "count:20000,image_size:4096"):
        outcome = peak_of(setup, f"load_dataset(from_params({{'ds': '{query}'}})[0].dataset)")
        assert outcome["refused"] and "this server allows" in outcome["message"]
        assert figure(f"peak MB of the refused Shapes link {query}", outcome["peak_mb"], below=REFUSED_PEAK_MB)


def test_shapes_are_generated_in_float32_chunks(figure):
    setup = "from cnnviz.data.shapes import generate_shapes"
    outcome = peak_of(setup, "x, y, boxes = generate_shapes(1000, 128)")
    assert not outcome["refused"]
    # 1,000 images at 128 px are 49 MB; float64 noise over all of them peaked at 1.2 GB
    assert figure("peak MB of 1,000 Shapes at 128 px", outcome["peak_mb"], below=49 + 16 * 2 + 30)


def test_an_eight_billion_parameter_model_link_is_refused_before_it_is_built(figure):
    setup = """
        import keras
        from cnnviz.lesson.link import from_params
        from cnnviz.models.architectures import build_model
        keras.layers.Dense(4)(keras.Input((4,)))  # Keras warmed up before the peak is read
    """
    state, _problems = from_params({"ds": "image_size:128", "arch": "custom", "opt": "blocks:1,filters:512,dense_units:4096"})
    attack = f"build_model('custom', (128, 128, 3), 4, **{state.options!r})"
    outcome = peak_of(setup, attack)
    assert outcome["refused"] and "8,589,971,460 parameters" in outcome["message"]
    assert figure("peak MB of the refused 8.6-billion-parameter link", outcome["peak_mb"], below=REFUSED_PEAK_MB)


def test_a_zip_of_tiny_pngs_at_256_px_is_refused_before_decoding(tmp_path, figure):
    entries = {f"{name}/{index}.png": png(index % 250, size=1) for name in ("a", "b") for index in range(1000)}
    archive = save_upload(zip_bytes(entries))
    assert archive.stat().st_size < 400_000  # 2,000 1x1 PNGs: about 314 KB
    setup = "from cnnviz.data.registry import DatasetSpec, load_dataset"
    attack = f"load_dataset(DatasetSpec(source='zip', path={str(archive)!r}, image_size=256))"
    outcome = peak_of(setup, attack, env={"CNNVIZ_CACHE": os.environ["CNNVIZ_CACHE"]})
    assert outcome["refused"] and "times the zip's size" in outcome["message"]
    assert figure("peak MB of the refused 2,000-PNG zip at 256 px", outcome["peak_mb"], below=REFUSED_PEAK_MB)


def huge_dense_upload() -> bytes:
    """A small .keras file whose config declares a 14142x14142 Dense layer (about 200 M parameters)."""
    import keras

    buffer = io.BytesIO()
    path = Path(os.environ["CNNVIZ_CACHE"]) / "small.keras"
    path.parent.mkdir(parents=True, exist_ok=True)
    keras.Sequential([keras.Input((4,)), keras.layers.Dense(4)]).save(path)
    with zipfile.ZipFile(path) as small, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as forged:
        for member in small.infolist():
            data = small.read(member)
            if member.filename == "config.json":
                config = json.loads(data)
                config["config"]["layers"][0]["config"]["batch_shape"] = [None, 14142]
                dense = config["config"]["layers"][1]
                dense["config"]["units"], dense["build_config"]["input_shape"] = 14142, [None, 14142]
                data = json.dumps(config).encode()
            forged.writestr(member, data)
    return buffer.getvalue()


def test_a_small_keras_upload_declaring_a_huge_dense_layer_is_refused_before_keras_builds_it(tmp_path, figure):
    upload = tmp_path / "huge.keras"
    upload.write_bytes(huge_dense_upload())
    assert upload.stat().st_size < 20_000
    setup = """
        import keras
        from pathlib import Path
        from cnnviz.runs.store import load_uploaded_model
        keras.layers.Dense(4)(keras.Input((4,)))
    """
    outcome = peak_of(setup, f"load_uploaded_model(Path({str(upload)!r}).read_bytes())")
    assert outcome["refused"] and f"{14142 * 14142 + 14142:,} parameters" in outcome["message"]
    assert figure("peak MB of the refused 14142x14142 Dense upload", outcome["peak_mb"], below=REFUSED_PEAK_MB)


def test_the_server_wide_budget_refuses_a_load_that_would_pass_it(monkeypatch):
    from cnnviz.data.budget import LoadedDatasets

    unique = {"image_size": 32, "split_seed": 28_028}  # specs no other test loads: nothing else holds them
    # Made before the limit is set: the server's own budget holds whatever earlier tests loaded.
    made = [load_dataset(DatasetSpec(count=count, **unique)) for count in (300, 200)]  # popped 200 first
    monkeypatch.setenv("CNNVIZ_MAX_LOADED_MB", "2")
    budget = LoadedDatasets()
    first = budget.load("a", 1_000_000, made.pop)
    assert budget.load("a", 1_000_000, lambda: pytest.fail("a spec already loaded is shared")) is first
    with pytest.raises(ValueError, match="cannot load"):
        budget.load("b", 1_500_000, lambda: pytest.fail("refused before loading"))
    del first
    assert budget.held_bytes() == 0  # freed images give their bytes back
    budget.load("b", 1_500_000, made.pop)


# ---------------------------------------------------------------- caches under concurrency


def classes_zip() -> bytes:
    """10 classes of 22 PNGs each (220 images), as in the issue."""
    return zip_bytes({f"set/class{c}/{i}.png": png(20 * c + i, size=20) for c in range(10) for i in range(22)})


def test_three_students_loading_one_zip_at_once_at_different_sizes_all_get_it_whole():
    archive = str(save_upload(classes_zip()))
    ready = threading.Barrier(3)
    loaded: dict[int, object] = {}
    failed: list[BaseException] = []

    def load(size: int) -> None:
        ready.wait(timeout=60)
        try:
            loaded[size] = load_dataset(DatasetSpec(source="zip", path=archive, image_size=size))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failed.append(error)

    threads = [threading.Thread(target=load, args=(size,)) for size in (32, 40, 48)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    loaded[56] = load_dataset(DatasetSpec(source="zip", path=archive, image_size=56))  # a fourth, after them
    assert failed == []
    for size, dataset in loaded.items():
        assert dataset.num_classes == 10 and sum(len(s) for s in dataset.splits().values()) == 220
        assert dataset.image_shape == (size, size, 3)


def test_an_extraction_without_its_marker_is_done_again(tmp_path):
    from cnnviz.data.archive import MARKER, extract_cached

    archive = save_upload(classes_zip())
    cache = tmp_path / "extracted"
    root = extract_cached(archive, cache, 10**9)
    (root.parent / MARKER).unlink(missing_ok=True)
    for name in list(root.parent.rglob(MARKER)):
        name.unlink()
    for image in list((root / "class3").iterdir())[:5]:  # a copy cut short
        image.unlink()
    again = extract_cached(archive, cache, 10**9)
    assert len(list((again / "class3").iterdir())) == 22


def test_the_upload_cache_keeps_its_byte_bound_newest_first(monkeypatch):
    monkeypatch.setenv("CNNVIZ_MAX_UPLOAD_CACHE_MB", "1")
    paths = [save_upload(bytes([index]) * 600_000) for index in range(3)]
    assert [path.exists() for path in paths] == [False, False, True]


# ---------------------------------------------------------------- text is text, jobs have an end

MARKDOWN_NAME = "![](http://example.com/x.png) [log in again](http://example.com/login) **bold** " + "a" * 200_000


def test_choice_labels_of_any_control_are_text_escaped_where_markdown_renders_them():
    """Class, layer and run names reach widgets as choices: a radio renders them as Markdown, a select box
    shows them as written; either way one line and capped."""
    from app.controls import _as_text
    from cnnviz.lesson.controls import RADIO, SELECT, Control
    from cnnviz.text import MAX_NAME

    radio, select = (_as_text(Control("k", "label", kind), lambda value: value) for kind in (RADIO, SELECT))
    shown = radio(MARKDOWN_NAME)
    assert "\\!\\[\\]" in shown and "**" not in shown.replace("\\*", "") and len(shown) <= 2 * MAX_NAME
    assert select(MARKDOWN_NAME) == MARKDOWN_NAME[: MAX_NAME - 1] + "…"


def test_a_markdown_run_name_shows_as_plain_text_in_another_sessions_sidebar(tiny_run, tmp_path):
    from app.state import MODEL_KEY
    from cnnviz.runs.store import load_run, read_config, rename_run, save_run

    saved = save_run(tiny_run, tmp_path / "runs")
    rename_run(saved.path, MARKDOWN_NAME)  # one student names the run
    assert len(read_config(saved.path).name) == 80
    other = AppTest.from_file(str(REPO_ROOT / "streamlit_app.py"), default_timeout=APPTEST_TIMEOUT_S)
    other.session_state[MODEL_KEY] = load_run(saved.path)  # another student opens it
    other.run()
    assert not other.exception
    shown = next(m.value for m in other.sidebar.markdown if "log in again" in m.value)
    assert "\\!\\[\\]\\(http\\:" in shown and "\\[log in again\\]\\(http\\:" in shown and "\\*\\*bold" in shown
    assert len(shown) < 200


def test_a_job_over_its_time_budget_stops_as_time_limit_with_its_history_kept(small_shapes, tmp_path, monkeypatch):
    from cnnviz.runs.schema import TIME_LIMIT, TrainConfig
    from cnnviz.runs.store import CHECKPOINT_FILE, read_history
    from cnnviz.training import budget
    from cnnviz.training.jobs import training_job
    from cnnviz.training.worker import DONE, ThreadWorker
    from tests.conftest import tiny_model_run

    job = training_job(tiny_model_run(small_shapes), small_shapes, TrainConfig(epochs=200, batch_size=16), tmp_path)
    progress = job.progress

    class Clock:
        """Real time until two epochs are done, then the job's budget is long spent."""

        @staticmethod
        def monotonic() -> float:
            return time.monotonic() + (10**9 if len(progress.snapshot().history) >= 2 else 0)

    monkeypatch.setattr(budget, "time", Clock)
    worker = ThreadWorker(max_running=1)
    job_id = worker.submit("student", job)
    info = worker.wait(job_id, timeout=300)
    assert info.state == DONE, info.error
    run = worker.result(job_id)
    assert run.config.status == TIME_LIMIT and 2 <= run.config.epochs_run < 200
    assert len(read_history(run.path)) == run.config.epochs_run
    assert not (run.path / CHECKPOINT_FILE).exists()  # a saved run keeps one model


def test_a_real_tiny_budget_ends_the_job_inside_its_training(small_shapes, tmp_path, monkeypatch):
    from cnnviz.runs.schema import TIME_LIMIT, TrainConfig
    from cnnviz.training.jobs import training_job
    from cnnviz.training.worker import DONE, ThreadWorker
    from tests.conftest import tiny_model_run

    monkeypatch.setenv("CNNVIZ_MAX_JOB_MINUTES", "0.001")  # 60 ms: over after the first batch
    worker = ThreadWorker(max_running=1)
    job_id = worker.submit("student", training_job(tiny_model_run(small_shapes), small_shapes,
                                                   TrainConfig(epochs=200, batch_size=16), tmp_path))  # fmt: skip
    info = worker.wait(job_id, timeout=300)
    assert info.state == DONE and worker.result(job_id).config.status == TIME_LIMIT


def test_a_link_setting_a_control_out_of_its_range_opens_the_page_with_its_defaults():
    at = AppTest.from_file(str(REPO_ROOT / "streamlit_app.py"), default_timeout=APPTEST_TIMEOUT_S)
    at.query_params["page"], at.query_params["w"] = "lab", "lab_k:50"  # K's slider goes to 10
    at.run()
    assert not at.exception and at.slider(key="lab_k").value == 4
    assert any("outside its range" in warning.value for warning in at.warning)
