"""Importing customers from accounting platforms and CSV files: preview, decisions, the run.

A preview classifies each incoming customer against the register before anything is written:
*linked* (the same platform record is already a client's source), *match* (an existing client
shares its company number, VAT number or e-mail, or has a similar name), *new*, or *skipped*
(archived or not a customer). The ImportRun keeps the plan; the run then writes each record in
its own transaction, so one failure never stops the others, and re-runs never duplicate.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import update

from cone.services import audit
from cone.services import imports_apply as apply
from cone.services.imports_apply import (RecordFailed, customer_from_json, customer_json,
                                         find_link, source_name)
from cone.services.imports_match import Indexes
from cone.services.models import Client, ImportRun, User, db, utcnow
from cone.services.providers.accounting import ExternalCustomer

log = logging.getLogger(__name__)

CLASSIFICATIONS = ("new", "linked", "match", "skipped")
# What a person may decide for each kind of row
CHOICES = {"new": ("create", "skip"), "linked": ("update", "skip"),
           "match": ("link", "create", "skip"), "skipped": ("skip",)}


class ImportRefused(ValueError):
    """The run cannot do what was asked; str() is a sentence for the user."""


@dataclass
class PreviewRow:
    index: int
    customer: ExternalCustomer
    classification: str        # "new" | "linked" | "match" | "skipped"
    client_id: int | None
    reason: str
    score: int
    decision: str              # "create" | "update" | "link" | "skip"
    client_name: str | None = None
    exact: bool = False        # a match on an identifier, safe to link without a person


def _classify(index: int, customer: ExternalCustomer, indexes: Indexes,
              include_inactive: bool) -> PreviewRow:
    """One row of the preview: what the customer is to the register, and why."""
    row = PreviewRow(index, customer, "new", None, "Not in the register yet", 0, "create")
    linked = indexes.linked(customer)
    if customer.problems:
        row.classification, row.reason = "skipped", "; ".join(customer.problems)
    elif not include_inactive and customer.archived:
        row.classification = "skipped"
        row.reason = f"Archived in {source_name(customer.provider)}"
    elif not include_inactive and not customer.is_customer and linked is None:
        row.classification = "skipped"
        row.reason = f"Not marked as a customer in {source_name(customer.provider)}"
    elif linked is not None:
        row.classification, row.client_id, row.score = "linked", linked, 100
        row.reason = f"Already linked to {source_name(customer.provider)}"
    else:
        match = indexes.match(customer)
        if match is not None:
            row.classification, row.client_id = "match", match.client_id
            row.reason, row.score, row.exact = match.reason, match.score, match.exact
    if row.client_id is not None:
        row.client_name = indexes.client_name(row.client_id)
    return row


def default_decisions(rows: Iterable[PreviewRow]) -> dict[int, str]:
    """Create new, update linked, link exact matches; fuzzy matches wait for a person."""
    decisions = {}
    for row in rows:
        if row.classification == "new":
            decisions[row.index] = "create"
        elif row.classification == "linked":
            decisions[row.index] = "update"
        elif row.classification == "match" and row.exact:
            decisions[row.index] = "link"
        else:
            decisions[row.index] = "skip"
    return decisions


def build_preview(customers: Iterable[ExternalCustomer], *,
                  include_inactive: bool = False) -> list[PreviewRow]:
    """Classify every customer against the register, with the default decision for each."""
    customers = list(customers)
    indexes = Indexes.load({(c.provider, c.tenant_id) for c in customers})
    rows = [_classify(i, c, indexes, include_inactive) for i, c in enumerate(customers)]
    for index, decision in default_decisions(rows).items():
        rows[index].decision = decision
    return rows


def row_json(row: PreviewRow) -> dict:
    """A preview row as stored in ImportRun.plan."""
    return {"index": row.index, "classification": row.classification,
            "client_id": row.client_id, "client_name": row.client_name, "reason": row.reason,
            "score": row.score, "exact": row.exact, "decision": row.decision,
            "customer": customer_json(row.customer)}


def _row(r: dict) -> PreviewRow:
    """A stored plan row as a PreviewRow."""
    return PreviewRow(r["index"], customer_from_json(r["customer"]), r["classification"],
                      r["client_id"], r["reason"], r["score"], r["decision"],
                      r.get("client_name"), r.get("exact", False))


def plan_rows(run: ImportRun) -> list[PreviewRow]:
    """The run's plan as PreviewRows (the stored customers included)."""
    return [_row(r) for r in run.plan or []]


def create_preview_run(provider: str, rows: list[PreviewRow], *, user: User | None,
                       connection_id: int | None = None) -> ImportRun:
    """Store the preview as an ImportRun in status "preview"; nothing else is written."""
    run = ImportRun(provider=provider, connection_id=connection_id, status="preview",
                    total=len(rows), plan=[row_json(r) for r in rows], errors=[],
                    started_by_id=user.id if user else None)
    try:
        db.session.add(run)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return run


