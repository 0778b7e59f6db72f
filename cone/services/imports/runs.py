"""What the Companies House pages read: import runs (bulk add, resync all) and their outcomes.

A bulk add runs within the request, but its result is kept as an ImportRun like a resync-all
run, so the page after the POST is a plain GET that can be reloaded and shared.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from cone.services.models import Client, ImportRun, User, db, utcnow
from cone.services.tx import transaction

PROVIDER = "companies_house"
RUNNING = frozenset({"queued", "running"})
BULK_ADD = "bulk_add"  # plan[0]["kind"] of a bulk-add run; resync-all runs have no plan
STATUS_WORDS = {"created": "Created", "exists": "Already a client", "not_found": "Not found",
                "invalid": "Not a company number", "failed": "Failed"}


@dataclass
class Outcome:
    """One line of a run's result: a number or client, what happened, and why."""
    label: str
    status: str
    message: str
    client_id: int | None = None


def get_run(run_id: int) -> ImportRun | None:
    """The import run with this id, or None."""
    return db.session.get(ImportRun, run_id)


def is_bulk_add(run: ImportRun) -> bool:
    """Whether the run is a bulk add by number (rather than a resync of every client)."""
    return bool(run.plan) and run.plan[0].get("kind") == BULK_ADD


def recent_runs(limit: int = 5) -> list[ImportRun]:
    """The latest Companies House runs, newest first."""
    stmt = (select(ImportRun).where(ImportRun.provider == PROVIDER)
            .order_by(ImportRun.created_at.desc(), ImportRun.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))


def record_bulk_add(results: list, *, user: User | None) -> ImportRun:
    """Keep the per-number results of a bulk add (NumberResult list) as a finished run."""
    counts = {s: sum(r.status == s for r in results) for s in STATUS_WORDS}
    now = utcnow()
    run = ImportRun(
        provider=PROVIDER, status="done", total=len(results), processed=len(results),
        created=counts["created"], skipped=counts["exists"],
        failed=counts["not_found"] + counts["invalid"] + counts["failed"],
        plan=[{"kind": BULK_ADD, "number": r.number, "client_id": r.client_id,
               "status": r.status, "message": r.message} for r in results],
        errors=[{"number": r.number, "reason": r.message} for r in results
                if r.status not in ("created", "exists")],
        started_by_id=user.id if user else None, created_at=now, started_at=now,
        finished_at=now)
    with transaction():
        db.session.add(run)
    return run


def bulk_summary(run: ImportRun) -> str:
    """One sentence: how many clients a bulk add created, skipped and could not create."""
    parts = [f"{run.created} created", f"{run.skipped} already clients"]
    if run.failed:
        parts.append(f"{run.failed} not added")
    return "Bulk add from Companies House: " + ", ".join(parts) + "."


def outcomes(run: ImportRun) -> list[Outcome]:
    """The lines of a finished run: every number of a bulk add, the failures of a resync."""
    if is_bulk_add(run):
        ids = [p["client_id"] for p in run.plan if p.get("client_id")]
        names = dict(db.session.execute(select(Client.id, Client.display_name)
                                        .where(Client.id.in_(ids))).all()) if ids else {}
        return [Outcome(label=f"{p['number']}" + (f" · {names[p['client_id']]}"
                                                    if p.get("client_id") in names else ""),
                        status=STATUS_WORDS.get(p["status"], p["status"]),
                        message=p.get("message") or "", client_id=p.get("client_id"))
                for p in run.plan]
    return [Outcome(label=e.get("name") or e.get("number") or "", status="Failed",
                    message=e.get("reason") or "", client_id=e.get("client_id"))
            for e in run.errors or []]
