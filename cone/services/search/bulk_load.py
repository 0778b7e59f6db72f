"""Bulk loads that index each batch inside the batch's own transaction.

The triggers of index.py keep each client's document current one change at a time, which
makes a load of many thousands of clients several times slower. Within bulk_load(), every
transaction of the loading session pauses them for itself alone and, just before it commits,
indexes the clients it added in one set-based statement. Why this shape:

- Other connections keep their upkeep: the triggers stay installed, no DDL runs at load time.
  On SQLite they skip while a marker row exists that only the loading transaction holds (one
  writer at a time: nobody else can see or write meanwhile, and index.py makes a commit that
  still holds it fail); on PostgreSQL a setting local to the transaction says so.
- A committed batch is always fully indexed, and a load killed part way leaves the database
  as if its unfinished batch never ran: nothing is left to repair.
- Nothing is dropped or locked against searches: they go on against the same index.

The body is expected to insert new clients (with their contacts, links and tags): changes it
makes to clients or contacts that existed before its transaction are not indexed.
"""
from __future__ import annotations

import itertools
from contextlib import contextmanager

from sqlalchemy import event, text

from cone.services.search.index import PAUSE, PAUSED, TABLE, pg_doc, sqlite_doc

# From this many new clients on (and at least as many as there were), a load also refreshes
# the planner's statistics at the end
BIG_LOAD = 10_000


def _index_added(dialect: str, mark: int) -> list[str]:
    """Index the clients with id > mark, all added by this transaction, and end the pause."""
    if dialect == "sqlite":
        # SQLite: the mark was read under the write lock, so every id above it is ours
        return [f"DELETE FROM {TABLE} WHERE rowid > {mark}",
                f"INSERT INTO {TABLE}(rowid, doc) SELECT c.id, {sqlite_doc()} FROM client c "
                f"WHERE c.id > {mark}", f"DELETE FROM {PAUSE}"]
    # PostgreSQL: other sessions add clients above the mark too, with their documents written
    # by their own triggers; DO NOTHING leaves those alone rather than overwrite a newer one
    return [f"INSERT INTO {TABLE} (client_id, doc) SELECT c.id, {pg_doc()} FROM client c "
            f"WHERE c.id > {mark} ON CONFLICT (client_id) DO NOTHING",
            f"SELECT set_config('{PAUSED}', 'off', true)"]


class _Pause:
    """The session events that pause each transaction and index its clients before commit."""

    def __init__(self, dialect: str, analyze: bool = True):
        self.dialect, self.analyze = dialect, analyze
        self.mark: int | None = None  # the highest client id when the open transaction began
        self.begun = itertools.count(1)

    def after_begin(self, _session, transaction, connection) -> None:
        if transaction.nested:
            return  # a SAVEPOINT inside the paused transaction: already paused and marked
        if self.dialect == "sqlite":
            # the first write takes SQLite's write lock, so the mark below cannot move
            connection.exec_driver_sql(f"INSERT INTO {PAUSE} (id) VALUES (1)")
        else:
            connection.exec_driver_sql(f"SELECT set_config('{PAUSED}', 'on', true)")
            n = next(self.begun)
            if self.analyze and n > 1 and n & (n - 1) == 0:
                # at the 2nd, 4th, 8th… transaction: tables growing from empty need fresh
                # statistics, or PostgreSQL plans its foreign key checks for tiny tables (5x slower)
                connection.exec_driver_sql("ANALYZE client, contact, client_contact, client_tags")
        self.mark = connection.exec_driver_sql("SELECT coalesce(max(id), 0) FROM client").scalar()

    def before_commit(self, session) -> None:
        if session.in_nested_transaction():
            return  # a SAVEPOINT released: the transaction indexes once, when it commits
        session.flush()  # the ORM's last flush comes after this hook: its rows must be indexed
        if self.mark is None:
            return
        connection = session.connection()
        for sql in _index_added(self.dialect, self.mark):
            connection.exec_driver_sql(sql)
        self.mark = None

    def after_transaction_end(self, _session, transaction) -> None:
        if transaction.parent is None:
            self.mark = None

    def listen(self, target, add: bool) -> None:
        for name in ("after_begin", "before_commit", "after_transaction_end"):
            (event.listen if add else event.remove)(target, name, getattr(self, name))


def refresh_documents(session, ids) -> None:
    """Rewrite the documents of these existing clients in the loading transaction, before it
    commits: their rows and contacts changed while the triggers were paused."""
    ids = sorted({int(i) for i in ids})
    if not ids:
        return
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        listed = ", ".join(map(str, ids))  # ints only: safe to write into the statement
        connection.exec_driver_sql(f"DELETE FROM {TABLE} WHERE rowid IN ({listed})")
        connection.exec_driver_sql(f"INSERT INTO {TABLE}(rowid, doc) SELECT c.id, {sqlite_doc()} "
                                   f"FROM client c WHERE c.id IN ({listed})")
    else:
        connection.execute(text("SELECT cone_search_refresh(CAST(:ids AS integer[]))"),
                           {"ids": ids})


@contextmanager
def bulk_load(session, *, big: int = BIG_LOAD):
    """Add many clients without per-row index upkeep; each commit indexes its own new clients.

    For loads that insert new clients with their contacts and links (demo seed, imports). The
    body may commit as often as it likes; keep each transaction short on SQLite (well under a
    second), as web requests wait for its write lock. big: from this many added clients on
    (and at least as many as there were), the planner's statistics are refreshed at the end.
    """
    dialect = session.get_bind().dialect.name
    before = session.scalar(text("SELECT count(*) FROM client"))
    session.commit()  # the body's transactions each begin paused
    # A register that already holds many clients has statistics a load does not upset
    pause = _Pause(dialect, analyze=before < big)
    target = session() if callable(session) else session
    pause.listen(target, add=True)
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        pause.listen(target, add=False)
    added = session.scalar(text("SELECT count(*) FROM client")) - before
    if added >= max(big, before):
        for sql in _after_big_load(dialect):
            session.execute(text(sql))
        session.commit()


def _after_big_load(dialect: str) -> list[str]:
    """Fresh planner statistics; on PostgreSQL also the GIN indexes' pending entries merged,
    which searches would otherwise scan one by one until autovacuum comes round."""
    if dialect == "sqlite":
        return ["ANALYZE"]
    return [f"ANALYZE client, contact, client_contact, client_tags, {TABLE}",
            "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i "
            "JOIN pg_class x ON x.oid = i.indexrelid JOIN pg_am a ON a.oid = x.relam "
            f"WHERE i.indrelid = '{TABLE}'::regclass AND a.amname = 'gin'"]
