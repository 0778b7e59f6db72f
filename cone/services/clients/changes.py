"""How a client's fields change: the saved values, snapshots for diffs, and applying cleaned values.

Shared by editing by hand, Companies House sync and platform imports, so a field is compared,
written and audited the same way whatever changed it.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import select

from cone.services import audit
from cone.services.clients.fields import (ADDRESS_FIELDS, FIELD_LABELS, ClientInvalid, Errors,
                                         UnknownContact, display_name, fields_for)
from cone.services.models import Client, Tag, User, db

NAME_FIELDS = ("legal_name", "trading_name", "first_name", "middle_name", "last_name",
               "known_as")


def current(client: Client, name: str) -> Any:
    """A field's saved value in the form diffs and comparisons use."""
    if name == "tags":
        return sorted((t.name for t in client.tags), key=str.casefold)
    value = getattr(client, name)
    return dataclasses.replace(value) if name in ADDRESS_FIELDS else value


def snapshot(client: Client) -> dict[str, Any]:
    """Every form field of the client, for a before/after diff."""
    return {name: current(client, name) for name in fields_for(client.kind)}


def same(a: Any, b: Any) -> bool:
    """Equal as stored values; lists of names compare without order or case."""
    if isinstance(a, list) and isinstance(b, list) and all(isinstance(x, str) for x in a + b):
        return sorted(a, key=str.casefold) == sorted(b, key=str.casefold)
    return audit.plain(a) == audit.plain(b)


def tags_named(names: list[str]) -> list[Tag]:
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


def apply(client: Client, values: dict[str, Any], user: User | None) -> None:
    """Set cleaned values, the derived display name and who changed it."""
    # No autoflush: a lazy load mid-way must not issue an UPDATE (and a version) of its own
    with db.session.no_autoflush:
        for name, value in values.items():
            setattr(client, name, tags_named(value) if name == "tags" else value)
        client.display_name = display_name(client.kind,
                                           {n: getattr(client, n) for n in NAME_FIELDS})
        client.updated_by_id = user.id if user else None


def build_client(kind: str, values: dict[str, Any], user: User | None) -> Client:
    """A client made from cleaned values, not yet in the session."""
    client = Client(kind=kind, status="customer", created_by_id=user.id if user else None)
    apply(client, values, user)
    return client


def new_client(kind: str, values: dict[str, Any], user: User | None) -> Client:
    """A client made from cleaned values, added to the session and given its id."""
    client = build_client(kind, values, user)
    db.session.add(client)
    db.session.flush()
    return client


def created(client: Client) -> list[dict]:
    """The "created" event's diff: every field the new client was given."""
    return audit.diff({}, snapshot(client))


def check_users(values: dict[str, Any], errors: Errors, client: Client | None = None) -> None:
    """Manager and partner are existing users; a newly chosen one must be active (a client's
    current manager or partner may stay on after being deactivated)."""
    for name in ("manager_id", "partner_id"):
        user_id = values.get(name)
        if user_id is None or name in errors:
            continue
        user = db.session.get(User, user_id)
        unchanged = client is not None and getattr(client, name) == user_id
        if user is None or not (user.active or unchanged):
            errors.add(name, f"Choose the {FIELD_LABELS[name].lower()} from the list of users.")


def refuse(errors: Errors, unknown: bool = False) -> None:
    """Refuse the input when anything was wrong with it."""
    if errors:
        raise (UnknownContact if unknown else ClientInvalid)(dict(errors))
