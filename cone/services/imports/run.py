"""Import runs: write the previewed records in batches, each batch one transaction with a
SAVEPOINT per record (batch.py), so one failure never stops the others, re-runs never duplicate
and a run killed part way can be resumed where its last committed batch left it.

What each record did is an ImportRecord row, written in the record's batch; the run's counts,
progress and heartbeat are written by the same transaction. A run whose heartbeat has stopped
is *interrupted* (interrupted()); resume_import() claims it again and run_import() carries on
with the records that have no ImportRecord yet.
"""
from __future__ import annotations

import gc
import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update

from cone.services.imports.batch import OUTCOMES, Tally, write_batch
from cone.services.imports.plan import WRITTEN, has_json
from cone.services.imports.preview import ImportRefused
from cone.services.models import ImportRecord, ImportRun, User, db, utcnow
from cone.services.search.bulk_load import bulk_load
from cone.services.tx import transaction

log = logging.getLogger(__name__)

# Records per transaction, and on SQLite the time after which a batch commits with fewer: web
# requests wait for its one write lock, and on a busy machine 500 records can take seconds
# (PostgreSQL locks only the rows written, so its batches are always full)
BATCH_SIZE = 500
BATCH_SECONDS = 0.5
# A running run writes its heartbeat after every batch (well under a second); silent this long,
# its process has gone. A queued run waits for a free worker, which may be busy for a while.
INTERRUPTED_AFTER = timedelta(minutes=2)
QUEUED_INTERRUPTED_AFTER = timedelta(minutes=10)
RUNNING = ("queued", "running")


def start_import(run: ImportRun, *, user: User | None) -> ImportRun:
    """Claim the previewed run for a job (the caller enqueues it); refused if already started."""
    # One conditional UPDATE, so two clicks on Start cannot queue the run twice
    with transaction():
        claimed = db.session.execute(
            update(ImportRun).where(ImportRun.id == run.id, ImportRun.status == "preview")
            .values(status="queued", total=len(run.plan or []), processed=0,
                    heartbeat_at=utcnow(),
                    started_by_id=user.id if user else run.started_by_id)).rowcount
    if claimed != 1:
        raise ImportRefused("This import has already started.")
    db.session.refresh(run)
    return run


def _silent_since(now: datetime):
    """SQL: the run is queued or running and its heartbeat stopped before the thresholds."""
    beat = func.coalesce(ImportRun.heartbeat_at, ImportRun.started_at, ImportRun.created_at)
    return or_(and_(ImportRun.status == "running", beat < now - INTERRUPTED_AFTER),
               and_(ImportRun.status == "queued", beat < now - QUEUED_INTERRUPTED_AFTER))


def interrupted(run: ImportRun, now: datetime | None = None) -> bool:
    """Whether the run stopped part way: its worker stopped beating (killed, machine down), or
    an error stopped it (status "failed"). Such a run can be resumed."""
    if run.provider == "companies_house" or run.status not in (*RUNNING, "failed"):
        return False
    if run.status == "failed":
        return True
    now = now or utcnow()
    beat = run.heartbeat_at or run.started_at or run.created_at
    limit = INTERRUPTED_AFTER if run.status == "running" else QUEUED_INTERRUPTED_AFTER
    return beat is not None and beat < now - limit


def state(run: ImportRun) -> str:
    """The run's status as lists show it: "undone" and "interrupted" said as such."""
    if run.undone_at is not None:
        return "undone"
    return "interrupted" if interrupted(run) else run.status


def resume_import(run: ImportRun, *, user: User | None) -> ImportRun:
    """Claim an interrupted run again (the caller enqueues or runs it); refused otherwise."""
    now = utcnow()
    with transaction():
        claimed = db.session.execute(
            update(ImportRun).where(ImportRun.id == run.id,
                                    ImportRun.provider != "companies_house",
                                    ImportRun.undone_at.is_(None),  # what it wrote is taken back
                                    or_(ImportRun.status == "failed", _silent_since(now)))
            .values(status="queued", heartbeat_at=now, finished_at=None)
            .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(run)
    if claimed != 1:
        if run.undone_at is not None:
            raise ImportRefused("This import was undone: start a new import instead.")
        raise ImportRefused("This import is not interrupted: it is still running or has "
                            "finished." if run.status != "preview" else
                            "This import has not started.")
    log.info("Import run %s resumed by %s", run.id, user.id if user else "the command line")
    return run


def _tally(run_id: int) -> Tally:
    """The counts of what the run's committed batches wrote."""
    tally = Tally()
    for outcome, n in db.session.execute(
            select(ImportRecord.outcome, func.count()).where(ImportRecord.run_id == run_id)
            .group_by(ImportRecord.outcome)):
        tally.counts[outcome] = n
    tally.warned = db.session.scalar(
        select(func.count()).where(ImportRecord.run_id == run_id,
                                   ImportRecord.outcome.in_(WRITTEN),
                                   has_json(ImportRecord.warnings)))
    return tally


def _pending(run_id: int, plan: list[dict]) -> list[dict]:
    """The plan rows the run has not recorded yet, in plan order."""
    done = set(db.session.scalars(select(ImportRecord.index)
                                  .where(ImportRecord.run_id == run_id)))
    return [r for r in plan if r["index"] not in done]


def run_import(run_id: int, *, batch_size: int = BATCH_SIZE,
               batch_seconds: float | None = BATCH_SECONDS) -> ImportRun:
    """Carry out a queued run in batches; counts, progress and heartbeat after each batch.

    A resumed run starts from the records its committed batches have not recorded.
    """
    # Claim the run: a second worker handed the same id finds it taken and leaves it
    with transaction():
        claimed = db.session.execute(
            update(ImportRun).where(ImportRun.id == run_id, ImportRun.status == "queued")
            .values(status="running", heartbeat_at=utcnow(),
                    started_at=func.coalesce(ImportRun.started_at, utcnow()))
            .execution_options(synchronize_session=False)).rowcount
    run = db.session.get(ImportRun, run_id)
    if not claimed:
        return run
    user_id = run.started_by_id
    seconds = batch_seconds if db.engine.dialect.name == "sqlite" else None
    pending = _pending(run_id, list(run.plan or []))
    tally = _tally(run_id)
    del run  # the run row is written by UPDATEs from here on: its plan is held in pending
    status = "failed"
    # The plan's objects live for the whole run: frozen, the collector stops walking them
    # again at every full collection (about 15% of a run's time otherwise)
    gc.freeze()
    try:
        with bulk_load(db.session):
            start = 0
            while start < len(pending):
                user = db.session.get(User, user_id) if user_id else None
                start += write_batch(run_id, pending[start:start + batch_size], user, tally,
                                     seconds)
                db.session.commit()
        status = "done"
    except Exception:
        log.exception("Import run %s stopped", run_id)
    finally:
        gc.unfreeze()
    with transaction():
        db.session.execute(update(ImportRun).where(ImportRun.id == run_id)
                           .values(status=status, finished_at=utcnow(), heartbeat_at=utcnow())
                           .execution_options(synchronize_session=False))
    return db.session.get(ImportRun, run_id)


def summary(run: ImportRun) -> str:
    """"12 created, 3 linked, 40 updated, 5 skipped, 1 failed." for messages and the CLI."""
    parts = [f"{getattr(run, n)} {n}" for n in OUTCOMES]
    return ", ".join(parts) + "."
