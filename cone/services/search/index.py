"""The client search index, per engine: SQLite FTS5 or PostgreSQL tsvector + GIN.

Each client has one search document: its names, numbers, e-mail, phone, postcodes and
the names and e-mails of its contacts, folded to lower case without accents. Database
triggers rebuild a client's document whenever the client, one of its contacts or a
link between them changes, so bulk inserts (demo seed, imports) and ORM saves alike
keep the index in step with the rows. The triggers are always installed; a bulk load
(bulk_load.py) makes them skip only inside its own transactions.

The same DDL serves `db.create_all()` (tests, through metadata events) and the Alembic
migrations 0002, 0004 and 0005, which call these functions directly.
"""
from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import event

from cone.services.search import pg_sort

TABLE = "client_search"
# Names autogenerate must leave alone: the FTS5 table, its shadow tables, our indexes
OWNED_PREFIXES = (TABLE, "ix_client_search", "ix_client_name_nocase", "ix_client_name_lower", "ix_client_list_")
FTS_PREFIXES = "1 2 3 4 5 6"
# Indexes for the list's filters and sorts (migrations 0004, 0006), per engine; pg_sort.py's too
_LIST_INDEXES = {  # name: (table and key, the engines that get it)
    # "No manager" is rare: its own small index in name order, instead of walking them all
    "ix_client_list_unmanaged": ("client ({name}, id) WHERE manager_id IS NULL", "sqlite postgresql"),
    # PostgreSQL's count (search.sql.counted) and its words' trigrams (search.sql._by_trigram)
    "ix_client_list_archived": ("client (id) WHERE archived_at IS NOT NULL", "postgresql"),
    "ix_client_search_trgm": (f"{TABLE} USING gin ((strip(doc)::text) gin_trgm_ops)", "postgresql"),
}
_NAME_KEY = {"sqlite": "display_name COLLATE NOCASE", "postgresql": "lower(display_name)"}

# The client's own searchable text; numbers also appear compacted ("SW1A1AA", "02079460000")
_CLIENT_PARTS = [
    "c.display_name", "c.legal_name", "c.trading_name", "c.first_name", "c.last_name",
    "c.company_number", "c.email", "c.phone", "{digits}", "c.vat_number",
    "substr(c.vat_number, 3)", "c.ct_utr", "c.sa_utr",
    "c.registered_postcode", "replace(c.registered_postcode, ' ', '')",
    "c.trading_postcode", "replace(c.trading_postcode, ' ', '')",
    "c.home_postcode", "replace(c.home_postcode, ' ', '')",
]
_CONTACT_PARTS = ["ct.first_name", "ct.last_name", "ct.email"]
# Letters that have no decomposed form: unaccent (PostgreSQL) maps them, FTS5 does not
SPELLED_OUT = {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "æ": "ae", "Æ": "AE",
               "œ": "oe", "Œ": "OE", "ß": "ss", "þ": "th", "Þ": "TH"}


def sqlite_doc() -> str:
    """SQLite expression for the document of client row c (3.40 has no concat_ws)."""
    digits = "c.phone"
    for ch in " -()+":
        digits = f"replace({digits}, '{ch}', '')"
    parts = [p.format(digits=digits) for p in _CLIENT_PARTS]
    # contacts in one order, so that the same rows always give the same document (3.40 has no
    # ORDER BY inside group_concat: it follows the subquery's order)
    contacts = ("(SELECT group_concat(part, ' ') FROM (SELECT "
                + " || ' ' || ".join(f"coalesce({p}, '')" for p in _CONTACT_PARTS)
                + " AS part FROM client_contact cc JOIN contact ct ON ct.id = cc.contact_id"
                " WHERE cc.client_id = c.id ORDER BY cc.contact_id))")
    doc = " || ' ' || ".join(f"coalesce({p}, '')" for p in parts + [contacts])
    for letter, plain in SPELLED_OUT.items():
        doc = f"replace({doc}, '{letter}', '{plain}')"
    return doc


