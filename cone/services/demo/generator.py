"""Realistic UK demo clients with contacts, inserted in bulk (100,000 in well under a minute)."""
from __future__ import annotations

import json
import random
from typing import Callable

from faker import Faker
from sqlalchemy import JSON, func, insert, select, text

from cone.services.demo.maker import Maker
from cone.services.models import Client, ClientContact, Contact, client_tags, db
from cone.services.search import bulk_load
from cone.services.tx import transaction

MAX_CLIENTS = 1_000_000
BATCH = 2_000


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
    # the search index is built once at the end, not row by row: several times faster
    with bulk_load.bulk_load(db.session):
        while done < count:
            size = min(BATCH, count - done)
            _insert_batch(maker, size)
            done += size
            if progress:
                progress(done)
    _sync_sequences()
    return done


def _insert_batch(maker: Maker, size: int) -> None:
    """Insert one batch of clients, contacts and links with ids assigned here, then commit."""
    next_client = (db.session.scalar(select(func.max(Client.id))) or 0) + 1
    next_contact = (db.session.scalar(select(func.max(Contact.id))) or 0) + 1
    clients, contacts, links, tagged = [], [], [], []
    for client_id in range(next_client, next_client + size):
        client, people = maker.client(client_id)
        clients.append(client)
        for position, (person, role) in enumerate(people):
            if isinstance(person, int):  # an existing contact shared with another client
                contact_id = person
            else:
                contact_id = person["id"] = next_contact + len(contacts)
                contacts.append(person)
                maker.remember(contact_id)
            links.append({"client_id": client_id, "contact_id": contact_id, "role": role,
                          "is_primary": position == 0})
        tagged += [{"client_id": client_id, "tag_id": t} for t in maker.tags_for()]
    # A business without SIC codes leaves the key out (SQL NULL): its own executemany
    batches = ((Client.__table__, [r for r in clients if "sic_codes" in r]),
               (Client.__table__, [r for r in clients if "sic_codes" not in r]),
               (Contact.__table__, contacts), (ClientContact.__table__, links),
               (client_tags, tagged))
    copying = db.engine.dialect.name == "postgresql"
    with transaction():
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


def _sync_sequences() -> None:
    """PostgreSQL sequences do not see explicit ids: move them past the rows just added."""
    if db.engine.dialect.name != "postgresql":
        return
    with transaction():
        for table in ("client", "contact"):
            db.session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"))