def set_decisions(run: ImportRun, decisions: dict[int, str], *, user: User | None) -> ImportRun:
    """Change the decision of some rows; refused once the run has started or if not allowed."""
    if run.status != "preview":
        raise ImportRefused("This import has already started: its decisions cannot change.")
    plan = [dict(r) for r in run.plan or []]
    by_index = {r["index"]: r for r in plan}
    for index, decision in decisions.items():
        row = by_index.get(int(index))
        if row is None:
            raise ImportRefused(f"Row {index} is not part of this import.")
        if decision not in CHOICES[row["classification"]]:
            raise ImportRefused(f"“{decision}” is not a choice for {row['customer']['name']}.")
        if decision == "link" and row["client_id"] is None:
            raise ImportRefused(f"{row['customer']['name']} has no matching client to link to.")
        row["decision"] = decision
    run.plan = plan  # a new list, so the JSON column is written
    db.session.commit()
    return run


def start_import(run: ImportRun, *, user: User | None) -> ImportRun:
    """Queue the run: a Huey job writes the records; the run row shows its progress."""
    from cone.services import jobs
    # One conditional UPDATE, so two clicks on Start cannot queue the run twice
    claimed = db.session.execute(
        update(ImportRun).where(ImportRun.id == run.id, ImportRun.status == "preview")
        .values(status="queued", total=len(run.plan or []), processed=0,
                started_by_id=user.id if user else run.started_by_id)).rowcount
    db.session.commit()
    if claimed != 1:
        raise ImportRefused("This import has already started.")
    jobs.import_task(run.id)
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
        audit.record("resynced", f"Updated from {source_name(customer.provider)}: "
                     + ", ".join(c["label"].lower() for c in changes), user=user,
                     client_id=client.id,
                     changes=[{k: c[k] for k in ("field", "before", "after")} for c in changes])
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
    return {"index": row.index, "external_id": row.customer.external_id,
            "name": row.customer.name, "client_id": row.client_id, "reason": reason}


def run_import(run_id: int) -> ImportRun:
    """Carry out a queued run, one transaction per record; counts and progress as it goes."""
    # Claim the run: a second worker handed the same id finds it taken and leaves it
    claimed = db.session.execute(
        update(ImportRun).where(ImportRun.id == run_id, ImportRun.status == "queued")
        .values(status="running", started_at=utcnow(), errors=[])).rowcount
    db.session.commit()
    run = db.session.get(ImportRun, run_id)
    if not claimed:
        return run
    user = db.session.get(User, run.started_by_id) if run.started_by_id else None
    stored_plan = list(run.plan or [])  # held here: the run row is reloaded without it
    counts = dict.fromkeys(("processed", "created", "linked", "updated", "skipped", "failed"), 0)
    outcomes: dict[int, tuple[str, int | None, str]] = {}
    errors: list[dict] = []

    def save(**extra) -> None:
        # A plain UPDATE: reloading the run would read its whole plan again for every record
        db.session.execute(update(ImportRun).where(ImportRun.id == run_id)
                           .values(**counts, **extra))
        db.session.commit()
    save()
    try:
        for stored in stored_plan:
            row = _row(stored)  # one customer at a time keeps memory flat on big runs
            try:
                outcome, client_id = _one(row, user)
                counts[outcome] += 1
                counts["processed"] += 1
                save()  # the record and the counts in one transaction
                outcomes[row.index] = (outcome, client_id, "")
            except Exception as e:
                db.session.rollback()
                if isinstance(e, RecordFailed):
                    reason = str(e)
                else:
                    log.exception("Import run %s: record %s failed", run_id, row.index)
                    reason = "An unexpected error occurred: see the server log."
                errors.append(_failure(row, reason))
                counts["failed"] += 1
                counts["processed"] += 1
                save(errors=list(errors))
                outcomes[row.index] = ("failed", row.client_id, reason)
        status = "done"
    except Exception:
        db.session.rollback()
        log.exception("Import run %s stopped", run_id)
        status = "failed"
    run = db.session.get(ImportRun, run_id)
    plan = []
    for stored in stored_plan:
        outcome, client_id, message = outcomes.get(stored["index"], ("", None, ""))
        plan.append(dict(stored, outcome=outcome, result_client_id=client_id, message=message))
    run.plan, run.status, run.finished_at = plan, status, utcnow()
    db.session.commit()
    return run


def summary(run: ImportRun) -> str:
    """"12 created, 3 linked, 40 updated, 5 skipped, 1 failed." for messages and the CLI."""
    parts = [f"{getattr(run, n)} {n}" for n in ("created", "linked", "updated", "skipped",
                                                  "failed")]
    return ", ".join(parts) + "."


from cone.services.imports_resync import NotLinkedToPlatform, resync_client  # noqa: E402

__all__ = ["PreviewRow", "CLASSIFICATIONS", "CHOICES", "ImportRefused", "RecordFailed",
           "build_preview", "default_decisions", "create_preview_run", "set_decisions",
           "start_import", "run_import", "resync_client", "plan_rows", "summary",
           "NotLinkedToPlatform"]