# A row here makes the SQLite triggers skip. Only a bulk load's own transaction ever holds one:
# SQLite has one writer, so no other connection can see or write it meanwhile; and the deferred
# reference to a row that cannot exist (id 0) makes any COMMIT that still holds it fail
PAUSE = f"{TABLE}_pause"
SQLITE_PAUSE_DDL = (
    f"CREATE TABLE IF NOT EXISTS {PAUSE} (id INTEGER PRIMARY KEY CHECK (id = 1), "
    f"never INTEGER NOT NULL DEFAULT 0 CHECK (never = 0) "
    f"REFERENCES {PAUSE} (id) DEFERRABLE INITIALLY DEFERRED)")


def _sqlite_refresh(where: str) -> str:
    """Statements that rebuild the documents of the clients matching where (on c.id)."""
    return (f"DELETE FROM {TABLE} WHERE rowid IN (SELECT c.id FROM client c WHERE {where}); "
            f"INSERT INTO {TABLE}(rowid, doc) SELECT c.id, {sqlite_doc()} FROM client c WHERE {where};")


_CLIENT_COLUMNS = ("display_name, legal_name, trading_name, first_name, last_name, company_number, "
                   "email, phone, vat_number, ct_utr, sa_utr, registered_postcode, "
                   "trading_postcode, home_postcode")


