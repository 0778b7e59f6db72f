"""What a database holds, read alike on SQLite and PostgreSQL: its tables, their row counts,
the schema revision and the encrypted values stored in it."""
from __future__ import annotations

import dataclasses

from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection as DBConnection

from cone.services.models import Connection, Setting
from cone.services.search import index as search_index


@dataclasses.dataclass(frozen=True)
class Contents:
    revision: str | None
    tables: dict[str, int]
    secrets: list[str]  # Fernet ciphertexts


def table_names(conn: DBConnection) -> list[str]:
    """Every table, the search index's own ones included (an empty target has none at all)."""
    return sorted(inspect(conn).get_table_names())


def data_tables(conn: DBConnection) -> list[str]:
    """The tables a backup accounts for; the search index is rebuilt from them on restore."""
    return [n for n in table_names(conn) if not search_index.is_index_object(n)]


def describe(conn: DBConnection) -> Contents:
    """Counts, revision and secrets, read in conn's current transaction (one snapshot)."""
    quote = conn.dialect.identifier_preparer.quote
    names = data_tables(conn)
    tables = {n: conn.execute(text(f"SELECT count(*) FROM {quote(n)}")).scalar_one()
              for n in names}
    revision = None
    if "alembic_version" in names:
        heads = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        revision = ",".join(sorted(heads)) or None
    return Contents(revision, tables, stored_secrets(conn, set(names)))


def stored_secrets(conn: DBConnection, names: set[str]) -> list[str]:
    """Every encrypted value: platform tokens (connections/tokens.py) and secret settings
    (settings.py, e.g. the Companies House API key)."""
    found: list[str] = []
    if "connection" in names:
        for access, refresh in conn.execute(select(Connection.access_token,
                                                   Connection.refresh_token)):
            found += [token for token in (access, refresh) if token]
    if "setting" in names:
        found += conn.execute(select(Setting.value).where(Setting.encrypted)).scalars().all()
    return found
