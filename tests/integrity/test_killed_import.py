"""An import whose Huey consumer is killed (SIGKILL) part way: the page says *interrupted* with
what it completed, Resume finishes it, and every customer is written exactly once.

Real processes: `huey_consumer cone.worker.huey` on the test database with its queue in a Redis
database of its own, the Xero emulator serving thousands of customers on a loopback port.
"""
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from cone.services import search
from cone.services.imports.from_platform import queue_import
from cone.services.models import (ActivityEvent, Client, ExternalLink, ImportRecord, ImportRun,
                                  db)
from tests.helpers import own_redis, xero_connection

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REDIS_URL = "redis://127.0.0.1:6379/9"  # a database of its own: flushed before and after
CUSTOMERS = 4_000
BATCH = 500  # run.BATCH_SIZE (at most): the kill comes after at least two committed batches


@pytest.fixture
def queue():
    with own_redis(REDIS_URL) as jobs:
        yield jobs


@pytest.fixture
def consumer_env(app, tmp_path):
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": REDIS_URL,
            "SECRET_KEY": app.config["SECRET_KEY"], "PYTHONWARNINGS": "ignore"}


def progress(engine, run_id: int) -> tuple[str, int]:
    with engine.connect() as conn:
        return tuple(conn.execute(text(
            f"SELECT status, processed FROM import_run WHERE id = {run_id}")).one())


def test_a_killed_consumer_leaves_an_interrupted_run_that_resumes_exactly_once(
        xero_app, admin_client, admin, xero_emulator, queue, consumer_env, tmp_path):
    xero_emulator.generate(CUSTOMERS)
    connection = xero_connection(xero_app, xero_emulator)
    rows, run = queue_import(connection, xero_app.config, user=admin)
    run_id, total = run.id, run.total
    assert total == len(rows) >= CUSTOMERS
    log = (tmp_path / "consumer.log").open("w")
    worker = subprocess.Popen([str(BIN / "huey_consumer"), "cone.worker.huey", "-w", "1"],
                              cwd=ROOT, env=consumer_env, stdout=log, stderr=subprocess.STDOUT)
    engine = create_engine(xero_app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        # the job is enqueued as a page would, by another process sharing the queue
        subprocess.run([sys.executable, "-c", f"from cone import jobs; jobs.import_task({run_id})"],
                       cwd=ROOT, env=consumer_env, check=True, timeout=60)
        deadline = time.monotonic() + 120
        while progress(engine, run_id)[1] < 2 * BATCH:
            assert worker.poll() is None, (tmp_path / "consumer.log").read_text()
            assert time.monotonic() < deadline, "the consumer never got going"
            time.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)
        log.close()
        engine.dispose()
    db.session.expire_all()
    run = db.session.get(ImportRun, run_id)
    done_before = run.processed
    assert run.status == "running" and 2 * BATCH <= done_before < total
    # What the killed process committed is whole: its batches, nothing of the one it was in
    records = db.session.scalar(select(func.count()).where(ImportRecord.run_id == run_id))
    assert records == done_before
    assert db.session.scalar(select(func.count()).select_from(Client)) == run.created
    assert search.check(db.session) == 0
    # Within the threshold the run may still be alive: the page goes on showing it working
    page = admin_client.get(f"/imports/{run_id}").text
    assert "Working:" in page and "/resume" not in page
    # Two minutes later, with no heartbeat, it is interrupted
    run.heartbeat_at -= timedelta(minutes=3)
    db.session.commit()
    page = admin_client.get(f"/imports/{run_id}").text
    assert "Interrupted" in page and f"{done_before} of {total} records done" in page
    r = admin_client.post(f"/imports/{run_id}/resume")
    assert r.status_code == 303
    db.session.expire_all()
    run = db.session.get(ImportRun, run_id)
    assert (run.status, run.processed, run.failed) == ("done", total, 0)
    # Every customer exactly once: one record per plan row, one client and link per created one
    indexes = db.session.scalars(select(ImportRecord.index)
                                 .where(ImportRecord.run_id == run_id)).all()
    assert sorted(indexes) == list(range(total))
    external = db.session.scalars(select(ExternalLink.external_id)).all()
    assert len(external) == len(set(external)) == run.created + run.linked
    assert db.session.scalar(select(func.count()).select_from(Client)) == run.created
    assert db.session.scalar(select(func.count()).select_from(ActivityEvent).where(
        ActivityEvent.action == "imported")) == run.created
    assert search.check(db.session) == 0
    assert "Finished" in admin_client.get(f"/imports/{run_id}").text
