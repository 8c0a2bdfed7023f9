"""The background worker: concurrency cap, queue positions, stop, owner isolation, failures."""

from __future__ import annotations

import gc
import threading
import weakref
from dataclasses import dataclass

import pytest

from cnnviz.training.backends import make_worker
from cnnviz.training.worker import (
    CANCELLED, DONE, FAILED, QUEUED, RUNNING, Job, ThreadWorker, default_max_running
)  # fmt: skip

WAIT_S = 120  # generous, for a loaded machine: each wait ends as soon as its job does


@dataclass(frozen=True)
class Gated:
    """A fake request that waits for ``gate`` (or its stop flag) and returns ``value``."""

    gate: threading.Event
    value: int

    def run(self, progress: list, stop: threading.Event) -> int:
        while not (self.gate.is_set() or stop.is_set()):
            self.gate.wait(0.01)
        progress.append("stopped" if stop.is_set() else "finished")
        return self.value


class Failing:
    def run(self, progress, stop):
        raise ValueError("bad settings")


def gated_job(gate: threading.Event, value: int) -> Job:
    return Job(Gated(gate, value), progress=[], label=f"job {value}")


def test_cap_queue_positions_and_start_order():
    worker, gate = ThreadWorker(max_running=2), threading.Event()
    ids = [worker.submit(f"student {i}", gated_job(gate, i)) for i in range(4)]
    states = [worker.info(i).state for i in ids]
    assert states == [RUNNING, RUNNING, QUEUED, QUEUED]
    assert [worker.queue_position(i) for i in ids] == [None, None, 1, 2]
    gate.set()
    assert [worker.wait(i, timeout=WAIT_S).state for i in ids] == [DONE] * 4
    assert [worker.result(i) for i in ids] == [0, 1, 2, 3]
    assert worker.queue_position(ids[3]) is None


def test_waiting_job_moves_up_when_a_running_one_stops():
    worker, gate = ThreadWorker(max_running=1), threading.Event()
    first, second, third = (worker.submit(owner, gated_job(gate, i)) for i, owner in enumerate(["a", "b", "c"]))
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
    worker, gate = ThreadWorker(max_running=1), threading.Event()
    failing = worker.submit("carol", Job(Failing()))
    after = worker.submit("dave", gated_job(gate, 7))
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


def test_a_session_has_one_running_and_one_waiting_job_a_second_start_replaces_the_waiting_one():
    worker, gate = ThreadWorker(max_running=2), threading.Event()
    discarded = []
    running = worker.submit("erin", gated_job(gate, 1))
    waiting = worker.submit("erin", Job(Gated(gate, 2), [], "job 2", discard=lambda: discarded.append(2)))
    assert worker.info(waiting).state == QUEUED, "a free slot, but erin already runs a job"
    other = worker.submit("frank", gated_job(gate, 3))
    assert worker.info(other).state == RUNNING, "frank takes the free slot ahead of erin's second job"
    replacement = worker.submit("erin", gated_job(gate, 4))
    assert worker.info(waiting).state == CANCELLED and discarded == [2]
    assert worker.info(replacement).replaced == "job 2" and worker.queue_position(replacement) == 1
    assert [info.state for info in worker.jobs_for("erin")] == [RUNNING, CANCELLED, QUEUED]
    gate.set()
    assert worker.wait(replacement, timeout=5).state == DONE and worker.result(replacement) == 4
    assert worker.wait(running, timeout=5).state == DONE and worker.wait(other, timeout=5).state == DONE


def test_waiting_jobs_get_an_estimate_from_finished_durations():
    worker, gate = ThreadWorker(max_running=1), threading.Event()
    first = worker.submit("a", gated_job(gate, 1))
    second = worker.submit("b", gated_job(gate, 2))
    assert worker.info(second).estimated_wait is None, "no finished job yet: no estimate"
    gate.set()
    worker.wait(first, timeout=5)
    gate.clear()
    worker.wait(second, timeout=5)
    gate.clear()
    third, fourth = worker.submit("c", gated_job(gate, 3)), worker.submit("d", gated_job(gate, 4))
    fifth = worker.submit("e", gated_job(gate, 5))
    mean = worker.info(fourth).estimated_wait
    assert mean is not None and mean > 0 and worker.info(fifth).estimated_wait == pytest.approx(2 * mean)
    assert worker.info(third).estimated_wait is None  # running, not waiting
    gate.set()
    for job_id in (third, fourth, fifth):
        worker.wait(job_id, timeout=5)


def test_the_worker_kind_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("CNNVIZ_WORKER", "thread")
    assert isinstance(make_worker(), ThreadWorker)
    monkeypatch.setenv("CNNVIZ_WORKER", "carrier pigeon")
    with pytest.raises(ValueError, match="CNNVIZ_WORKER"):
        make_worker()


class Payload:
    """Stands for a training request, with its dataset and model."""

    def run(self, progress, stop) -> str:
        return "saved"


def test_a_finished_job_lets_go_of_its_request():
    payload = Payload()
    released = weakref.ref(payload)
    worker = ThreadWorker(max_running=1)
    job_id = worker.submit("gina", Job(payload))
    del payload
    assert worker.wait(job_id, timeout=5).state == DONE and worker.result(job_id) == "saved"
    gc.collect()
    assert released() is None
