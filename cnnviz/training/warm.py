"""Warm training processes: interpreters with TensorFlow imported, kept from one job to the next.

A fresh interpreter costs a job seconds (TensorFlow's import, its first trace), more than a
short training itself. A ``ProcessPool`` hands each job an idle ``TrainingProcess`` (``python -m
cnnviz.training.child THREADS``, spawned, never forked), else starts one. The job's request goes
to the process as one line on its stdin, the answer comes back as one line on its stdout. A
process is replaced by a fresh one (starting at once, so the next job finds it warm) after
JOBS_PER_PROCESS jobs, after a job that failed, or when it died; one left idle for IDLE_EXIT_S
seconds exits, and its memory goes back to the system.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import cnnviz

JOBS_PER_PROCESS = 20  # then a fresh interpreter: whatever a long-lived TensorFlow keeps is let go
IDLE_EXIT_S = 300.0
CHILD_MODULE = "cnnviz.training.child"
PACKAGE_ROOT = Path(cnnviz.__file__).resolve().parent.parent


def child_answer(line: str) -> dict[str, str]:
    """A child's answer line: {"path": ...} or {"error": ...}; {} when there is none."""
    try:
        answer = json.loads(line)
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


class TrainingProcess:
    """One child interpreter that trains the requests it is handed, one at a time."""

    def __init__(self, threads: int) -> None:
        path = os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", CHILD_MODULE, str(threads)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, env={**os.environ, "PYTHONPATH": path},
        )  # fmt: skip
        self.jobs = 0
        self.idle_since = time.monotonic()

    @property
    def pid(self) -> int:
        return self.process.pid

    def train(self, line: str) -> dict[str, str]:
        """Hand over one encoded request and wait for its answer; {} when the process died first."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.jobs += 1
        try:
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()
        except OSError:  # the pipe is broken: the process is gone
            return {}
        return child_answer(self.process.stdout.readline())

    def alive(self) -> bool:
        return self.process.poll() is None

    def exit_code(self) -> int | None:
        """How the process ended (waits for it: call once it has stopped answering)."""
        return self.process.wait()

    def close(self) -> None:
        """Let the process go: it exits when it reads the end of its input, after any job it runs."""
        try:
            self.process.stdin.close()  # type: ignore[union-attr]
        except OSError:
            pass


class ProcessPool:
    """The idle warm TrainingProcesses of one worker, each with ``threads`` TensorFlow threads."""

    def __init__(self, threads: int, idle_exit_s: float = IDLE_EXIT_S) -> None:
        self.threads, self.idle_exit_s = threads, idle_exit_s
        self._lock = threading.Lock()
        self._idle: list[TrainingProcess] = []
        self._closed = False

    def take(self) -> TrainingProcess:
        """An idle process that still runs, else a fresh one (started, not waited for)."""
        with self._lock:
            while self._idle:
                process = self._idle.pop()
                if process.alive():
                    return process
        return TrainingProcess(self.threads)

    def give_back(self, process: TrainingProcess, healthy: bool) -> None:
        """After a job: the process waits for the next one, or a fresh one takes its place."""
        if not (healthy and process.jobs < JOBS_PER_PROCESS and process.alive()):
            process.close()
            if self._closed:
                return
            process = TrainingProcess(self.threads)
        process.idle_since = time.monotonic()
        with self._lock:
            kept = not self._closed
            if kept:
                self._idle.append(process)
        if not kept:
            process.close()
            return
        timer = threading.Timer(self.idle_exit_s, self._retire_if_idle, (process,))
        timer.daemon = True
        timer.start()

    def _retire_if_idle(self, process: TrainingProcess) -> None:
        with self._lock:
            if process not in self._idle or time.monotonic() - process.idle_since < self.idle_exit_s:
                return  # busy, or idle again since a later job: that job's timer decides
            self._idle.remove(process)
        process.close()

    def close(self) -> None:
        """Let every idle process go (running jobs finish; their processes are not kept)."""
        with self._lock:
            idle, self._idle, self._closed = self._idle, [], True
        for process in idle:
            process.close()
