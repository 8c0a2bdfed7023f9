"""Every bench/ script runs in its quick mode: a missing dependency or a broken import fails here.

Each bench runs as its own process (``python -m bench.NAME --quick``), exactly as a user runs
it, and must end with its figure: a label, a colon, then a number.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCHES = sorted(path.stem for path in (REPO_ROOT / "bench").glob("*.py") if not path.stem.startswith("_"))
FIGURE = re.compile(r"^[^:]+: -?\d+(\.\d+)?%?( |$)")  # "gradcam ms per image: 12.3", "...: 42.0% (...)"


def test_the_benches_are_found():
    assert "gradcam" in BENCHES and "folder_pipeline" in BENCHES


@pytest.mark.parametrize("name", BENCHES)
def test_bench_runs_quickly_and_ends_with_its_figure(name):
    started = time.perf_counter()
    finished = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--quick"], cwd=REPO_ROOT, capture_output=True, text=True,
        timeout=600,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    last_line = finished.stdout.strip().splitlines()[-1]
    print(f"bench.{name} --quick: {time.perf_counter() - started:.1f} s; {last_line}")
    assert FIGURE.match(last_line), finished.stdout
