"""The background worker: concurrency cap, queue positions, stop, owner isolation, failures."""

from __future__ import annotations

import threading

import pytest

from cnnviz.training.worker import CANCELLED, DONE, FAILED, QUEUED, RUNNING, Job, ThreadWorker, default_max_running

WAIT_S = 120  # generous, for a loaded machine: each wait ends as soon as its job does


def gated_job(gate: threading.Event, value: int) -> Job:
    """A fake job that waits for ``gate`` (or its stop flag) and returns ``value``."""

    def run(progress: list, stop: threading.Event) -> int:
        while not (gate.is_set() or stop.is_set()):
            gate.wait(0.01)
        progress.append("stopped" if stop.is_set() else "finished")
        return value

    return Job(run, progress=[], label=f"job {value}")


def test_cap_queue_positions_and_start_order():
    worker, gate = ThreadWorker(max_running=2), threading.Event()
    ids = [worker.submit("alice", gated_job(gate, i)) for i in range(4)]
    states = [worker.info(i).state for i in ids]
    assert states == [RUNNING, RUNNING, QUEUED, QUEUED]
    assert [worker.queue_position(i) for i in ids] == [None, None, 1, 2]
    gate.set()
    assert [worker.wait(i, timeout=WAIT_S).state for i in ids] == [DONE] * 4
    assert [worker.result(i) for i in ids] == [0, 1, 2, 3]
    assert worker.queue_position(ids[3]) is None


def test_waiting_job_moves_up_when_a_running_one_stops():
    worker, gate = ThreadWorker(max_running=1), threading.Event()
    first, second, third = (worker.submit("bob", gated_job(gate, i)) for i in range(3))
    assert worker.queue_position(third) == 2
    worker.stop(first)
    assert worker.wait(first, timeout=WAIT_S).state == DONE
    assert worker.progress(first) == ["stopped"]
    assert worker.info(second).state == RUNNING  # started when the first one ended
    assert worker.queue_position(third) == 1
    worker.stop(third)  # still waiting: cancelled without ever running
    assert worker.info(third).state == CANCELLED and worker.progress(third) == []
    gate.set()
    assert worker.wait(second, timeout=WAIT_S).state == DONE


def test_owners_only_see_their_own_jobs():
    worker, gate = ThreadWorker(max_running=1), threading.Event()
    mine = worker.submit("session-a", gated_job(gate, 1))
    theirs = worker.submit("session-b", gated_job(gate, 2))
    assert [info.id for info in worker.jobs_for("session-a")] == [mine]
    assert [info.id for info in worker.jobs_for("session-b")] == [theirs]
    assert worker.jobs_for("session-c") == []
    gate.set()
    worker.wait(theirs, timeout=WAIT_S)


def test_a_failing_job_reports_its_error_and_frees_its_slot():
    def boom(progress, stop):
        raise ValueError("bad settings")

    worker, gate = ThreadWorker(max_running=1), threading.Event()
    failing = worker.submit("carol", Job(boom))
    after = worker.submit("carol", gated_job(gate, 7))
    info = worker.wait(failing, timeout=WAIT_S)
    assert info.state == FAILED and info.error == "bad settings"
    gate.set()
    assert worker.wait(after, timeout=WAIT_S).state == DONE and worker.result(after) == 7


def test_unknown_job_raises_key_error():
    with pytest.raises(KeyError, match="unknown job"):
        ThreadWorker(max_running=1).info("nope")


def test_cap_from_environment(monkeypatch):
    monkeypatch.setenv("CNNVIZ_MAX_TRAININGS", "3")
    assert default_max_running() == 3 and ThreadWorker().max_running == 3
    monkeypatch.setenv("CNNVIZ_MAX_TRAININGS", "zero")
    assert default_max_running() >= 1
