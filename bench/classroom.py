"""A class on one server: N sessions open a fresh server at once, train, and browse meanwhile.

Run from the repo root: ``python -m bench.classroom [--sessions N] [--quick]`` (needs Chromium
at /usr/bin/chromium). Every session is a context of one headless Chromium: it opens the
freshly started server (all at once), loads a small Shapes set, starts a short training, then
moves between Where the network looks and Data until every training has finished. Printed:
exceptions seen, broken images, p50/p95 seconds for a page to be ready while trainings run, time until every
training finished, the server's peak memory and the CPU seconds of the server (with its
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

from cnnviz.runs.store import list_runs
from tests.browser.conftest import VIEWPORT
from tests.browser.driver import APP, CHROMIUM, CHROMIUM_ARGS, UNHANDLED, AppServer, click, go_to, main
from tests.browser.steps import START, fill_training_form, load_small_shapes
from tests.browser.test_startup_race import SAMPLE_IMAGES, wait_for_data_page

REPO = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")


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


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Session:
    """One student: a browser context, its page-ready times and the problems it saw."""

    def __init__(self, page: Page, number: int) -> None:
        self.page, self.number = page, number
        self.exceptions = 0
        self.broken_images = 0

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
        go_to(self.page, title)
        seconds = time.monotonic() - started
        self.check()
        return seconds


def run_class(sessions: int, epochs: int) -> None:
    state = Path(tempfile.mkdtemp(prefix="cnnviz-classroom-"))
    server = AppServer(REPO, state)
    server.start()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            students = [Session(browser.new_context(viewport=VIEWPORT).new_page(), n) for n in range(sessions)]
            clients_before = cpu_seconds(process_tree(os.getpid())) - cpu_seconds(process_tree(server.process.pid))
            opened = time.monotonic()
            for student in students:
                student.page.goto(server.url, wait_until="commit")
            first_pages = []
            for student in students:
                wait_for_data_page(student.page)
                first_pages.append(time.monotonic() - opened)
                student.check()
                student.check_images()
            print(f"first page ready: p50 {statistics.median(first_pages):.1f} s, last {max(first_pages):.1f} s")
            for student in students:
                load_small_shapes(student.page)
                fill_training_form(student.page, epochs, f"student {student.number}")
            started = time.monotonic()
            for student in students:
                click(student.page, START, wait=False)
            page_times = browse_until_trained(students, server.runs_dir)
            all_trained = time.monotonic() - started
            server_cpu = cpu_seconds(process_tree(server.process.pid))
            clients_cpu = cpu_seconds(process_tree(os.getpid())) - server_cpu - clients_before
            report(students, page_times, all_trained, peak_memory_mb(server.process.pid), server_cpu, clients_cpu)
        finally:
            browser.close()
            server.stop()


def browse_until_trained(students: list[Session], runs_dir: Path) -> list[float]:
    """Every student moves between Where the network looks and Data until all trainings are saved."""
    times: list[float] = []
    while len(list_runs(runs_dir)) < len(students):
        for student in students:
            times.append(student.timed_visit("Where the network looks"))
            times.append(student.timed_visit("Data"))
            expect_images = main(student.page).locator("[data-testid='stImageContainer'] img")
            expect_images.first.wait_for()
            student.check_images()
    return times


def report(students, page_times, all_trained, peak_mb, server_cpu, clients_cpu) -> None:
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
    parser.add_argument("--quick", action="store_true", help="3 sessions, 1 epoch each")
    args = parser.parse_args()
    sessions, epochs = (3, 1) if args.quick else (args.sessions, args.epochs)
    run_class(sessions, epochs)


if __name__ == "__main__":
    main_cli()
