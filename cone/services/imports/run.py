"""Import runs: write each previewed record in its own transaction, so one failure never stops
the others and re-runs never duplicate. Progress and counts live on the ImportRun row.
"""
from __future__ import annotations

import logging

from sqlalchemy import update

from cone.services.imports import apply
from cone.services.imports.apply import RecordFailed, find_link
from cone.services.imports.preview import ImportRefused, PreviewRow, row_from_json
from cone.services.models import Client, ImportRun, User, db, utcnow
from cone.services.tx import transaction

log = logging.getLogger(__name__)


def start_import(run: ImportRun, *, user: User | None) -> ImportRun:
    """Claim the previewed run for a job (the caller enqueues it); refused if already started."""
    # One conditional UPDATE, so two clicks on Start cannot queue the run twice
    with transaction():
        claimed = db.session.execute(
            update(ImportRun).where(ImportRun.id == run.id, ImportRun.status == "preview")
            .values(status="queued", total=len(run.plan or []), processed=0,
                    started_by_id=user.id if user else run.started_by_id)).rowcount
    if claimed != 1:
        raise ImportRefused("This import has already started.")
    db.session.refresh(run)
    return run


def _one(row: PreviewRow, user: User | None) -> tuple[str, int | None]:
    """Write one record (caller commits); returns (outcome, client id)."""
    customer = row.customer
    if row.decision == "skip":
        return "skipped", row.client_id
    link = find_link(customer)
    if link is not None:  # linked since the preview (or by an earlier run): update, never create
        client = link.client
        changes = apply.update(client, link, customer, user)
        if not changes:
            return "skipped", client.id
        apply.record_resync(client, customer.provider, changes, user, verb="Updated")
        return "updated", client.id
    if row.decision == "update":
        raise RecordFailed("The client is no longer linked to this record: preview again.")
    if row.decision == "create":
        return "created", apply.create(customer, user).id
    client = db.session.get(Client, row.client_id)
    if client is None:
        raise RecordFailed("The matching client no longer exists.")
    apply.link(client, customer, user)
    return "linked", client.id


def _failure(row: PreviewRow, reason: str) -> dict:
    """One record's entry in the run's list of failures."""
    return {"index": row.index, "external_id": row.customer.external_id,
            "name": row.customer.name, "client_id": row.client_id, "reason": reason}


def _save(run_id: int, values: dict) -> None:
    """Write counts (and errors) with a plain UPDATE: reloading the run would read its plan."""
    db.session.execute(update(ImportRun).where(ImportRun.id == run_id).values(**values))


def run_import(run_id: int) -> ImportRun:
    """Carry out a queued run, one transaction per record; counts and progress as it goes."""
    # Claim the run: a second worker handed the same id finds it taken and leaves it
    with transaction():
        claimed = db.session.execute(
            update(ImportRun).where(ImportRun.id == run_id, ImportRun.status == "queued")
            .values(status="running", started_at=utcnow(), errors=[])).rowcount
    run = db.session.get(ImportRun, run_id)
    if not claimed:
        return run
    user = db.session.get(User, run.started_by_id) if run.started_by_id else None
    stored_plan = list(run.plan or [])  # held here: the run row is reloaded without it
    counts = dict.fromkeys(("processed", "created", "linked", "updated", "skipped", "failed"), 0)
    outcomes: dict[int, tuple[str, int | None, str]] = {}
    errors: list[dict] = []
    with transaction():
        _save(run_id, counts)
    try:
        for stored in stored_plan:
            row = row_from_json(stored)  # one customer at a time keeps memory flat on big runs
            try:
                with transaction():  # the record and the counts in one transaction
                    outcome, client_id = _one(row, user)
                    tally = dict(counts, processed=counts["processed"] + 1)
                    tally[outcome] += 1
                    _save(run_id, tally)
            except Exception as e:
                if isinstance(e, RecordFailed):
                    reason = str(e)
                else:
                    log.exception("Import run %s: record %s failed", run_id, row.index)
                    reason = "An unexpected error occurred: see the server log."
                errors.append(_failure(row, reason))
                counts["failed"] += 1
                counts["processed"] += 1
                with transaction():
                    _save(run_id, dict(counts, errors=list(errors)))
                outcomes[row.index] = ("failed", row.client_id, reason)
            else:
                counts = tally
                outcomes[row.index] = (outcome, client_id, "")
        status = "done"
    except Exception:
        log.exception("Import run %s stopped", run_id)
        status = "failed"
    plan = []
    for stored in stored_plan:
        outcome, client_id, message = outcomes.get(stored["index"], ("", None, ""))
        plan.append(dict(stored, outcome=outcome, result_client_id=client_id, message=message))
    with transaction():
        run = db.session.get(ImportRun, run_id)
        run.plan, run.status, run.finished_at = plan, status, utcnow()
    return run


def summary(run: ImportRun) -> str:
    """"12 created, 3 linked, 40 updated, 5 skipped, 1 failed." for messages and the CLI."""
    parts = [f"{getattr(run, n)} {n}" for n in ("created", "linked", "updated", "skipped",
                                                  "failed")]
    return ", ".join(parts) + "."
