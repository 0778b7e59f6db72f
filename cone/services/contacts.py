"""Contacts: search for the picker and the list, create, and edit with optimistic locking."""
from __future__ import annotations

import unicodedata

from sqlalchemy import ColumnElement, and_, func, or_
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from cone.services import audit, validation
from cone.services.models import (ADDRESS_PARTS, ActivityEvent, Address, ClientContact, Contact,
                                 User, db)
from cone.services.tx import transaction

FIELDS = ("title", "first_name", "last_name", "email", "phone", "address")
FIELD_LABELS = {"title": "Title", "first_name": "First name", "last_name": "Last name",
                "email": "E-mail", "phone": "Phone", "address": "Address"}
PART_LABELS = {"line1": "Address line 1", "line2": "Address line 2", "town": "Town",
               "county": "County", "postcode": "Postcode", "country": "Country"}
UK_NAMES = {"", "uk", "u.k.", "gb", "united kingdom", "great britain", "england", "scotland",
            "wales", "northern ireland"}


class ContactInvalid(ValueError):
    """Bad contact data; .errors maps field names to messages. Nothing was written."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(m for msgs in errors.values() for m in msgs))


class StaleContact(Exception):
    """Someone saved the contact after the user opened it; nothing was written."""

    def __init__(self, contact: Contact, differences: list[dict]):
        self.contact = contact
        self.differences = differences
        self.updated_at = contact.updated_at
        self.updated_by = _last_editor(contact)
        super().__init__(f"{contact.name} was changed by someone else.")


def _last_editor(contact: Contact) -> User | None:
    """Who last saved the contact, from its own activity."""
    event = db.session.scalars(
        db.select(ActivityEvent).where(ActivityEvent.contact_id == contact.id,
                                       ActivityEvent.client_id.is_(None))
        .order_by(ActivityEvent.created_at.desc(), ActivityEvent.id.desc()).limit(1)).first()
    return event.user if event else None


def max_length(column: str) -> int:
    """The length of a Contact column, so forms and the service agree with the schema."""
    return Contact.__table__.c[column].type.length


def fold(text: str | None) -> str:
    """Lower case without accents: the form both sides of a search comparison take."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


# Accented Latin letters and their plain lower-case letter, for PostgreSQL's translate()
_ACCENTED = "".join(ch for ch in map(chr, range(0xC0, 0x250))
                    if len(unicodedata.normalize("NFKD", ch)) > 1 and fold(ch).isascii()
                    and len(fold(ch)) == 1)
_PLAIN = fold(_ACCENTED)


def _folded(column) -> ColumnElement:
    """SQL for fold(column) on the session's engine."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        # SQLite's lower() knows only ASCII: lend it Python's (cheap, per connection)
        connection.connection.dbapi_connection.create_function(
            "cone_fold", 1, fold, deterministic=True)
        return func.cone_fold(column)
    return func.translate(func.lower(column), _ACCENTED, _PLAIN)


def _like_prefix(word: str) -> str:
    """A LIKE pattern matching words that start with word (wildcards escaped)."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _matches(q: str) -> ColumnElement | None:
    """Every word must start first name, last name (or a part of it) or e-mail."""
    # A search is not kept, so control characters are dropped (PostgreSQL refuses NUL)
    words = fold(validation.without_controls(q)).split()
    if not words:
        return None
    first, last, email = (_folded(c) for c in (Contact.first_name, Contact.last_name,
                                               Contact.email))
    full = _folded(Contact.first_name + " " + func.coalesce(Contact.last_name, ""))
    per_word = and_(*(or_(first.like(_like_prefix(w), escape="\\"),
                          last.like(_like_prefix(w), escape="\\"),
                          last.like("% " + _like_prefix(w), escape="\\"),
                          last.like("%-" + _like_prefix(w), escape="\\"),
                          email.like(_like_prefix(w), escape="\\")) for w in words))
    return or_(per_word, full.like(_like_prefix(" ".join(words)), escape="\\"))


def _ordered(stmt):
    """The statement ordered by surname, then first name."""
    return stmt.order_by(func.lower(func.coalesce(Contact.last_name, Contact.first_name)),
                         func.lower(Contact.first_name), Contact.id)


def search_contacts(q: str, *, limit: int = 20, exclude_ids=()) -> list[Contact]:
    """Contacts matching q word by word (case and accents ignored), by last then first name."""
    stmt = db.select(Contact)
    condition = _matches(q or "")
    if condition is not None:
        stmt = stmt.where(condition)
    ids = [int(i) for i in exclude_ids]
    if ids:
        stmt = stmt.where(Contact.id.not_in(ids))
    return list(db.session.scalars(_ordered(stmt).limit(limit)))


