"""Taking back what one linked or updated import record did: remove the link and contacts it
made, put back the fields it changed unless they have changed since (undo_created.py takes
back the clients a run created).

Works inside the caller's transaction (undo.undo_run commits each batch) and returns what it
did as an Outcome; the record itself is marked by the caller.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select

from cone.services import audit
from cone.services.clients import changes
from cone.services.clients.fields import ADDRESS_FIELDS, FIELD_LABELS, PAST_DATES, fields_for
from cone.services.imports.apply import PASSIVE
from cone.services.models import (Address, Client, ClientContact, Contact, ExternalLink,
                                  ImportRecord, User, db)
from cone.services.sources import source_name


@dataclass
class Outcome:
    """What undoing one record did: removed|archived|restored|kept|unchanged|gone, and the
    sentences a person needs (why archived, what was kept)."""
    action: str
    notes: list[str] = field(default_factory=list)
    restored: list[dict] = field(default_factory=list)  # [{field, before, after}] put back


class _Unrestorable(Exception):
    """The stored earlier value cannot be turned back into the field's value."""


def label(name: str) -> str:
    """"VAT number", "Registered office"… for a field name."""
    return FIELD_LABELS.get(name) or name.replace("_", " ").capitalize()


def _typed(name: str, value: Any) -> Any:
    """A value as ImportRecord.changes stores it (audit.plain) turned back into the field's."""
    if name in ADDRESS_FIELDS:
        if value is None:
            return Address()  # the composite is never None: empty is all parts None
        if isinstance(value, dict):
            return Address(**{k: value.get(k) for k in Address.__dataclass_fields__})
        # plain() joins an address's lines: which line was the town cannot be told back
        raise _Unrestorable
    if value is None:
        return None
    if name in PAST_DATES and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def _unchanged_since(client: Client, name: str, after: Any) -> bool:
    """Whether the field still holds what the import wrote."""
    saved = changes.current(client, name)
    if name in ADDRESS_FIELDS and isinstance(after, dict):
        return changes.same(_typed(name, after), saved)
    return changes.same(after, saved)


def restore_fields(client: Client, recorded: list[dict] | None, user: User | None,
                   outcome: Outcome) -> None:
    """Put back each field's earlier value where it still holds the import's; list the rest."""
    values: dict[str, Any] = {}
    allowed = set(fields_for(client.kind))
    for change in recorded or []:
        name = change["field"]
        if name not in allowed or not _unchanged_since(client, name, change.get("after")):
            outcome.notes.append(f"{label(name)} changed since: kept")
            continue
        try:
            values[name] = _typed(name, change.get("before"))
        except _Unrestorable:
            outcome.notes.append(f"{label(name)}: its earlier value cannot be put back: kept")
    if not values:
        return
    before = {n: audit.plain(changes.current(client, n)) for n in values}
    changes.apply(client, values, user)  # as the edit form writes: display name, version, index
    outcome.restored = [{"field": n, "before": before[n],
                         "after": audit.plain(changes.current(client, n))} for n in values]


def _other_clients(contact_id: int, client_id: int) -> int:
    """How many clients besides this one the contact is linked to."""
    return db.session.scalar(select(func.count()).select_from(ClientContact).where(
        ClientContact.contact_id == contact_id, ClientContact.client_id != client_id))


def _contacts_made(record: ImportRecord) -> list[Contact]:
    """The contacts the record created that still exist."""
    ids = [int(i) for i in record.contact_ids or []]
    if not ids:
        return []
    return list(db.session.scalars(select(Contact).where(Contact.id.in_(ids))
                                   .order_by(Contact.id)))


def _removable(contact: Contact, client_id: int) -> str | None:
    """Why the contact must stay (linked elsewhere, edited since), or None to remove it."""
    if _other_clients(contact.id, client_id):
        return f"Contact {contact.name} is linked to another client: kept"
    if contact.version > 1:
        return f"Contact {contact.name} was edited since: kept"
    return None


def _remove_contacts(contacts: list[Contact], client: Client, outcome: Outcome) -> int:
    """Unlink and delete the contacts the import made, unless someone else uses them now;
    returns how many went."""
    removed = 0
    for contact in contacts:
        kept = _removable(contact, client.id)
        if kept:
            outcome.notes.append(kept)
            continue
        for link in list(contact.client_links):
            if link in client.contact_links:
                client.contact_links.remove(link)  # delete-orphan: the row goes
            else:
                db.session.delete(link)
        db.session.delete(contact)
        removed += 1
    return removed


def _take_back_link(client: Client, record: ImportRecord) -> str | None:
    """Remove the link the record made (or make it inactive again); what was done, in words."""
    link = db.session.get(ExternalLink, record.link_id) if record.link_id else None
    if link is None or link.client_id != client.id:
        return None
    where = source_name(link.provider)
    if record.link_was_new:
        client.external_links.remove(link)  # delete-orphan: the row goes
        return f"unlinked from {where}"
    if link.active and link.provider not in PASSIVE:
        link.active = False
        return f"unlinked from {where} (its earlier link kept, inactive)"
    return None


def undo_changed(client: Client, record: ImportRecord, user: User | None,
                 run_id: int) -> Outcome:
    """Take back a link the record made (linked) and the fields it changed (linked, updated)."""
    outcome = Outcome("restored")
    done = []
    if record.outcome == "linked":
        unlinked = _take_back_link(client, record)
        if unlinked:
            done.append(unlinked)
        removed = _remove_contacts(_contacts_made(record), client, outcome)
        if removed:
            done.append(f"removed {removed} contact{'s' if removed != 1 else ''} it added")
    restore_fields(client, record.changes, user, outcome)
    if outcome.restored:
        done.append("restored " + ", ".join(label(c["field"]).lower()
                                            for c in outcome.restored))
    kept = list(outcome.notes)
    if kept:
        outcome.action = "kept"
    elif not done:
        outcome.action = "unchanged"
    if done or kept:
        summary = "; ".join(done + kept)
        audit.record("import_undone", f"Import run {run_id} undone: {summary}", user=user,
                      client_id=client.id, changes=outcome.restored or None)
    outcome.notes = done + kept
    return outcome