def sqlite_ddl() -> Iterator[str]:
    """Create statements for SQLite: FTS5 table (unicode61 folds case and accents) and triggers."""
    # prefix: the prefixes typed in live search get their own index; up to 6 characters
    # because numbers ("07700 9") share long prefixes with thousands of other numbers
    yield (f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(doc, "
           f"tokenize = 'unicode61 remove_diacritics 2', prefix = '{FTS_PREFIXES}')")
    yield "CREATE INDEX IF NOT EXISTS ix_client_name_nocase ON client (display_name COLLATE NOCASE, id)"
    yield SQLITE_PAUSE_DDL
    yield from sqlite_create_triggers()


def fill(dialect: str) -> list[str]:
    """Statements that give every client without a document its document."""
    if dialect == "sqlite":
        return [f"INSERT INTO {TABLE}(rowid, doc) SELECT c.id, {sqlite_doc()} FROM client c "
                f"WHERE c.id NOT IN (SELECT rowid FROM {TABLE})"]
    return [f"SELECT cone_search_refresh(ARRAY(SELECT id FROM client EXCEPT SELECT client_id "
            f"FROM {TABLE}))"] if dialect == "postgresql" else []


def rebuild_sqlite_table(connection) -> None:
    """Make the FTS5 table afresh with today's options (migration 0004) and refill it."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {TABLE}")
        create(connection)


def _sqlite_triggers() -> dict[str, tuple[str, str]]:
    """name: (when, body) of the SQLite triggers that keep each document current."""
    return {
        "client_ai": ("AFTER INSERT ON client", _sqlite_refresh("c.id = new.id")),
        "client_au": (f"AFTER UPDATE OF {_CLIENT_COLUMNS} ON client", _sqlite_refresh("c.id = new.id")),
        "client_ad": ("AFTER DELETE ON client", f"DELETE FROM {TABLE} WHERE rowid = old.id;"),
        "link_ai": ("AFTER INSERT ON client_contact", _sqlite_refresh("c.id = new.client_id")),
        "link_ad": ("AFTER DELETE ON client_contact", _sqlite_refresh("c.id = old.client_id")),
        "link_au": ("AFTER UPDATE OF client_id, contact_id ON client_contact",
                    _sqlite_refresh("c.id IN (old.client_id, new.client_id)")),
        "contact_au": ("AFTER UPDATE OF first_name, last_name, email ON contact", _sqlite_refresh(
            "c.id IN (SELECT client_id FROM client_contact WHERE contact_id = new.id)")),
    }


def sqlite_create_triggers(pausable: bool = True) -> Iterator[str]:
    """The triggers; pausable=False makes them as before migration 0005 (its downgrade)."""
    skip = f" WHEN NOT EXISTS (SELECT 1 FROM {PAUSE})" if pausable else ""
    for name, (when, body) in _sqlite_triggers().items():
        yield f"CREATE TRIGGER IF NOT EXISTS {TABLE}_{name} {when} FOR EACH ROW{skip} BEGIN {body} END"


def sqlite_drop_triggers() -> Iterator[str]:
    for name in _sqlite_triggers():
        yield f"DROP TRIGGER IF EXISTS {TABLE}_{name}"


def sqlite_drop() -> Iterator[str]:
    """Drop statements for SQLite (dropping the FTS5 table drops its shadow tables)."""
    yield from sqlite_drop_triggers()
    yield f"DROP TABLE IF EXISTS {PAUSE}"
    yield "DROP INDEX IF EXISTS ix_client_name_nocase"
    yield f"DROP TABLE IF EXISTS {TABLE}"


def pg_doc() -> str:
    """PostgreSQL expression for the tsvector of client row c: unaccented, punctuation as spaces."""
    parts = [p.format(digits="regexp_replace(c.phone, '[^0-9]', '', 'g')") for p in _CLIENT_PARTS]
    contacts = ("(SELECT string_agg(concat_ws(' ', " + ", ".join(_CONTACT_PARTS) + "), ' ' "
                "ORDER BY cc.contact_id) FROM client_contact cc "
                "JOIN contact ct ON ct.id = cc.contact_id WHERE cc.client_id = c.id)")
    text = f"concat_ws(' ', {', '.join(parts + [contacts])})"
    return f"to_tsvector('simple', regexp_replace(lower(unaccent({text})), '[^[:alnum:]]+', ' ', 'g'))"


# Set for one transaction by bulk_load(): the trigger functions then leave the index alone
PAUSED = "cone.search_paused"
_SKIP = f"IF current_setting('{PAUSED}', true) = 'on' THEN RETURN NULL; END IF;"

_PG_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION cone_search_refresh(ids integer[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO {TABLE} (client_id, doc)
  SELECT c.id, {pg_doc()} FROM client c WHERE c.id = ANY(ids)
  ON CONFLICT (client_id) DO UPDATE SET doc = excluded.doc
$$;
CREATE OR REPLACE FUNCTION cone_search_client_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN {_SKIP} PERFORM cone_search_refresh(ARRAY[NEW.id]); RETURN NULL; END $$;
CREATE OR REPLACE FUNCTION cone_search_clients_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN {_SKIP} PERFORM cone_search_refresh(ARRAY(SELECT id FROM new_rows)); RETURN NULL; END $$;
CREATE OR REPLACE FUNCTION cone_search_links_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN {_SKIP} PERFORM cone_search_refresh(ARRAY(SELECT DISTINCT client_id FROM new_rows));
RETURN NULL; END $$;
CREATE OR REPLACE FUNCTION cone_search_links_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN {_SKIP} PERFORM cone_search_refresh(ARRAY(SELECT DISTINCT client_id FROM old_rows));
RETURN NULL; END $$;
CREATE OR REPLACE FUNCTION cone_search_contacts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN {_SKIP} PERFORM cone_search_refresh(ARRAY(SELECT DISTINCT cc.client_id FROM client_contact cc
                                               JOIN new_rows n ON n.id = cc.contact_id));
RETURN NULL; END $$;
"""

# (trigger name, timing and table, transition table clause, level, function)
_PG_TRIGGERS = [
    ("client_ai", "AFTER INSERT ON client", "REFERENCING NEW TABLE AS new_rows", "STATEMENT",
     "cone_search_clients_added"),
    # column lists and transition tables do not mix, so client updates go row by row
    ("client_au", f"AFTER UPDATE OF {_CLIENT_COLUMNS} ON client", "", "ROW", "cone_search_client_row"),
    ("link_ai", "AFTER INSERT ON client_contact", "REFERENCING NEW TABLE AS new_rows", "STATEMENT",
     "cone_search_links_added"),
    ("link_au", "AFTER UPDATE ON client_contact", "REFERENCING NEW TABLE AS new_rows", "STATEMENT",
     "cone_search_links_added"),
    ("link_au_old", "AFTER UPDATE ON client_contact", "REFERENCING OLD TABLE AS old_rows", "STATEMENT",
     "cone_search_links_removed"),
    ("link_ad", "AFTER DELETE ON client_contact", "REFERENCING OLD TABLE AS old_rows", "STATEMENT",
     "cone_search_links_removed"),
    ("contact_au", "AFTER UPDATE ON contact", "REFERENCING NEW TABLE AS new_rows", "STATEMENT",
     "cone_search_contacts_changed"),
]


def postgresql_ddl() -> Iterator[str]:
    """Create statements for PostgreSQL: unaccent, the document table, GIN index, triggers."""
    yield "CREATE EXTENSION IF NOT EXISTS unaccent"
    # ON DELETE CASCADE: a deleted client takes its document with it
    yield (f"CREATE TABLE IF NOT EXISTS {TABLE} (client_id integer PRIMARY KEY "
           "REFERENCES client(id) ON DELETE CASCADE, doc tsvector NOT NULL)")
    yield f"CREATE INDEX IF NOT EXISTS ix_{TABLE}_doc ON {TABLE} USING gin (doc)"
    yield "CREATE INDEX IF NOT EXISTS ix_client_name_lower ON client (lower(display_name), id)"
    yield _PG_FUNCTIONS
    for name, when, referencing, level, function in _PG_TRIGGERS:
        yield f"DROP TRIGGER IF EXISTS {TABLE}_{name} ON {when.split(' ON ')[1]}"
        yield f"CREATE TRIGGER {TABLE}_{name} {when} {referencing} FOR EACH {level} EXECUTE FUNCTION {function}()"


def postgresql_drop() -> Iterator[str]:
    """Drop statements for PostgreSQL (the unaccent extension stays: others may use it)."""
    for name, when, *_ in _PG_TRIGGERS:
        yield f"DROP TRIGGER IF EXISTS {TABLE}_{name} ON {when.split(' ON ')[1]}"
    for function in ("cone_search_client_row", "cone_search_clients_added", "cone_search_links_added",
                     "cone_search_links_removed", "cone_search_contacts_changed"):
        yield f"DROP FUNCTION IF EXISTS {function}()"
    yield "DROP FUNCTION IF EXISTS cone_search_refresh(integer[])"
    yield "DROP INDEX IF EXISTS ix_client_name_lower"
    yield f"DROP TABLE IF EXISTS {TABLE}"


def _statements(dialect: str, drop: bool) -> list[str]:
    if dialect == "sqlite":
        return list(sqlite_drop() if drop else sqlite_ddl())
    if dialect == "postgresql":
        return list(postgresql_drop() if drop else postgresql_ddl())
    return []


def create(connection) -> None:
    """Build the index, its triggers and the sort index, and fill it from existing rows."""
    for sql in [*_statements(connection.dialect.name, drop=False), *fill(connection.dialect.name)]:
        connection.exec_driver_sql(sql)


def drop(connection) -> None:
    """Remove everything create() made."""
    for sql in _statements(connection.dialect.name, drop=True):
        connection.exec_driver_sql(sql)


def create_list_indexes(connection) -> None:
    """Create the list's filter and sort indexes (migrations 0004 and 0006, db.create_all())."""
    dialect = connection.dialect.name
    if dialect == "postgresql":  # a trusted extension: the database's owner may add it
        connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (spec, dialects) in _LIST_INDEXES.items():
        if dialect in dialects.split():
            pg_sort.create_index(connection, name, spec.format(name=_NAME_KEY[dialect]))
    pg_sort.create(connection, TABLE)


def drop_list_indexes(connection) -> None:
    """Remove what create_list_indexes() made (pg_trgm stays: others may use it)."""
    pg_sort.drop(connection, TABLE)
    for name in _LIST_INDEXES:
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


def install_functions(connection) -> None:
    """(Re)write the PostgreSQL trigger functions: for databases made before bulk_load existed."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(_PG_FUNCTIONS)


def is_index_object(name: str | None) -> bool:
    """True for tables and indexes this module owns (autogenerate must not see them)."""
    return bool(name) and name.startswith(OWNED_PREFIXES)


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic filter: skip the search index's tables and indexes."""
    return not is_index_object(name)


def install(metadata) -> None:
    """Hook create()/drop() onto metadata so db.create_all()/drop_all() build and remove the index."""
    if not event.contains(metadata, "after_create", _after_create):
        event.listen(metadata, "after_create", _after_create)
        event.listen(metadata, "before_drop", _before_drop)


def _after_create(metadata, connection, **kw) -> None:
    create(connection)
    create_list_indexes(connection)


def _before_drop(metadata, connection, **kw) -> None:
    drop_list_indexes(connection)
    drop(connection)