def label(contact: Contact) -> str:
    """How a contact reads in a picker: "Name · email"."""
    return f"{contact.name} · {contact.email}" if contact.email else contact.name


def choices(q: str = "", limit: int = 20, *, exclude_ids=()) -> list[tuple[int, str]]:
    """(id, "Name · email") pairs for a picker's select."""
    return [(c.id, label(c)) for c in search_contacts(q, limit=limit, exclude_ids=exclude_ids)]


def list_contacts(q: str = "", page: int = 1, per_page: int = 25):
    """One page of contacts matching q, with their linked clients loaded."""
    stmt = db.select(Contact).options(
        selectinload(Contact.client_links).selectinload(ClientContact.client))
    condition = _matches(q or "")
    if condition is not None:
        stmt = stmt.where(condition)
    return db.paginate(_ordered(stmt), page=page, per_page=per_page, error_out=False)


def get_contact(contact_id: int) -> Contact | None:
    """The contact with this id, or None."""
    return db.session.get(Contact, contact_id)


def linked_clients(contact: Contact) -> list[ClientContact]:
    """The contact's client links: current clients first, then by name."""
    return sorted(contact.client_links, key=lambda cc: (cc.client.archived_at is not None,
                                                        cc.client.display_name.lower()))


def clean(data: dict) -> dict:
    """Normalised contact fields from data, or ContactInvalid with a message per field."""
    errors: dict[str, list[str]] = {}
    out: dict = {}
    for name in ("title", "first_name", "last_name", "email", "phone"):
        out[name] = _text(data.get(name), name, FIELD_LABELS[name], errors)
    if not out["first_name"] and "first_name" not in errors:
        errors["first_name"] = ["Enter a first name."]
    for name, check in (("email", validation.email), ("phone", validation.phone)):
        if out[name] and name not in errors:
            out[name] = _checked(check, out[name], name, errors)
    given = data.get("address") or Address()
    parts = {p: _text(getattr(given, p), f"address_{p}", PART_LABELS[p], errors)
             for p in ADDRESS_PARTS}
    if parts["postcode"] and (parts["country"] or "").lower() in UK_NAMES:
        parts["postcode"] = _checked(validation.postcode, parts["postcode"], "address_postcode",
                                     errors)
    out["address"] = Address(**parts)
    if errors:
        raise ContactInvalid(errors)
    return out


def _text(value, field: str, label_: str, errors: dict) -> str | None:
    """The stripped text, or None; a message in errors when it cannot be stored."""
    text = (value or "").strip()
    try:
        validation.plain_text(text)
    except validation.Invalid as e:
        errors[field] = [str(e)]
        return text or None
    if len(text) > max_length(field):
        errors[field] = [f"{label_} must be at most {max_length(field)} characters."]
    return text or None


def _checked(check, value: str, field: str, errors: dict):
    """check(value), or the value as typed with the message in errors."""
    try:
        return check(value)
    except validation.Invalid as e:
        errors[field] = [str(e)]
        return value


def create_contact(data: dict, *, user: User | None) -> Contact:
    """Add a standalone contact and record it."""
    values = clean(data)
    contact = Contact(**values)
    with transaction():
        db.session.add(contact)
        db.session.flush()
        audit.record("contact_created", f"Added contact {contact.name}", user=user,
                     contact_id=contact.id, changes=audit.diff({}, values))
    return contact


def update_contact(contact: Contact, data: dict, *, expected_version: int,
                   user: User | None) -> Contact:
    """Save a contact's fields for every linked client; StaleContact if it changed meanwhile."""
    values = clean(data)
    if expected_version != contact.version:
        raise StaleContact(contact, differences(contact, values))
    before = audit.snapshot(contact, FIELDS)
    changes = audit.diff(before, values)
    if not changes:
        return contact
    try:
        with transaction():
            for name, value in values.items():
                setattr(contact, name, value)
            summary = f"Updated contact {contact.name}"
            for link in contact.client_links:
                audit.record("contact_updated", summary, user=user, client_id=link.client_id,
                             changes=changes)
            audit.record("contact_updated", summary, user=user, contact_id=contact.id,
                         changes=changes)
    except StaleDataError:
        # another worker committed between our read and our UPDATE
        db.session.refresh(contact)
        raise StaleContact(contact, differences(contact, values)) from None
    return contact


def differences(contact: Contact, values: dict) -> list[dict]:
    """Fields whose saved value differs from what the user submitted."""
    return audit.compare(contact, values, FIELDS, FIELD_LABELS, ("saved", "yours"))


def contact_events(contact: Contact, limit: int = 20):
    """The contact's own activity, newest first."""
    stmt = (db.select(ActivityEvent).where(ActivityEvent.contact_id == contact.id)
            .order_by(ActivityEvent.created_at.desc(), ActivityEvent.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))

