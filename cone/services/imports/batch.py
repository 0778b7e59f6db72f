"""One batch of an import run: its records in one transaction, each inside a SAVEPOINT.

A record that fails (a refused value, a constraint the database enforces) rolls back alone and
is recorded as failed with its reason; the rest of the batch is written. The batch's lookups are
loaded at once (the links of its records, the clients they reach), its activity events and
ImportRecord rows are inserted in one statement each, the search documents of the existing
clients it changed are rewritten once (bulk_load indexes the clients it created), and the run's
counts and heartbeat are written in the same transaction: a committed batch is complete and
counted, an interrupted one left no trace.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from sqlalchemy import event, insert, update
from sqlalchemy.orm.attributes import set_committed_value

from cone.services import audit
from cone.services.imports import apply
from cone.services.imports import bulk_create
from cone.services.imports.apply import PASSIVE, NewClient, RecordFailed
from cone.services.imports.lookups import Key, Lookups, key
from cone.services.imports.preview import PreviewRow, row_from_json
from cone.services.models import (Client, ExternalLink, ImportRecord, ImportRun, User, db,
                                  utcnow)
from cone.services.providers.accounting import ExternalCustomer
from cone.services.search.bulk_load import refresh_documents

log = logging.getLogger(__name__)

OUTCOMES = ("created", "linked", "updated", "skipped", "failed")
UNEXPECTED = "An unexpected error occurred: see the server log."

@dataclass
class Tally:
    """A run's counts so far, as ImportRun holds them."""
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    warned: int = 0

    @property
    def processed(self) -> int:
        return sum(self.counts.values())

    def values(self) -> dict:
        return {**self.counts, "processed": self.processed, "warned": self.warned}


@dataclass
class Written:
    """What one record did, before its row is built (ids are known only after the flush)."""
    outcome: str
    client: Client | None = None
    link: ExternalLink | None = None
    link_was_new: bool = False
    contacts_before: set[int] | None = None  # None: the record added no contacts
    changes: list[dict] | None = None


# A client just inserted has none of these yet; unloaded, each would cost a SELECT when the
# created event's snapshot or the record's row reads it (three per created client)
NEW_CLIENT_EMPTY = ("tags", "contact_links", "external_links")


def _new_client_loaded(_session, instance) -> None:
    """Mark a just-inserted client's collections as loaded and empty, as they are."""
    if isinstance(instance, Client):
        for name in NEW_CLIENT_EMPTY:
            if name not in instance.__dict__:
                set_committed_value(instance, name, [])


def _link_of(client: Client, customer: ExternalCustomer) -> ExternalLink | None:
    """The client's link to this platform record."""
    return next((li for li in client.external_links
                 if (li.provider, li.tenant_id or "", li.external_id) == key(customer)), None)


def _write(row: PreviewRow, user: User | None, found: Lookups) -> Written:
    """Write one record (inside its savepoint), as the decision and the register say."""
    customer = row.customer
    if row.decision == "skip":
        return Written("skipped", found.clients.get(row.client_id))
    link = found.link(customer)
    if link is not None:  # linked since the preview (or by an earlier run): update, never create
        client = found.clients.get(link.client_id) or link.client
        changes = apply.update(client, link, customer, user)
        if not changes:
            return Written("skipped", client, link)
        apply.record_resync(client, customer.provider, changes, user, verb="Updated")
        return Written("updated", client, link, changes=changes)
    if row.decision == "update":
        raise RecordFailed("The client is no longer linked to this record: preview again.")
    if row.decision == "create":
        client = apply.create(customer, user)
        return Written("created", client, _link_of(client, customer), True, set())
    client = found.clients.get(row.client_id) if row.client_id else None
    if client is None:
        raise RecordFailed("The matching client no longer exists.")
    was_new = _link_of(client, customer) is None
    before = {cc.contact_id for cc in client.contact_links}
    changes = apply.link(client, customer, user)
    return Written("linked", client, _link_of(client, customer), was_new, before, changes)


def _record(run_id: int, row: PreviewRow, outcome: str, **values) -> dict:
    """An ImportRecord's values, every column named (the batch inserts them in one statement)."""
    return {"run_id": run_id, "index": row.index, "outcome": outcome, "client_id": row.client_id,
            "link_id": None, "link_was_new": False, "contact_ids": None, "changes": None,
            "version": None, "message": None, "warnings": None, **values}


def _row(run_id: int, row: PreviewRow, done: Written) -> dict:
    """The ImportRecord values of a written record (after its savepoint's flush)."""
    client, link = done.client, done.link
    values = _record(run_id, row, done.outcome,
                     client_id=client.id if client is not None else row.client_id)
    if done.outcome == "skipped":
        return values
    values.update(link_id=link.id if link is not None else None, link_was_new=done.link_was_new,
                  version=client.version, warnings=(link.warnings or None) if link else None,
                  changes=[{"field": c["field"], "before": c.get("before_parts", c.get("before")),
                            "after": c.get("after_parts", c.get("after"))}
                           for c in done.changes or []] or None)
    if done.contacts_before is not None:
        values["contact_ids"] = sorted(cc.contact_id for cc in client.contact_links
                                       if cc.contact_id not in done.contacts_before) or None
    return values


