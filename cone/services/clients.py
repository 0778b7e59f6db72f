"""Clients by hand: create, edit (optimistic locking), archive, restore, list, contacts.

Every function owns its transaction: it commits on success, and on failure rolls back
and raises, so no partial rows remain.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm.exc import StaleDataError

from cone.services import audit
from cone.services.client_contacts import (ContactChoice, ContactsInput, add_contact,
                                           attach_contacts, link_contact, prepare_contacts,
                                           set_primary_contact, unlink_contact)
from cone.services.client_fields import (ADDRESS_FIELDS, BUSINESS_FIELDS, COMMON_FIELDS,
                                         FIELD_LABELS, INDIVIDUAL_FIELDS, ClientInvalid, Errors,
                                         NewContact, UnknownContact, check_year_end,
                                         clean_client, clean_value, display_name, fields_for)
from cone.services.duplicates import Duplicate, find_duplicates
from cone.services.models import Client, Tag, User, db, utcnow

__all__ = [
    "BUSINESS_FIELDS", "INDIVIDUAL_FIELDS", "COMMON_FIELDS", "FIELD_LABELS", "NewContact",
    "ContactChoice", "ContactsInput", "ClientInvalid", "StaleClient", "UnknownContact",
    "Duplicate", "create_client", "update_client", "find_duplicates", "archive_client",
    "restore_client", "get_client", "list_clients", "link_contact", "add_contact",
    "unlink_contact", "set_primary_contact", "owned_fields",
]

_ACCOUNTING = frozenset({"legal_name", "email", "phone", "registered_address", "vat_number"})
OWNED_FIELDS: dict[str, frozenset[str]] = {
    "companies_house": frozenset({"legal_name", "company_number", "entity_type",
                                  "incorporation_date", "registered_address", "sic_codes"}),
    "xero": _ACCOUNTING, "quickbooks": _ACCOUNTING, "freeagent": _ACCOUNTING,
    "sage": _ACCOUNTING,
}
SOURCE_NAMES = {"companies_house": "Companies House", "xero": "Xero",
                "quickbooks": "QuickBooks", "freeagent": "FreeAgent", "sage": "Sage"}
NAME_FIELDS = ("legal_name", "trading_name", "first_name", "middle_name", "last_name")


class StaleClient(Exception):
    """Someone saved the client after this form was loaded; nothing was overwritten."""

    def __init__(self, client: Client, differences: list[dict], updated_by: User | None,
                 updated_at):
        self.client, self.differences = client, differences
        self.updated_by, self.updated_at = updated_by, updated_at
        who = updated_by.name if updated_by else "someone else"
        super().__init__(f"This client was changed by {who} while you were editing it.")


def owned_fields(client: Client) -> frozenset[str]:
    """Fields the client's active source owns (empty for clients kept by hand)."""
    link = client.active_link
    return OWNED_FIELDS.get(link.provider, frozenset()) if link else frozenset()


class NotLinked(ValueError):
    """The client has no active source: it is already kept by hand."""


def unlink_source(client: Client, *, user: User, source: str) -> None:
    """Switch to manual: the active link ends; the owned fields keep their values, now editable.

    The link row stays (inactive) so the history of where the client came from is kept, and
    a re-import from the same record finds it instead of creating a duplicate.
    """
    link = client.active_link
    if link is None:
        raise NotLinked("This client is not linked to any source: its fields are kept by hand.")
    try:
        link.active = False
        audit.record("unlinked", f"Switched to manual: unlinked from {source} record "
                     f"{link.external_id}", user=user, client_id=client.id,
                     changes=[{"field": "source", "before": source, "after": "Manual"}])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def get_client(client_id: int) -> Client | None:
    """The client with this id, or None."""
    return db.session.get(Client, client_id)


def list_clients(*, q: str = "", archived: bool = False, page: int = 1, per_page: int = 25):
    """A page of clients, newest first, matching q on name, company number or e-mail."""
    stmt = select(Client)
    if not archived:
        stmt = stmt.where(Client.archived_at.is_(None))
    q = (q or "").strip()
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(*(col.ilike(like, escape="\\") for col in (
            Client.display_name, Client.company_number, Client.email))))
    stmt = stmt.order_by(Client.created_at.desc(), Client.id.desc())
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def _current(client: Client, name: str) -> Any:
    """A field's saved value in the form diffs and comparisons use."""
    if name == "tags":
        return sorted((t.name for t in client.tags), key=str.casefold)
    value = getattr(client, name)
    return dataclasses.replace(value) if name in ADDRESS_FIELDS else value


def _snapshot(client: Client) -> dict[str, Any]:
    """Every form field of the client, for a before/after diff."""
    return {name: _current(client, name) for name in fields_for(client.kind)}


def _same(a: Any, b: Any) -> bool:
    """Equal as stored values; lists of names compare without order or case."""
    if isinstance(a, list) and isinstance(b, list) and all(isinstance(x, str) for x in a + b):
        return sorted(a, key=str.casefold) == sorted(b, key=str.casefold)
    return audit.plain(a) == audit.plain(b)


def _tags(names: list[str]) -> list[Tag]:
    """Tag rows for these names, matched ignoring case; missing ones are created."""
    known = {t.name.casefold(): t for t in db.session.scalars(select(Tag))}
    tags = []
    for name in names:
        tag = known.get(name.casefold())
        if tag is None:
            tag = known[name.casefold()] = Tag(name=name)
            db.session.add(tag)
        tags.append(tag)
    return tags


