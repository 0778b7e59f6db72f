"""Background jobs on Huey: SQLite storage in instance/ by default, Redis when REDIS_URL is set.

Run a consumer next to the web server:

    huey_consumer cone.worker.huey -w 2

Tasks take plain ids, never ORM objects, and open their own application context, so the same
task runs in the consumer process and, in immediate mode (tests), inside the caller.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

from flask import current_app, has_app_context
from huey import RedisHuey, SqliteHuey

from cone import wiring
from cone.services import companies_house as ch
from cone.services import imports
from cone.services.imports import undo
from cone.services.models import User, db

INSTANCE = Path(__file__).resolve().parents[1] / "instance"


def make_huey():
    """The Huey instance for this environment (REDIS_URL → Redis, else SQLite in instance/)."""
    immediate = os.environ.get("CONE_JOBS_IMMEDIATE") == "1"
    if os.environ.get("REDIS_URL"):
        return RedisHuey("cone", url=os.environ["REDIS_URL"], immediate=immediate)
    INSTANCE.mkdir(exist_ok=True)
    return SqliteHuey("cone", filename=str(INSTANCE / "huey.db"), immediate=immediate)


huey = make_huey()


_worker: dict = {}  # the consumer's app, set once by cone/worker.py


def serve_app(app) -> None:
    """Run this process's tasks in app (the consumer's entry point calls it once)."""
    _worker["app"] = app


@contextlib.contextmanager
def app_context():
    """The caller's app context when there is one (immediate mode), else the consumer's app's."""
    if has_app_context():
        yield current_app
        return
    with _worker["app"].app_context():
        yield _worker["app"]


@huey.task()
def resync_all_task(run_id: int) -> None:
    """Resync every mapped client for the ImportRun run_id, paced within the rate limit."""
    with app_context() as app:
        ch.run_resync_all(run_id, lambda: wiring.companies_house(app, paced=True))


@huey.task()
def import_task(run_id: int) -> None:
    """Write the records of the queued ImportRun run_id in batches (resumed where it stopped)."""
    with app_context():
        imports.run_import(run_id)


@huey.task()
def undo_task(run_id: int, user_id: int | None) -> None:
    """Undo the ImportRun run_id (start_undo marked it begun); finishes an interrupted undo."""
    with app_context():
        undo.undo_run(run_id, user=db.session.get(User, user_id) if user_id else None)
