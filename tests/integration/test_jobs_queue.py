"""The durable jobs table on SQLite and the real PostgreSQL: one active job per subject,
claims that two workers never share, a lapsed lease retaken, a stop request, and a job
whose worker keeps dying failed rather than retaken forever."""

from __future__ import annotations

import threading
import time

import pytest

from tasks.adapters import db
from tasks.adapters import jobs as queue
from tests.conftest import fresh_postgres_database


@pytest.fixture(scope="module")
def own_postgres():
    """A PostgreSQL database of this module's own: no other module's jobs are in it."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'app.db'}"
    else:
        url = request.getfixturevalue("own_postgres")
    engine = db.make_engine(url, pool_size=8)
    db.upgrade(engine)
    yield engine
    with engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM jobs")
    engine.dispose()


def _enqueue(engine, subject: str, kind: str = "write-messages"):
    return queue.enqueue(engine, kind, subject, {"campaign_id": 1}, "test")


def test_one_active_job_per_subject_and_a_new_one_once_it_ended(engine):
    first, new = _enqueue(engine, "campaign:1")
    assert new and first["state"] == "queued" and first["attempts"] == 0
    again, new = _enqueue(engine, "campaign:1", "send-campaign")  # busy: the same job back
    assert not new and again["id"] == first["id"] and again["kind"] == "write-messages"
    other, new = _enqueue(engine, "campaign:2")
    assert new and other["id"] != first["id"]
    taken = queue.claim(engine, "w1", 30, 3)
    assert taken["id"] == first["id"] and taken["state"] == "running" and taken["attempts"] == 1
    assert queue.finish(engine, first["id"], "w1", "done", progress={"messages": 3})
    later, new = _enqueue(engine, "campaign:1", "send-campaign")
    assert new and later["id"] not in (first["id"], other["id"])
    assert queue.latest(engine, "campaign:1", "write-messages")["progress"] == {"messages": 3}


def test_two_workers_never_take_the_same_job(engine):
    for n in range(12):
        _enqueue(engine, f"campaign:{n}")
    taken: dict[str, list[int]] = {"a": [], "b": [], "c": []}

    def work(name: str) -> None:
        while (job := queue.claim(engine, name, 30, 3)) is not None:
            taken[name].append(job["id"])

    threads = [threading.Thread(target=work, args=(name,)) for name in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [job for jobs in taken.values() for job in jobs]
    assert len(every) == len(set(every)) == 12


def test_a_lapsed_lease_is_retaken_and_the_dead_worker_can_no_longer_finish(engine):
    job, _ = _enqueue(engine, "campaign:7")
    assert queue.claim(engine, "dead", 0.2, 3)["worker"] == "dead"
    assert queue.claim(engine, "alive", 30, 3) is None  # its lease still holds
    time.sleep(0.3)
    retaken = queue.claim(engine, "alive", 30, 3)
    assert retaken["id"] == job["id"] and retaken["worker"] == "alive" and retaken["attempts"] == 2
    assert queue.renew(engine, job["id"], "dead", 30) is None
    assert not queue.finish(engine, job["id"], "dead", "done")
    assert queue.renew(engine, job["id"], "alive", 30)["lease_until"] > retaken["lease_until"]
    assert queue.finish(engine, job["id"], "alive", "done")
    assert queue.get(engine, job["id"])["state"] == "done"


def test_a_job_whose_worker_keeps_dying_is_failed(engine):
    job, _ = _enqueue(engine, "campaign:8")
    for _ in range(2):
        assert queue.claim(engine, "dying", 0.05, 2) is not None
        time.sleep(0.1)
    assert queue.claim(engine, "next", 30, 2) is None
    ended = queue.get(engine, job["id"])
    assert ended["state"] == "failed" and "stopped answering 2 times" in ended["error"]


def test_stopping_cancels_a_queued_job_and_asks_a_running_one(engine):
    queued, _ = _enqueue(engine, "campaign:3", "send-campaign")
    assert queue.stop(engine, "campaign:3", "write-messages") is None  # not that kind
    assert queue.stop(engine, "campaign:3", "send-campaign") == "cancelled"
    assert queue.get(engine, queued["id"])["state"] == "cancelled"
    running, _ = _enqueue(engine, "campaign:3", "send-campaign")
    queue.claim(engine, "w", 30, 3)
    assert queue.stop(engine, "campaign:3", "send-campaign") == "running"
    found = queue.get(engine, running["id"])
    assert found["state"] == "running" and found["stop_requested"]


def test_a_released_job_goes_back_to_the_queue_untried(engine):
    job, _ = _enqueue(engine, "campaign:9")
    queue.claim(engine, "stopping", 30, 3)
    assert queue.release(engine, job["id"], "stopping")
    found = queue.get(engine, job["id"])
    assert found["state"] == "queued" and found["attempts"] == 0 and found["worker"] is None
    assert queue.claim(engine, "next", 30, 3)["id"] == job["id"]
