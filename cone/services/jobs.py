"""Background jobs on Huey: SQLite storage in instance/ by default, Redis when REDIS_URL is set.

Run a consumer next to the web server:

    huey_consumer cone.services.jobs.huey -w 2

Tasks take plain ids, never ORM objects, and open their own application context, so the same
task runs in the consumer process and, in immediate mode (tests), inside the caller.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

from flask import current_app, has_app_context
from huey import RedisHuey, SqliteHuey

INSTANCE = Path(__file__).resolve().parents[2] / "instance"


def make_huey():
    """The Huey instance for this environment (REDIS_URL → Redis, else SQLite in instance/)."""
    immediate = os.environ.get("CONE_JOBS_IMMEDIATE") == "1"
    if os.environ.get("REDIS_URL"):
        return RedisHuey("cone", url=os.environ["REDIS_URL"], immediate=immediate)
    INSTANCE.mkdir(exist_ok=True)
    return SqliteHuey("cone", filename=str(INSTANCE / "huey.db"), immediate=immediate)


huey = make_huey()


@contextlib.contextmanager
def app_context():
    """The caller's app context when there is one (immediate mode), else a new app's."""
    if has_app_context():
        yield current_app
        return
    from cone import create_app
    app = create_app()
    with app.app_context():
        yield app


@huey.task()
def resync_all_task(run_id: int) -> None:
    """Resync every mapped client for the ImportRun run_id, paced within the rate limit."""
    with app_context() as app:
        from cone.services import ch_bulk
        ch_bulk.run_resync_all(run_id, app)


@huey.task()
def import_task(run_id: int) -> None:
    """Write the records of the previewed ImportRun run_id, one transaction each."""
    with app_context():
        from cone.services import imports
        imports.run_import(run_id)
