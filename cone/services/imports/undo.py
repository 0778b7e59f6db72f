"""Undo an import run: every record it wrote is taken back (undo_record.py), latest first.

One transaction per batch of records, each record in its own SAVEPOINT: a batch holds the
write lock only briefly, a record that cannot be undone rolls back alone, and a run whose undo
was interrupted carries ImportRecord.undo on every record already taken back, so undoing again
finishes the rest and never takes anything back twice. ImportRun.undone_at is written last.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from cone.services import audit
from cone.services.imports.preview import ImportRefused
from cone.services.imports.run import interrupted
from cone.services.imports.undo_created import Created, remove_all, undo_created
from cone.services.imports.undo_record import Outcome, undo_changed
from cone.services.models import Client, ImportRecord, ImportRun, User, db, utcnow
from cone.services.tx import retry_on_stale, transaction

log = logging.getLogger(__name__)

BATCH = 200
# A run with more records than this is undone by a background job (jobs.undo_task), like the
# import itself: a request would otherwise wait for thousands of records
INLINE = 500
NOT_FINISHED = {"preview": "This import has not started: there is nothing to undo.",
                "queued": "This import is still running: undo it once it has finished.",
                "running": "This import is still running: undo it once it has finished."}
# Outcome words, in the order reports list them
WORDS = {"removed": "removed", "archived": "archived", "restored": "restored",
         "kept": "restored with changes kept", "gone": "already gone",
         "unchanged": "with nothing to undo", "failed": "could not be undone"}
# Lines a person should read first: why a client stayed, what was kept
ATTENTION = ("failed", "archived", "kept", "gone")
LINES_SHOWN = 500


class UndoRefused(ImportRefused):
    """The run cannot be undone; str() says why."""


class RunNotFound(UndoRefused):
    """No import run has this id."""


@dataclass
class UndoLine:
    """One client in the report: what the undo did to it, and what it kept and why."""
    name: str
    client_id: int | None
    action: str  # a key of WORDS
    notes: list[str] = field(default_factory=list)

    @property
    def words(self) -> str:
        return WORDS.get(self.action, self.action)


@dataclass
class UndoReport:
    """What undoing a run did: counts per outcome and a line per client worth reading."""
    run_id: int
    already: bool  # the run had been undone before this call: nothing changed now
    undone_at: datetime | None
    undone_by: str | None
    counts: dict[str, int]
    lines: list[UndoLine]
    more: int = 0  # lines left out of a long report
    total: int = 0  # the run's records
    started_at: datetime | None = None  # when an undo began (a job may still be at it)

    @property
    def in_progress(self) -> bool:
        """An undo has begun and not finished (a job is at it, or it stopped part way)."""
        return self.started_at is not None and self.undone_at is None

    @property
    def done(self) -> int:
        """Records taken back so far."""
        return sum(self.counts.values())

    @property
    def complete(self) -> bool:
        """Every record has been taken back and the run is marked undone."""
        return self.undone_at is not None

    def attention(self) -> list[UndoLine]:
        """Lines of clients archived, with fields kept, gone or not undone."""
        return [line for line in self.lines if line.action in ATTENTION]

    def counted(self) -> list[tuple[int, str]]:
        """(count, words) of each outcome that occurred, in WORDS order."""
        return [(self.counts[k], w) for k, w in WORDS.items() if self.counts.get(k)]

    def summary(self) -> str:
        """"3 removed, 1 archived, 2 restored, 1 already gone." (outcomes that occurred)."""
        return (", ".join(f"{n} {w}" for n, w in self.counted()) or "nothing to undo") + "."


def get_undoable(run_id: int) -> ImportRun:
    """The run, if it can be undone; UndoRefused (RunNotFound) saying why not."""
    run = db.session.get(ImportRun, run_id)
    if run is None:
        raise RunNotFound(f"There is no import run {run_id}.")
    if run.provider == "companies_house":
        raise UndoRefused("Companies House runs cannot be undone: only imports from accounting "
                          "platforms and CSV files.")
    if run.status in NOT_FINISHED and run.undone_at is None:
        if run.status != "preview" and interrupted(run):
            raise UndoRefused("This import was interrupted: resume it, then undo it once it "
                              "has finished.")
        raise UndoRefused(NOT_FINISHED[run.status])
    if run.undone_at is None and run.processed and not db.session.scalar(
            select(func.count()).select_from(ImportRecord).where(ImportRecord.run_id == run.id)):
        raise UndoRefused("This import ran before Cone kept a record of what each import "
                          "wrote: it cannot be undone.")
    return run


def review(run_id: int) -> tuple[ImportRun, UndoReport, str | None]:
    """The run, its undo's report (so far), and why it cannot be undone (None when it can);
    RunNotFound when there is no such run."""
    try:
        run, refused = get_undoable(run_id), None
    except RunNotFound:
        raise
    except UndoRefused as e:
        run, refused = db.session.get(ImportRun, run_id), str(e)
    return run, undo_report(run), refused


def _one(record: ImportRecord, client: Client | None, created: Created,
         user: User | None) -> Outcome:
    """Take back one record (in the caller's savepoint)."""
    if record.outcome not in ("created", "linked", "updated"):
        return Outcome("unchanged")
    if client is None:
        return Outcome("gone", ["deleted since the import"])
    if record.outcome == "created":
        return undo_created(client, record, created, user, record.run_id)
    return undo_changed(client, record, user, record.run_id)


def _batch(run_id: int, user: User | None, below: int) -> int | None:
    """Undo the next batch of records (by falling index, below `below`); the lowest index done,
    or None when none were left."""
    # Writing the run's row first takes its lock: an undo started at the same moment waits
    # here, then reads what this one marked
    db.session.execute(update(ImportRun).where(ImportRun.id == run_id)
                       .values(id=ImportRun.id))
    records = list(db.session.scalars(
        select(ImportRecord).where(ImportRecord.run_id == run_id, ImportRecord.index < below,
                                   or_(ImportRecord.undo.is_(None), ImportRecord.undo == "failed"))
        .order_by(ImportRecord.index.desc()).limit(BATCH)))
    if not records:
        return None
    ids = {r.client_id for r in records if r.client_id}
    clients = {c.id: c for c in db.session.scalars(
        select(Client).where(Client.id.in_(ids))
        .options(selectinload(Client.contact_links), selectinload(Client.external_links)))}
    created = Created.load(records)
    with audit.collecting() as events:  # the batch's activity events: one INSERT
        for record in records:
            kept = len(events)
            try:
                with db.session.begin_nested():
                    outcome = _one(record, clients.get(record.client_id), created, user)
            except StaleDataError:
                raise  # someone saved meanwhile: the whole batch is read again
            except Exception:
                log.exception("Undo of import run %s: record %s failed", run_id, record.index)
                del events[kept:]  # rolled back with the record's savepoint
                outcome = Outcome("failed", ["could not be undone: see the server log"])
            record.undo, record.undo_note = outcome.action, "\n".join(outcome.notes) or None
        audit.insert_collected(events)
    remove_all(created)
    return records[-1].index


def start_undo(run_id: int, *, user: User | None, inline: int = INLINE) -> UndoReport | None:
    """Undo the run now when it is small (its report), or mark it begun for jobs.undo_task
    (None: the caller queues the job). Refused as undo_run is."""
    run = get_undoable(run_id)
    if run.undone_at is not None:
        return undo_report(run, already=True)
    with transaction():
        db.session.execute(update(ImportRun).where(ImportRun.id == run_id)
                           .values(undo_started_at=utcnow()))
    records = db.session.scalar(select(func.count()).select_from(ImportRecord)
                                .where(ImportRecord.run_id == run_id))
    return undo_run(run_id, user=user) if records <= inline else None


def undo_run(run_id: int, *, user: User | None) -> UndoReport:
    """Take back everything the run wrote; a second call changes nothing and says so."""
    run = get_undoable(run_id)
    if run.undone_at is not None:
        return undo_report(run, already=True)
    below = 2**31 - 1  # above every index: the most an integer column holds
    while below is not None:
        def work(low=below):
            return _batch(run_id, user, low)
        below = retry_on_stale(work, refresh=db.session.expire_all)
    with transaction():
        left = db.session.scalar(select(func.count()).select_from(ImportRecord).where(
            ImportRecord.run_id == run_id, or_(ImportRecord.undo.is_(None),
                                               ImportRecord.undo == "failed")))
        claimed = not left and db.session.execute(
            update(ImportRun).where(ImportRun.id == run_id, ImportRun.undone_at.is_(None))
            .values(undone_at=utcnow(), undone_by_id=user.id if user else None)).rowcount
        report = undo_report(db.session.get(ImportRun, run_id))
        if claimed:
            audit.record("import_undone", f"Import run {run_id} undone: {report.summary()}",
                         user=user)
    return report


def _names(run: ImportRun, lines: list[tuple[ImportRecord, str | None]]) -> dict[int, str]:
    """Each line's client name now, or for a client gone since, the record's name in the plan."""
    ids = {r.client_id for r, _ in lines if r.client_id}
    names = dict(db.session.execute(select(Client.id, Client.display_name)
                                    .where(Client.id.in_(ids))).all()) if ids else {}
    by_index = {}
    if any(r.client_id not in names for r, _ in lines):
        by_index = {p["index"]: p["customer"].get("name") or "" for p in run.plan or []}
    return {r.index: names.get(r.client_id) or by_index.get(r.index) or f"Record {r.index + 1}"
            for r, _ in lines}


def undo_report(run: ImportRun, *, already: bool = False) -> UndoReport:
    """The report of the run's undo as its records keep it (so far, if it is not finished)."""
    counts = Counter(dict(db.session.execute(
        select(ImportRecord.undo, func.count()).where(ImportRecord.run_id == run.id,
                                                      ImportRecord.undo.is_not(None))
        .group_by(ImportRecord.undo)).all()))
    shown = [k for k in ATTENTION + ("restored",) if counts.get(k)]
    records: list[ImportRecord] = []
    for kind in shown:  # the lines to read first come first; a long report stops at LINES_SHOWN
        if len(records) < LINES_SHOWN:
            records += db.session.scalars(
                select(ImportRecord).where(ImportRecord.run_id == run.id,
                                           ImportRecord.undo == kind)
                .order_by(ImportRecord.index).limit(LINES_SHOWN - len(records)))
    pairs = [(r, r.undo_note) for r in records]
    names = _names(run, pairs)
    lines = [UndoLine(names[r.index], r.client_id if r.undo != "gone" else None, r.undo,
                      note.split("\n") if note else []) for r, note in pairs]
    by = db.session.get(User, run.undone_by_id) if run.undone_by_id else None
    total = db.session.scalar(select(func.count()).select_from(ImportRecord)
                              .where(ImportRecord.run_id == run.id))
    return UndoReport(run.id, already, run.undone_at, by.name if by else None,
                      {k: counts.get(k, 0) for k in WORDS}, lines,
                      sum(counts[k] for k in shown) - len(records), total, run.undo_started_at)
