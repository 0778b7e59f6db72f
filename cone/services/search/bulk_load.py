"""Bulk loads without per-row search index upkeep, and a check that the index is exact.

The triggers of index.py keep each client's document current one change at a time,
which makes a load of many thousands of clients several times slower. bulk_load() pauses
them and indexes the new clients in one set-based statement at the end.
"""
from __future__ import annotations

import itertools
from contextlib import contextmanager

from sqlalchemy import event, text

from cone.services.search.index import (PAUSED, TABLE, pg_doc, sqlite_create_triggers,
                                        sqlite_doc, sqlite_drop_triggers, sqlite_ddl)

# From this many new clients on (and at least as many as were indexed), a load also
# refreshes the planner's statistics and PostgreSQL builds its GIN index afresh
BIG_LOAD = 10_000


def _rebuild_after(start: int, dialect: str, big: bool) -> list[str]:
    """Set-based statements that (re)build the documents of every client with id > start."""
    if dialect == "sqlite":
        return [f"DELETE FROM {TABLE} WHERE rowid > {start}",
                f"INSERT INTO {TABLE}(rowid, doc) SELECT c.id, {sqlite_doc()} FROM client c "
                f"WHERE c.id > {start}", *(["ANALYZE"] if big else [])]
    fill = (f"INSERT INTO {TABLE} (client_id, doc) SELECT c.id, {pg_doc()} FROM client c "
            f"WHERE c.id > {start} ON CONFLICT (client_id) DO UPDATE SET doc = excluded.doc")
    if not big:
        return [fill]
    # statistics first: the fill's joins are planned with them; and building a GIN index in
    # one go is several times faster than adding the rows to it one by one
    return ["ANALYZE client, contact, client_contact", f"DROP INDEX IF EXISTS ix_{TABLE}_doc", fill,
            f"CREATE INDEX ix_{TABLE}_doc ON {TABLE} USING gin (doc)", f"ANALYZE {TABLE}"]


@contextmanager
def bulk_load(session, *, big: int = BIG_LOAD):
    """Add many clients without per-row index upkeep, then index them in one statement.

    For loads that insert new clients with their contacts and links (demo seed, imports):
    on leaving, every client added since entering gets its document, whether the load
    finished or failed part way. The body may commit as often as it likes. SQLite drops
    the triggers meanwhile (one writer at a time: nothing else writes during a batch);
    PostgreSQL sets a flag in each transaction of this session only, so other sessions
    keep their upkeep. big: the size from which the load counts as big (see BIG_LOAD).
    """
    dialect = session.get_bind().dialect.name
    start = session.scalar(text("SELECT coalesce(max(id), 0) FROM client"))
    if dialect == "sqlite":
        for sql in [*sqlite_ddl(), *sqlite_drop_triggers()]:  # ddl first: repairs a killed load
            session.connection().exec_driver_sql(sql)
    session.commit()  # the body's transactions begin after the pause is in place
    target = session() if callable(session) else session

    begun = itertools.count(1)

    def pause(_session, _transaction, connection):
        connection.exec_driver_sql(f"SELECT set_config('{PAUSED}', 'on', true)")
        n = next(begun)
        if n > 1 and n & (n - 1) == 0:
            # at the 2nd, 4th, 8th… transaction: tables growing from empty need fresh statistics,
            # or PostgreSQL keeps planning its foreign key checks for tiny tables (5x slower)
            connection.exec_driver_sql("ANALYZE client, contact, client_contact, client_tags")

    if dialect == "postgresql":
        event.listen(target, "after_begin", pause)
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        if dialect == "postgresql":
            event.remove(target, "after_begin", pause)
        added = session.scalar(text(f"SELECT count(*) FROM client WHERE id > {start}"))
        # a load that more than doubles the index rebuilds it whole: searches wait meanwhile
        whole = added >= max(big, session.scalar(text(f"SELECT count(*) FROM {TABLE}")))
        for sql in [*(sqlite_create_triggers() if dialect == "sqlite" else ()),
                    *_rebuild_after(start, dialect, whole)]:
            session.connection().exec_driver_sql(sql)
        session.commit()


def mismatches(session) -> list[int]:
    """Ids of clients whose document is missing, stale or left over: [] when the index is exact."""
    if session.get_bind().dialect.name == "sqlite":
        sql = (f"SELECT c.id FROM client c LEFT JOIN {TABLE} s ON s.rowid = c.id "
               f"WHERE s.doc IS NOT {sqlite_doc()} "
               f"UNION SELECT rowid FROM {TABLE} WHERE rowid NOT IN (SELECT id FROM client)")
    else:
        sql = (f"SELECT c.id FROM client c LEFT JOIN {TABLE} s ON s.client_id = c.id "
               f"WHERE s.doc IS DISTINCT FROM {pg_doc()} "
               f"UNION SELECT client_id FROM {TABLE} WHERE client_id NOT IN (SELECT id FROM client)")
    return sorted(session.scalars(text(sql)))
