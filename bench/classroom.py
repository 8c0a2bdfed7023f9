"""A class on one server: N sessions open a fresh server at once, train, and browse meanwhile.

Run from the repo root: ``python -m bench.classroom [--sessions N] [--quick]`` (needs Chromium
at /usr/bin/chromium). Every session is a context of one headless Chromium: it opens the
freshly started server (all at once), loads a small Shapes set, starts a short training, then
moves between Where the network looks and Data until every training has finished, and leaves.
The first student does so alone, so the server's memory after one student can be compared with its memory after
all have left. Printed: exceptions seen, broken images, p50/p95 seconds for a page to be ready
while trainings run, time until every training finished, the server's memory after the first
and after the last student left, its peak memory, and the CPU seconds of the server (with its
training processes) and of the clients. The LAST line:
``classroom N sessions: exceptions=E broken_images=B p95_page_s=P``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright
from playwright.sync_api import TimeoutError as PageTimeout

from cnnviz.runs.store import list_runs
from tests.browser.conftest import VIEWPORT
from tests.browser.driver import APP, CHROMIUM, CHROMIUM_ARGS, UNHANDLED, AppServer, click, go_to, main
from tests.browser.steps import START, fill_training_form, load_small_shapes
from tests.browser.test_startup_race import SAMPLE_IMAGES, wait_for_data_page

REPO = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")
SERVER_NICENESS = -10
NOT_READY = (PageTimeout, AssertionError)  # a wait or an `expect` that ran out of time
DEPARTED_SESSION_TTL_S = 2  # Streamlit keeps a closed tab's session 120 s by default, for reconnects


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return tree


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants, now."""
    tree, found, todo = _children(), [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(tree.get(current, []))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes and their waited-for children."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return total / TICKS


def _status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_memory_mb(pid: int) -> float:
    return _status_mb(pid, "VmHWM")


def resident_memory_mb(pid: int) -> float:
    return _status_mb(pid, "VmRSS")


class Session:
    """One student: a browser context, its page-ready times and the problems it saw."""

    def __init__(self, page: Page, number: int) -> None:
        self.page, self.number = page, number
        self.exceptions = 0
        self.broken_images = 0
        self.timeouts = 0  # pages not ready within the browser steps' limits (counted, not fatal)

    def check(self) -> None:
        """Count Streamlit exception boxes and unhandled-error text now on the page."""
        boxes = self.page.get_by_test_id("stException").count()
        text = self.page.locator(APP).inner_text()
        self.exceptions += boxes or int(UNHANDLED.search(text) is not None)

    def check_images(self) -> None:
        self.broken_images += len(self.page.evaluate(SAMPLE_IMAGES)["broken"])

    def timed_visit(self, title: str) -> float:
        """Seconds from clicking a page's link until its script has run."""
        started = time.monotonic()
        try:
            go_to(self.page, title)
        except NOT_READY:
            self.timeouts += 1
        seconds = time.monotonic() - started
        self.check()
        return seconds


def open_at_once(students: list[Session], url: str) -> None:
    """Every student opens the freshly started server within the same second, as a class does."""
    opened = time.monotonic()
    for student in students:
        student.page.goto(url, wait_until="commit")
    first_pages = []
    for student in students:
        try:
            wait_for_data_page(student.page)
        except NOT_READY:
            student.timeouts += 1
        first_pages.append(time.monotonic() - opened)
        student.check()
        student.check_images()
    print(f"first page ready: p50 {statistics.median(first_pages):.1f} s, last {max(first_pages):.1f} s")


def train_and_browse(students: list[Session], server: AppServer, epochs: int) -> tuple[list[float], float]:
    """The students start a short training each and browse until all are saved; they then leave."""
    expected = len(list_runs(server.runs_dir)) + len(students)
    for student in students:
        load_small_shapes(student.page)
        fill_training_form(student.page, epochs, f"student {student.number}")
    started = time.monotonic()
    for student in students:
        click(student.page, START, wait=False)
    page_times = browse_until_trained(students, server.runs_dir, expected)
    trained = time.monotonic() - started
    for student in students:
        student.page.context.close()
    return page_times, trained


def settled_memory_mb(pid: int, quiet_s: float = 5.0, limit_s: float = 90.0) -> float:
    """The server's resident memory once departed sessions are cleaned up (it stops changing)."""
    deadline, readings = time.monotonic() + limit_s, []
    while time.monotonic() < deadline:
        readings.append(resident_memory_mb(pid))
        recent = readings[-int(quiet_s):]
        if len(recent) == int(quiet_s) and max(recent) - min(recent) < 2:
            break
        time.sleep(1)
    return readings[-1]


def prefer_the_server(pid: int) -> None:
    """Give the server (and the trainings it starts) the CPU before the clients, which stand in for
    30 other computers; without it 30 Chromium renderers starve the one server process."""
    try:
        os.setpriority(os.PRIO_PGRP, pid, SERVER_NICENESS)
    except PermissionError:
        print("could not raise the server's priority (needs root): client and server share the CPU equally")


def run_class(sessions: int, epochs: int) -> None:
    state = Path(tempfile.mkdtemp(prefix="cnnviz-classroom-"))
    os.environ["STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL"] = str(DEPARTED_SESSION_TTL_S)
    server = AppServer(REPO, state)
    server.start()
    prefer_the_server(server.process.pid)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            students = [Session(browser.new_context(viewport=VIEWPORT).new_page(), n) for n in range(sessions)]
            clients_before = cpu_seconds(process_tree(os.getpid())) - cpu_seconds(process_tree(server.process.pid))
            open_at_once(students, server.url)
            train_and_browse(students[:1], server, epochs)
            after_first = settled_memory_mb(server.process.pid)
            page_times, all_trained = train_and_browse(students[1:], server, epochs)
            after_all = settled_memory_mb(server.process.pid)
            server_cpu = cpu_seconds(process_tree(server.process.pid))
            clients_cpu = cpu_seconds(process_tree(os.getpid())) - server_cpu - clients_before
            print(f"server memory after the first student trained and left {after_first:.0f} MB, after all "
                  f"{sessions} left {after_all:.0f} MB: {after_all - after_first:+.0f} MB (target within 300 MB)")
            report(students, page_times, all_trained, peak_memory_mb(server.process.pid), server_cpu, clients_cpu)
        finally:
            browser.close()
            server.stop()


def browse_until_trained(students: list[Session], runs_dir: Path, expected_runs: int) -> list[float]:
    """Every student moves between Where the network looks and Data until all trainings are saved."""
    times: list[float] = []
    while len(list_runs(runs_dir)) < expected_runs:
        for student in students:
            times.append(student.timed_visit("Where the network looks"))
            times.append(student.timed_visit("Data"))
            expect_images = main(student.page).locator("[data-testid='stImageContainer'] img")
            expect_images.first.wait_for()
            student.check_images()
    return times


def report(students, page_times, all_trained, peak_mb, server_cpu, clients_cpu) -> None:
    print(f"pages not ready within the browser steps' limits: {sum(s.timeouts for s in students)}")
    exceptions = sum(s.exceptions for s in students)
    broken = sum(s.broken_images for s in students)
    ordered = sorted(page_times)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"page ready while training ({len(ordered)} visits): p50 {p50:.2f} s, p95 {p95:.2f} s")
    print(f"every training finished {all_trained:.0f} s after the Starts")
    print(f"server peak memory {peak_mb:.0f} MB; CPU seconds: server+trainings {server_cpu:.0f}, clients {clients_cpu:.0f}")
    print(f"classroom {len(students)} sessions: exceptions={exceptions} broken_images={broken} p95_page_s={p95:.2f}")


def main_cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="2 sessions, 1 epoch each")
    args = parser.parse_args()
    sessions, epochs = (2, 1) if args.quick else (args.sessions, args.epochs)
    run_class(sessions, epochs)


if __name__ == "__main__":
    main_cli()
