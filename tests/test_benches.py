"""Every bench/ script runs in its quick mode: a missing dependency or a broken import fails here.

Each bench runs as its own process (``python -m bench.NAME --quick``), exactly as a user runs
it, and must end with its figure: a label, a colon, then a number. Most of a quick run is
TensorFlow's import, one core's work, so the benches run two at a time.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCHES = sorted(path.stem for path in (REPO_ROOT / "bench").glob("*.py") if not path.stem.startswith("_"))
# "gradcam ms per image: 12.3", "...: 42.0% (...)", "classroom 3 sessions: exceptions=0 ... p95_page_s=3.02"
FIGURE = re.compile(r"^[^:]+: (-?\d+(\.\d+)?%?( |$)|(\w+=-?\d+(\.\d+)? ?)+$)")
AT_ONCE = 2


def run_quick(name: str) -> tuple[subprocess.CompletedProcess, float]:
    """The bench's quick run and its wall-clock seconds."""
    started = time.perf_counter()
    finished = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--quick"], cwd=REPO_ROOT, capture_output=True, text=True,
        timeout=600,
    )
    return finished, time.perf_counter() - started


@pytest.fixture(scope="module")
def quick_runs(request: pytest.FixtureRequest):
    """The quick runs of the benches this session selected, started together, AT_ONCE at a time."""
    selected = [
        item.callspec.params["name"] for item in request.session.items
        if getattr(item, "originalname", None) == "test_bench_runs_quickly_and_ends_with_its_figure"
    ]
    with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        runs: dict[str, Future] = {name: pool.submit(run_quick, name) for name in selected}
        yield runs


def test_the_benches_are_found():
    assert "gradcam" in BENCHES and "folder_pipeline" in BENCHES


@pytest.mark.parametrize("name", BENCHES)
def test_bench_runs_quickly_and_ends_with_its_figure(name, quick_runs):
    finished, seconds = quick_runs[name].result()
    assert finished.returncode == 0, finished.stderr[-3000:]
    last_line = finished.stdout.strip().splitlines()[-1]
    print(f"bench.{name} --quick: {seconds:.1f} s (two benches at a time); {last_line}")
    assert FIGURE.match(last_line), finished.stdout