def _apply(client: Client, values: dict[str, Any], user: User | None) -> None:
    """Set cleaned values, the derived display name and who changed it."""
    # No autoflush: a lazy load mid-way must not issue an UPDATE (and a version) of its own
    with db.session.no_autoflush:
        for name, value in values.items():
            setattr(client, name, _tags(value) if name == "tags" else value)
        client.display_name = display_name(client.kind,
                                           {n: getattr(client, n) for n in NAME_FIELDS})
        client.updated_by_id = user.id if user else None


def _check_users(values: dict[str, Any], errors: Errors, current: Client | None = None) -> None:
    """Manager and partner are existing users; a newly chosen one must be active."""
    for name in ("manager_id", "partner_id"):
        user_id = values.get(name)
        if user_id is None or name in errors:
            continue
        user = db.session.get(User, user_id)
        unchanged = current is not None and getattr(current, name) == user_id
        if user is None or not (user.active or unchanged):
            errors.add(name, f"Choose the {FIELD_LABELS[name].lower()} from the list of users.")


def _raise(errors: Errors, unknown: bool = False) -> None:
    """Refuse the input when anything was wrong with it."""
    if errors:
        raise (UnknownContact if unknown else ClientInvalid)(dict(errors))


def create_client(kind: str, data: dict, contacts: ContactsInput, *, user: User) -> Client:
    """Create a client by hand with its contacts; exactly one of them becomes primary."""
    errors = Errors()
    values = clean_client(kind, data, errors)
    check_year_end(values, errors)
    _check_users(values, errors)
    prepared, unknown = prepare_contacts(kind, contacts, errors)
    _raise(errors, unknown)
    try:
        client = Client(kind=kind, status="customer", created_by_id=user.id if user else None)
        _apply(client, values, user)
        db.session.add(client)
        db.session.flush()
        audit.record("created", f"Created {kind} client {client.display_name}", user=user,
                     client_id=client.id, changes=audit.diff({}, _snapshot(client)))
        attach_contacts(client, prepared, user=user)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return client


def _unchanged(client: Client, name: str, raw: Any) -> bool:
    """Whether a submitted value equals the saved one, as typed or once normalised."""
    saved = _current(client, name)
    loose = raw.strip() or None if isinstance(raw, str) else raw
    if _same(loose, saved):
        return True
    errors = Errors()
    cleaned = clean_value(name, raw, errors)
    return not errors and _same(cleaned, saved)


def _stale(client: Client, submitted: dict[str, Any]) -> StaleClient:
    """The conflict: each submitted field whose saved value differs from it."""
    differences = [
        {"field": name, "label": FIELD_LABELS[name], "saved": audit.plain(_current(client, name)),
         "yours": audit.plain(value)}
        for name, value in submitted.items() if not _same(_current(client, name), value)]
    updated_by = db.session.get(User, client.updated_by_id) if client.updated_by_id else None
    return StaleClient(client, differences, updated_by, client.updated_at)


def update_client(client: Client, data: dict, *, expected_version: int, user: User) -> Client:
    """Save an edit of the client, refusing stale forms and changes to source-owned fields."""
    errors = Errors()
    data = dict(data)
    owned = owned_fields(client)
    source = SOURCE_NAMES.get(client.active_link.provider, "") if owned else ""
    for name in owned & data.keys():
        if _unchanged(client, name, data[name]):
            del data[name]  # the source's value stays exactly as it was synced
        else:
            errors.add(name, f"{FIELD_LABELS[name]} comes from {source}: "
                             "it cannot be changed here.")
    values = clean_client(client.kind, data, errors, partial=True)
    if client.version != int(expected_version):
        stale = _stale(client, values)
        if stale.differences:
            raise stale
    check_year_end({name: values.get(name, getattr(client, name))
                    for name in ("year_end_day", "year_end_month")}, errors)
    _check_users(values, errors, current=client)
    _raise(errors)
    before = _snapshot(client)
    try:
        _apply(client, values, user)
        changes = audit.diff(before, _snapshot(client))
        if not changes:
            db.session.rollback()  # nothing to save; leave version and updated_by alone
            return client
        labels = ", ".join(FIELD_LABELS[c["field"]].lower() for c in changes)
        audit.record("updated", f"Updated {client.display_name}: {labels}", user=user,
                     client_id=client.id, changes=changes)
        db.session.commit()
    except StaleDataError:
        # Another save committed between our read and our UPDATE
        db.session.rollback()
        raise _stale(client, values) from None
    except Exception:
        db.session.rollback()
        raise
    return client


def _set_archived(client: Client, archived: bool, *, user: User) -> Client:
    """Archive or restore, recording the event; a no-op when already so."""
    if (client.archived_at is not None) == archived:
        return client
    try:
        client.archived_at = utcnow() if archived else None
        client.updated_by_id = user.id if user else None
        action = "archived" if archived else "restored"
        audit.record(action, f"{action.capitalize()} {client.display_name}", user=user,
                     client_id=client.id,
                     changes=[{"field": "archived", "before": not archived, "after": archived}])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return client


def archive_client(client: Client, *, user: User) -> Client:
    """Archive the client: it leaves the list but keeps its history."""
    return _set_archived(client, True, user=user)


def restore_client(client: Client, *, user: User) -> Client:
    """Bring an archived client back into the list."""
    return _set_archived(client, False, user=user)
