"""Taking back the clients an import created: each is removed, or archived instead when anyone
has worked on it since (edited it, added notes, linked contacts, linked or unlinked a source).

A batch loads what the decisions read in a few queries (Created.load), decides per record, and
deletes the clients to remove in one statement at its end (remove_all): the database's
cascades take their links, contact links and events, its triggers their search documents.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, exists, func, select, tuple_
from sqlalchemy.orm.exc import StaleDataError

from cone.services import audit
from cone.services.imports.apply import PASSIVE
from cone.services.imports.undo_record import Outcome
from cone.services.models import (Client, ClientContact, Contact, ImportRecord, Note, User, db,
                                  utcnow)

CHUNK = 500  # ids per DELETE: well within every engine's limit on bound parameters


def _grouped(pairs) -> dict[int, set[int]]:
    grouped: dict[int, set[int]] = {}
    for key, value in pairs:
        grouped.setdefault(key, set()).add(value)
    return grouped


@dataclass
class Created:
    """What one batch reads about the clients its records created, and what it will remove."""
    notes: dict[int, int]
    later: dict[int, list[ImportRecord]]  # client id: linked and updated records of any run
    contacts: dict[int, Contact]          # the contacts the records made, by id
    linked_to: dict[int, set[int]]        # contact id: the clients it is linked to
    clients: dict[int, Client] = field(default_factory=dict)  # to remove, by id
    contact_ids: set[int] = field(default_factory=set)     # to remove

    @classmethod
    def load(cls, records: list[ImportRecord]) -> Created:
        """Everything the batch's created records need, in four queries."""
        ids = sorted({r.client_id for r in records if r.outcome == "created" and r.client_id})
        made = sorted({int(i) for r in records if r.outcome == "created"
                       for i in r.contact_ids or []})
        if not ids:
            return cls({}, {}, {}, {})
        notes = dict(db.session.execute(select(Note.client_id, func.count()).where(
            Note.client_id.in_(ids)).group_by(Note.client_id)).all())
        later: dict[int, list[ImportRecord]] = {}
        for other in db.session.scalars(select(ImportRecord).where(
                ImportRecord.client_id.in_(ids),
                ImportRecord.outcome.in_(("linked", "updated")))):
            later.setdefault(other.client_id, []).append(other)
        contacts = {c.id: c for c in db.session.scalars(
            select(Contact).where(Contact.id.in_(made)))} if made else {}
        linked_to = _grouped(db.session.execute(select(
            ClientContact.contact_id, ClientContact.client_id).where(
            ClientContact.contact_id.in_(made))).all()) if made else {}
        return cls(notes, later, contacts, linked_to)

    def expected_version(self, record: ImportRecord) -> int | None:
        """The client's version if nothing but imports since undone touched it after the
        record; None when a later import's changes still stand."""
        expected = record.version
        for other in self.later.get(record.client_id, []):
            if other.version is None or other.version <= record.version or not other.changes:
                continue  # before this record, or wrote no field and so no version of its own
            if other.undo != "restored":
                return None
            expected += 2  # its write, and the undo that put every field back
        return expected

    def archive_reasons(self, client: Client, record: ImportRecord) -> list[str]:
        """Why the client must be kept (archived), or [] to remove it."""
        reasons = []
        expected = self.expected_version(record)
        if expected is None or client.version != expected:
            reasons.append("edited since the import")
        notes = self.notes.get(client.id, 0)
        if notes:
            reasons.append(f"{notes} note{'s' if notes != 1 else ''} added")
        made = {int(i) for i in record.contact_ids or []}
        others = sum(1 for cc in client.contact_links if cc.contact_id not in made)
        if others:
            reasons.append("a contact was linked" if others == 1
                           else f"{others} contacts were linked")
        if record.link_id and any(li.id != record.link_id for li in client.external_links):
            reasons.append("linked to another source")
        link = next((li for li in client.external_links if li.id == record.link_id), None)
        if link is not None and not link.active and link.provider not in PASSIVE:
            reasons.append("switched to manual since")
        return reasons

    def remove(self, client: Client, record: ImportRecord) -> Outcome:
        """Mark the client and the contacts the record made for removal; contacts linked to
        another client or edited since stay, and are listed."""
        outcome = Outcome("removed")
        self.clients[client.id] = client
        for contact_id in sorted({int(i) for i in record.contact_ids or []}):
            contact = self.contacts.get(contact_id)
            if contact is None:
                continue
            if self.linked_to.get(contact_id, set()) - {client.id}:
                outcome.notes.append(f"Contact {contact.name} is linked to another client: kept")
            elif contact.version > 1:
                outcome.notes.append(f"Contact {contact.name} was edited since: kept")
            else:
                self.contact_ids.add(contact_id)
        return outcome


def undo_created(client: Client, record: ImportRecord, created: Created, user: User | None,
                 run_id: int) -> Outcome:
    """Archive the client if anyone worked on it since, else mark it for removal."""
    reasons = created.archive_reasons(client, record)
    if not reasons:
        return created.remove(client, record)
    if client.archived_at is None:
        client.archived_at, client.updated_by_id = utcnow(), user.id if user else None
    audit.record("import_undone", f"Import run {run_id} undone: archived "
                 f"({', '.join(reasons)})", user=user, client_id=client.id,
                 changes=[{"field": "archived", "before": False, "after": True}])
    return Outcome("archived", reasons)


def remove_all(created: Created) -> None:
    """Delete the clients marked, then their contacts that no client uses now; StaleDataError
    when a client was saved after the batch read it (the batch is then read again)."""
    db.session.flush()
    # the version read with the client: a save since then makes the DELETE miss the row
    pairs = sorted((c.id, c.version) for c in created.clients.values())
    for i in range(0, len(pairs), CHUNK):
        chunk = pairs[i:i + CHUNK]
        deleted = db.session.execute(
            delete(Client).where(tuple_(Client.id, Client.version).in_(chunk))
            .execution_options(synchronize_session=False)).rowcount
        if deleted != len(chunk):
            raise StaleDataError("A client was changed while its import was being undone.")
    ids = sorted(created.contact_ids)
    for i in range(0, len(ids), CHUNK):
        unused = ~exists().where(ClientContact.contact_id == Contact.id)
        db.session.execute(delete(Contact).where(Contact.id.in_(ids[i:i + CHUNK]),
                                                 Contact.version == 1, unused)
                           .execution_options(synchronize_session=False))
    for client in created.clients.values():
        db.session.expunge(client)  # its row is gone: nothing may flush or load it again
