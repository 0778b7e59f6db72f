"""PostgreSQL: the list's name order kept in the search table itself.

A search matching thousands of clients shows its first page by walking the clients in name
order until 25 match. Walking client's name index, each row cost a look-up of its document
in another table; with the sort key (lower(display_name), as ix_client_name_lower) in the
search row, the walk reads one narrow index and tests the document in the same row, about
four times quicker. A trigger on the search table fills the key from the client whenever a
document is written, so every writer of documents (the triggers of index.py, bulk loads,
the integrity rebuild) keeps it without knowing of it; a renamed client gets its document
rewritten, display_name being one of the columns the client's update trigger watches.
"""
from __future__ import annotations

# index.py passes its table: it calls these from its list-index functions
COLUMN = "name_key"
INDEX = "ix_client_search_name"
_TRIGGER = "client_search_name_key"
_FUNCTION = "cone_search_name_key"


def _exists(connection, sql: str) -> bool:
    return connection.exec_driver_sql(sql).scalar() is not None


def create_index(connection, name: str, spec: str) -> None:
    """CREATE INDEX name ON spec where missing. PostgreSQL locks the table before it reads IF
    NOT EXISTS, so an ensure() that found everything in place would still lock client and the
    search table in turn, and deadlock with an edit that writes one and then the other."""
    if not (connection.dialect.name == "postgresql" and _exists(
            connection, f"SELECT 1 FROM pg_class WHERE relname = '{name}' AND relkind = 'i'")):
        connection.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {spec}")


def installed(connection, table: str) -> bool:
    """Whether the table has the key (a database migrated only as far as 0005 has not)."""
    return connection.dialect.name == "postgresql" and _exists(
        connection, "SELECT 1 FROM information_schema.columns WHERE "
                    f"table_name = '{table}' AND column_name = '{COLUMN}'")


def create(connection, table: str) -> None:
    """Add the key, its index and trigger where missing, and fill the key if just added."""
    if connection.dialect.name != "postgresql":
        return
    added = not installed(connection, table)
    if added:
        connection.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {COLUMN} text")
        connection.exec_driver_sql(f"UPDATE {table} s SET {COLUMN} = lower(c.display_name) "
                                   "FROM client c WHERE c.id = s.client_id")
    connection.exec_driver_sql(
        f"CREATE OR REPLACE FUNCTION {_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN NEW.{COLUMN} := (SELECT lower(display_name) FROM client WHERE id = NEW.client_id); "
        "RETURN NEW; END $$")
    # made only where missing: replacing a trigger locks the table
    if not _exists(connection, f"SELECT 1 FROM pg_trigger WHERE tgname = '{_TRIGGER}'"):
        connection.exec_driver_sql(f"CREATE TRIGGER {_TRIGGER} BEFORE INSERT OR UPDATE ON {table} "
                                   f"FOR EACH ROW EXECUTE FUNCTION {_FUNCTION}()")
    create_index(connection, INDEX, f"{table} ({COLUMN}, client_id)")


def drop(connection, table: str) -> None:
    """Remove what create() made."""
    if connection.dialect.name != "postgresql":
        return
    for sql in (f"DROP TRIGGER IF EXISTS {_TRIGGER} ON {table}", f"DROP FUNCTION IF EXISTS {_FUNCTION}()",
                f"DROP INDEX IF EXISTS {INDEX}", f"ALTER TABLE IF EXISTS {table} DROP COLUMN IF EXISTS {COLUMN}"):
        connection.exec_driver_sql(sql)