def _failed(run_id: int, row: PreviewRow, error: Exception) -> dict:
    """The ImportRecord values of a record that could not be written, and why."""
    if isinstance(error, RecordFailed):
        message = str(error)
    else:
        log.error("Import run %s: record %s failed", run_id, row.index, exc_info=error)
        message = UNEXPECTED
    return _record(run_id, row, "failed", message=message)


def write_batch(run_id: int, stored: list[dict], user: User | None, tally: Tally,
                seconds: float | None = None) -> int:
    """Write the plan rows stored (none of them recorded yet) in the session's open transaction,
    stopping early once `seconds` have passed, and add them to tally; the caller commits.
    Updates the run's counts and heartbeat. Returns how many of the rows it wrote."""
    found = Lookups(stored)
    records, touched = [], set()
    deadline = time.monotonic() + seconds if seconds else None
    session = db.session()
    event.listen(session, "pending_to_persistent", _new_client_loaded)
    try:
        _write_all(run_id, stored, user, found, tally, records, touched, deadline)
    finally:
        event.remove(session, "pending_to_persistent", _new_client_loaded)
    db.session.execute(insert(ImportRecord), records)
    refresh_documents(db.session, touched)
    db.session.execute(update(ImportRun).where(ImportRun.id == run_id)
                       .values(**tally.values(), heartbeat_at=utcnow()))
    return len(records)


def _write_all(run_id: int, stored: list[dict], user: User | None, found: Lookups,
               tally: Tally, records: list[dict], touched: set[int],
               deadline: float | None) -> None:
    """Each record in its savepoint, the new clients together (bulk_create.py); their events
    inserted together at the end."""
    pending = Pending()
    with audit.collecting() as events:
        for plan_row in stored:
            if deadline is not None and records and time.monotonic() > deadline:
                break
            row = row_from_json(plan_row)
            if row.decision == "create" and found.link(row.customer) is None:
                if key(row.customer) in pending.keys:  # the same record twice: the first first
                    made = pending.write(run_id, records, user, found, touched, events)
                    if key(row.customer) in made:
                        found.links[key(row.customer)] = db.session.get(
                            ExternalLink, made[key(row.customer)])
                else:
                    try:
                        new = apply.prepare(row.customer, user)
                    except RecordFailed as error:
                        records.append(_failed(run_id, row, error))
                        continue
                    if bulk_create.fits(new):
                        pending.add(len(records), row, new)
                        records.append({})  # filled in once the batch's new clients are in
                        continue
            records.append(_one(run_id, row, user, found, touched, events))
        pending.write(run_id, records, user, found, touched, events)
        audit.insert_collected(events)
    for values in records:
        tally.counts[values["outcome"]] += 1
        tally.warned += bool(values["warnings"])


def _one(run_id: int, row: PreviewRow, user: User | None, found: Lookups, touched: set[int],
         events: list[dict]) -> dict:
    """Write one record in its own savepoint; its ImportRecord values (failed: and why)."""
    kept = len(events)
    try:
        with db.session.begin_nested():
            done = _write(row, user, found)
            db.session.flush()  # ids and versions for the record's row
            values = _row(run_id, row, done)
    except Exception as error:  # the savepoint is rolled back: this record only
        del events[kept:]
        return _failed(run_id, row, error)
    if done.link is not None and (done.link.active or done.link.provider in PASSIVE):
        found.links.setdefault(key(row.customer), done.link)
    if done.outcome in ("linked", "updated"):
        touched.add(done.client.id)
    return values


@dataclass
class Pending:
    """Created records prepared and waiting for the batch's one INSERT per table."""
    waiting: list[tuple[int, PreviewRow, NewClient]] = field(default_factory=list)
    keys: set[Key] = field(default_factory=set)

    def add(self, position: int, row: PreviewRow, new: NewClient) -> None:
        self.waiting.append((position, row, new))
        self.keys.add(key(row.customer))

    def write(self, run_id: int, records: list[dict], user: User | None, found: Lookups,
              touched: set[int], events: list[dict]) -> dict[Key, int]:
        """Insert the waiting records together (if the database refuses a row, one by one);
        the links made together, by platform record."""
        waiting, self.waiting, self.keys = self.waiting, [], set()
        kept = len(events)
        try:
            with db.session.begin_nested():
                created = bulk_create.insert_all([new for _, _, new in waiting], user)
        except Exception:
            log.info("Import run %s: a new client was refused: writing them one by one", run_id,
                     exc_info=True)
            del events[kept:]
            for position, row, _ in waiting:
                records[position] = _one(run_id, row, user, found, touched, events)
            return {}
        for (position, row, new), done in zip(waiting, created):
            records[position] = _record(
                run_id, row, "created", client_id=done.client_id, link_id=done.link_id,
                link_was_new=True, contact_ids=done.contact_ids or None, version=done.version,
                warnings=new.link.warnings or None)
        return {key(row.customer): done.link_id for (_, row, _), done in zip(waiting, created)}
