"""Starting the cnnviz app as `streamlit run` does, on a free port: for the browser tests and the classroom bench."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

# An unhandled exception shows a Python exception name followed by a colon, or a traceback.
UNHANDLED = re.compile(r"Traceback \(most recent call last\)|\b[A-Z]\w*(Error|Exception): |has encountered an error")
HEALTH_POLL_S = 0.5  # how often start() asks the server whether it is up


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AppServer:
    """`python -m streamlit run streamlit_app.py` in its own process group, on a free port."""

    def __init__(self, repo: Path, state: Path) -> None:
        self.repo = repo
        self.state = state
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.log_path = state / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def runs_dir(self) -> Path:
        return self.state / "runs"

    def env(self) -> dict[str, str]:
        return {
            **os.environ, "CNNVIZ_RUNS_DIR": str(self.runs_dir), "CNNVIZ_CACHE": str(self.state / "cache"),
            "KERAS_HOME": str(self.state / "keras"), "CNNVIZ_MAX_TRAININGS": "2", "TF_CPP_MIN_LOG_LEVEL": "2",
        }  # fmt: skip

    def start(self, timeout: float = 300) -> None:
        """Start the server and wait until /_stcore/health answers "ok"."""
        self.port = free_port()
        command = [
            sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(self.port),
            "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none", "--client.showErrorDetails", "full",
        ]  # fmt: skip
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                command, cwd=self.repo, env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._healthy():
                return
            try:  # between health checks, wait for the process to exit (then say why) rather than sleep
                self.process.wait(timeout=HEALTH_POLL_S)
            except subprocess.TimeoutExpired:
                continue
            raise RuntimeError(f"streamlit exited with {self.process.returncode}:\n{self.log_tail()}")
        raise TimeoutError(f"streamlit not healthy after {timeout}s:\n{self.log_tail()}")

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}_stcore/health", timeout=2) as response:
                return response.read().decode().strip() == "ok"
        except OSError:
            return False

    def stop(self) -> None:
        """Terminate the whole process group; kill it if it does not exit in 10 s."""
        if self.process is None or self.process.poll() is not None:
            return
        for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)
                self.process.wait(grace)
                return
            except ProcessLookupError:
                return
            except subprocess.TimeoutExpired:
                continue

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
