"""The new clients of a batch, written together: one INSERT per table instead of a flush each.

Most records of a first import create a client, and writing one through the ORM costs two
unit-of-work flushes (the client for its id, then its link, contacts and their savepoint):
about two thirds of the time a record took. Here each created record is prepared exactly as
apply.create prepares it (apply.prepare: the same cleaning, names, warnings and link), then
the batch's clients, links, contacts, contact links and events go in with one statement per
table. If the database refuses any of those rows, the statements roll back to their savepoint
and the batch writes the same records one by one through apply.create, each in its own
savepoint, so a refused record still fails alone.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sqlalchemy import insert, inspect

from cone.services import audit
from cone.services.clients import changes
from cone.services.clients.contacts import added_summary
from cone.services.imports.apply import NewClient
from cone.services.models import Client, ClientContact, Contact, ExternalLink, User, db


@dataclass
class Created:
    """What one created record wrote, for its ImportRecord."""
    client_id: int
    link_id: int
    contact_ids: list[int]
    version: int


def fits(new: NewClient) -> bool:
    """Whether the record's contacts are the shape imports make: new people, the first primary
    (anything else goes through apply.create)."""
    people = new.people
    return people is None or (not people.existing and people.primary == ("new", 0))


def _row(obj) -> dict:
    """Every column of a new, unsaved object, its Python-side defaults filled in as the ORM
    would (each row must name the same columns for a multi-row INSERT)."""
    row = {}
    for prop in inspect(type(obj)).column_attrs:
        column = prop.columns[0]
        if column.primary_key:
            continue
        value = getattr(obj, prop.key)
        if value is None and column.default is not None:
            default = column.default
            value = default.arg if default.is_scalar else default.arg(None)
        row[column.key] = value
    return row


def _insert(model, rows: list[dict]) -> list[int]:
    """Insert the rows in one statement; their new ids, in the rows' order."""
    if not rows:
        return []
    table = model.__table__
    result = db.session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    return list(result.scalars())


def insert_all(batch: list[NewClient], user: User | None) -> list[Created]:
    """Write the prepared records (in the caller's transaction); what each wrote, in order."""
    client_ids = _insert(Client, [_row(new.client) for new in batch])
    links = []
    for new, client_id in zip(batch, client_ids):
        new.link.client_id = client_id
        links.append(_row(new.link))
    link_ids = _insert(ExternalLink, links)
    people = [(i, dataclasses.asdict(person)) for i, new in enumerate(batch)
              for person in (new.people.new if new.people else ())]
    contacts = [Contact(**{k: v for k, v in p.items() if k != "role"}) for _, p in people]
    contact_ids = _insert(Contact, [_row(c) for c in contacts])
    made: list[list[tuple[Contact, str | None]]] = [[] for _ in batch]
    joins = []
    for (i, person), contact, contact_id in zip(people, contacts, contact_ids):
        contact.id = contact_id
        joins.append({"client_id": client_ids[i], "contact_id": contact_id,
                      "role": person.get("role"), "is_primary": not made[i]})
        made[i].append((contact, person.get("role")))
    if joins:
        db.session.execute(insert(ClientContact.__table__), joins)
    # in the order apply.create records them: the client, then each contact (the first primary)
    for new, client_id, added in zip(batch, client_ids, made):
        audit.record("imported", new.summary, user=user, client_id=client_id,
                     changes=changes.created(new.client))
        for n, (contact, role) in enumerate(added):
            audit.record("contact_added", added_summary(contact, role, n == 0), user=user,
                         client_id=client_id, contact_id=contact.id)
    return [Created(client_id, link_id, [c.id for c, _ in added], 1)
            for client_id, link_id, added in zip(client_ids, link_ids, made)]
