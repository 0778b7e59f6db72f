"""Is the search index exact, and making it so again while the app keeps running.

check() compares every client's stored document with the one its rows give today. rebuild()
recreates whatever of the index is missing (table, pause marker, triggers, functions, the
list's indexes) and then rewrites every document in short transactions by id range, so
searches and edits go on meanwhile: SQLite has one writer, so each batch simply waits its turn;
PostgreSQL locks the document table against writers for one batch, so that the trigger of a
concurrent edit writes its document after the batch instead of being overwritten by the
batch's older picture of the rows.
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy import text

from cone.services.search import pg_sort
from cone.services.search.index import (PAUSE, SQLITE_PAUSE_DDL, TABLE, create_list_indexes,
                                        pg_doc, postgresql_ddl, sqlite_create_triggers,
                                        sqlite_ddl, sqlite_doc, sqlite_drop_triggers)


def _key(session) -> str:
    return "rowid" if session.get_bind().dialect.name == "sqlite" else "client_id"


def _mismatch_sql(session) -> str:
    """Ids of clients whose document is missing or stale, and of documents without a client."""
    if session.get_bind().dialect.name == "sqlite":
        return (f"SELECT c.id FROM client c LEFT JOIN {TABLE} s ON s.rowid = c.id "
                f"WHERE s.doc IS NOT {sqlite_doc()} "
                f"UNION SELECT rowid FROM {TABLE} WHERE rowid NOT IN (SELECT id FROM client)")
    # the list's sort key (pg_sort.py) is kept beside the document
    key = (f"OR s.{pg_sort.COLUMN} IS DISTINCT FROM lower(c.display_name) "
           if pg_sort.installed(session.connection(), TABLE) else "")
    return (f"SELECT c.id FROM client c LEFT JOIN {TABLE} s ON s.client_id = c.id "
            f"WHERE s.doc IS DISTINCT FROM {pg_doc()} {key}"
            f"UNION SELECT client_id FROM {TABLE} WHERE client_id NOT IN (SELECT id FROM client)")


def mismatches(session) -> list[int]:
    """Ids of clients whose document is missing, stale or left over: [] when the index is exact."""
    return sorted(session.scalars(text(_mismatch_sql(session))))


def check(session) -> int:
    """How many documents differ from what the rows say (missing, stale, left over): 0 = exact."""
    return session.scalar(text(f"SELECT count(*) FROM ({_mismatch_sql(session)}) AS m"))


def client_count(session) -> int:
    """How many clients there are: the number of documents an exact index holds."""
    return session.scalar(text("SELECT count(*) FROM client"))


def ensure(connection) -> None:
    """Make whatever of the index is missing, in the caller's transaction, without filling it.

    Triggers are made only where missing or (SQLite) different from today's, such as one made
    before migration 0005 that never pauses: a schema change makes every connection re-read the
    schema, and PostgreSQL locks the table to replace one.
    """
    if connection.dialect.name == "postgresql":
        have = set(connection.execute(text(
            f"SELECT tgname FROM pg_trigger WHERE tgname LIKE '{TABLE}%'")).scalars())
        indexes = set(connection.execute(text("SELECT indexname FROM pg_indexes")).scalars())
        # nothing that locks a table unless it is missing (pg_sort.create_index)
        statements = [sql for sql in postgresql_ddl() if not sql.startswith("DROP TRIGGER")
                      and not (sql.startswith("CREATE TRIGGER") and sql.split()[2] in have)
                      and not (sql.startswith("CREATE INDEX") and sql.split()[5] in indexes)]
    else:
        # SQLite keeps each trigger's statement as written, less its IF NOT EXISTS
        have = set(connection.execute(text(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger'")).scalars())
        same = all(sql.replace(" IF NOT EXISTS", "") in have for sql in sqlite_create_triggers())
        # the DELETE opens the transaction that swaps the triggers: none is ever missing
        statements = [SQLITE_PAUSE_DDL, f"DELETE FROM {PAUSE}",
                      *(() if same else sqlite_drop_triggers()), *sqlite_ddl()]
    for sql in statements:
        connection.exec_driver_sql(sql)
    create_list_indexes(connection)


def _rewrite(session, low: int, high: int | None) -> int:
    """Make the documents of ids in (low, high] (no upper end: None) exact; returns how many
    clients the range holds."""
    key, sqlite = _key(session), session.get_bind().dialect.name == "sqlite"
    upto = "" if high is None else f" AND {{col}} <= {high}"
    if not sqlite:
        session.execute(text(f"LOCK TABLE {TABLE} IN SHARE ROW EXCLUSIVE MODE"))
    # documents in the range whose client is gone; on SQLite every one in it, as FTS5 has no upsert
    gone = "" if sqlite else f" AND {key} NOT IN (SELECT id FROM client)"
    session.execute(text(f"DELETE FROM {TABLE} WHERE {key} > {low}" + upto.format(col=key) + gone))
    rows = f"FROM client c WHERE c.id > {low}" + upto.format(col="c.id")
    if sqlite:
        sql = f"INSERT INTO {TABLE}(rowid, doc) SELECT c.id, {sqlite_doc()} {rows}"
    else:
        # an unchanged document is left as it is: rewriting it would only bloat the GIN
        # indexes (after a restore nearly every document is already right); rebuild()'s
        # ensure() has made the sort key, which the search table's trigger fills
        sql = (f"INSERT INTO {TABLE} (client_id, doc) SELECT c.id, {pg_doc()} {rows} "
               f"ON CONFLICT (client_id) DO UPDATE SET doc = excluded.doc "
               f"WHERE {TABLE}.doc IS DISTINCT FROM excluded.doc "
               f"OR {TABLE}.{pg_sort.COLUMN} IS DISTINCT FROM excluded.{pg_sort.COLUMN}")
    session.execute(text(sql))
    written = session.scalar(text(f"SELECT count(*) {rows}"))
    session.commit()
    return written


def rebuild(session, *, batch: int = 2000,
            progress: Callable[[int, int], None] | None = None) -> int:
    """Recreate missing index objects and rewrite every document online; returns how many.

    One short transaction per batch of ids, so the app keeps serving and writing meanwhile;
    documents left over from deleted clients go too. progress(done, total) after each batch.
    Commits what the session held before.
    """
    try:
        ensure(session.connection())
        session.commit()
        total = client_count(session)
        done, low = 0, 0
        while True:
            high = session.scalar(text(f"SELECT max(id) FROM (SELECT id FROM client "
                                       f"WHERE id > {low} ORDER BY id LIMIT {int(batch)}) AS b"))
            written = _rewrite(session, low, high)
            done += written
            if progress and written:
                progress(done, max(total, done))
            if high is None:
                return done
            low = high
    except BaseException:
        session.rollback()
        raise
