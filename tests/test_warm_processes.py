"""The pool of warm training processes: kept, replaced and let go (with stand-in processes; no TensorFlow)."""

from __future__ import annotations

import threading

import pytest

from cnnviz.training import warm
from cnnviz.training.warm import JOBS_PER_PROCESS, ProcessPool, child_answer


class StandIn:
    """Stands for a TrainingProcess: counts its jobs, can die, records when it is let go."""

    def __init__(self, threads: int) -> None:
        self.threads, self.jobs, self.idle_since = threads, 0, 0.0
        self.dead = False
        self.closed = threading.Event()

    def alive(self) -> bool:
        return not self.dead

    def close(self) -> None:
        self.closed.set()


@pytest.fixture
def pool(monkeypatch) -> ProcessPool:
    monkeypatch.setattr(warm, "TrainingProcess", StandIn)
    return ProcessPool(threads=2)


def test_a_process_given_back_serves_the_next_job(pool):
    first = pool.take()
    assert first.threads == 2
    first.jobs += 1
    pool.give_back(first, healthy=True)
    assert pool.take() is first and not first.closed.is_set()


def test_a_worn_failed_or_dead_process_is_replaced_at_once(pool):
    worn, failed, dead = pool.take(), pool.take(), pool.take()
    worn.jobs, dead.dead = JOBS_PER_PROCESS, True
    for process, healthy in ((worn, True), (failed, False), (dead, True)):
        pool.give_back(process, healthy)
        assert process.closed.is_set()
    waiting = [pool.take() for _ in range(3)]
    assert not {id(process) for process in waiting} & {id(worn), id(failed), id(dead)}
    assert all(process.jobs == 0 for process in waiting), "fresh replacements, started when the old ones went"


def test_an_idle_process_that_died_is_skipped(pool):
    process = pool.take()
    pool.give_back(process, healthy=True)
    process.dead = True
    assert pool.take() is not process


def test_an_idle_process_exits_after_the_idle_time(monkeypatch):
    monkeypatch.setattr(warm, "TrainingProcess", StandIn)
    pool = ProcessPool(threads=1, idle_exit_s=0.0)
    process = pool.take()
    pool.give_back(process, healthy=True)
    assert process.closed.wait(timeout=60)
    assert pool.take() is not process


def test_a_closed_pool_keeps_nothing(pool):
    idle, running = pool.take(), pool.take()
    pool.give_back(idle, healthy=True)
    pool.close()
    assert idle.closed.is_set()
    pool.give_back(running, healthy=True)
    assert running.closed.is_set()


def test_answers_are_json_objects_and_anything_else_is_none():
    assert child_answer('{"path": "runs/a"}\n') == {"path": "runs/a"}
    assert child_answer("") == {} and child_answer("Epoch 1/3\n") == {} and child_answer("[1]") == {}
