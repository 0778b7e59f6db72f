"""Realistic UK demo clients with contacts, inserted in bulk (100,000 in well under a minute)."""
from __future__ import annotations

import json
import random
from typing import Callable

from faker import Faker
from sqlalchemy import JSON, insert, text

from cone.services.demo.maker import Maker
from cone.services.models import Client, ClientContact, Contact, client_tags, db
from cone.services.search import bulk_load
from cone.services.tx import transaction

MAX_CLIENTS = 1_000_000
BATCH = 1_000


class DemoError(ValueError):
    """Demo data cannot be made as asked; the message is safe to show."""


def seed(count: int, *, seed: int | None = None,
         progress: Callable[[int], None] | None = None) -> int:
    """Add count demo clients (each with 1-3 contacts, one primary); returns how many."""
    if not isinstance(count, int) or count < 1:
        raise DemoError("The number of clients must be a whole number of at least 1.")
    if count > MAX_CLIENTS:
        raise DemoError(f"At most {MAX_CLIENTS:,} demo clients can be added at once.")
    maker = Maker(random.Random(seed), Faker("en_GB"), seed)
    done = 0
    # each batch indexes its own clients in one statement, not row by row: several times faster
    with bulk_load.bulk_load(db.session):
        while done < count:
            size = min(BATCH, count - done)
            _insert_batch(maker, size)
            done += size
            if progress:
                progress(done)
    return done


def _new_ids(table: str, count: int) -> list[int]:
    """count unused ids for table, taken inside the batch's transaction so no other writer
    can take them too: PostgreSQL's sequence, or on SQLite (whose writer holds the lock) max + 1."""
    if db.engine.dialect.name == "postgresql":
        return sorted(db.session.scalars(text(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
            f"FROM generate_series(1, {count})")))
    first = db.session.scalar(text(f"SELECT coalesce(max(id), 0) + 1 FROM {table}"))
    return list(range(first, first + count))


def _make_rows(maker: Maker, size: int) -> tuple[list, list, list, list]:
    """One batch of client, contact, link and tag rows; new rows have ids -1, -2… for now."""
    clients, contacts, links, tagged = [], [], [], []
    for client_id in range(-1, -size - 1, -1):
        client, people = maker.client(client_id)
        clients.append(client)
        for position, (person, role) in enumerate(people):
            if isinstance(person, int):  # an existing contact shared with another client
                contact_id = person
            else:
                contact_id = person["id"] = -len(contacts) - 1
                contacts.append(person)
                maker.remember(contact_id)
            links.append({"client_id": client_id, "contact_id": contact_id, "role": role,
                          "is_primary": position == 0})
        tagged += [{"client_id": client_id, "tag_id": t} for t in maker.tags_for()]
    return clients, contacts, links, tagged


def _insert_batch(maker: Maker, size: int) -> None:
    """Insert one batch of clients, contacts and links in one short transaction.

    The rows are made first, so the transaction (and SQLite's write lock) lasts only as long
    as the ids and the inserts take.
    """
    clients, contacts, links, tagged = _make_rows(maker, size)
    copying = db.engine.dialect.name == "postgresql"
    with transaction():
        client_ids = dict(zip(range(-1, -size - 1, -1), _new_ids("client", size)))
        contact_ids = dict(zip(range(-1, -len(contacts) - 1, -1),
                               _new_ids("contact", len(contacts)) if contacts else []))
        for row in clients:
            row["id"] = client_ids[row["id"]]
        for row in contacts:
            row["id"] = contact_ids[row["id"]]
        for row in links + tagged:
            row["client_id"] = client_ids[row["client_id"]]
        for row in links:
            row["contact_id"] = contact_ids.get(row["contact_id"], row["contact_id"])
        maker.renumber(contact_ids)
        # A business without SIC codes leaves the key out (SQL NULL): its own executemany
        batches = ((Client.__table__, [r for r in clients if "sic_codes" in r]),
                   (Client.__table__, [r for r in clients if "sic_codes" not in r]),
                   (Contact.__table__, contacts), (ClientContact.__table__, links),
                   (client_tags, tagged))
        for table, rows in batches:
            if not rows:
                continue
            if copying:
                _copy(table, rows)
            else:
                # Core inserts, one executemany per key set: the ORM path drops None values
                # from each row, which splits a batch into thousands of single-row statements
                db.session.execute(insert(table), rows)


def _copy(table, rows: list[dict]) -> None:
    """COPY rows into a PostgreSQL table: psycopg's executemany sends one INSERT per row."""
    keys = set().union(*rows)
    columns = [c for c in table.columns if c.key in keys]
    as_json = {c.key for c in columns if isinstance(c.type, JSON)}
    names = ", ".join(f'"{c.name}"' for c in columns)
    cursor = db.session.connection().connection.driver_connection.cursor()
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([json.dumps(v) if c.key in as_json and v is not None else v
                            for c in columns for v in (row.get(c.key),)])

