"""The list's search as PostgreSQL runs it quickly: trigram lookups for short and several words,
the count checked against archived clients only, the count's ids reused for the page, many
matches walked in the search table's own name order; and the page's rows joined in the ids'
order. Every expectation is the same on both engines."""
import pytest
from sqlalchemy import event, inspect, text

from cone.services.models import Client, db, utcnow
from cone.services.search import ClientQuery, bulk_load, search_clients
from cone.services.search.query import COUNT_CAP
from tests.helpers import ON_POSTGRES, add_raw_client, bulk_clients, flask_db

PG_ONLY = {"ix_client_list_archived", "ix_client_search_trgm"}


def add(name, **fields):
    fields.setdefault("kind", "business")
    db.session.add(Client(status=fields.pop("status", "customer"), display_name=name, **fields))


def names(**params) -> list[str]:
    return [r.display_name for r in search_clients(ClientQuery(**params)).rows]


@pytest.fixture
def register(app_ctx):
    add("John Smith", kind="individual", first_name="John", last_name="Smith")
    add("Jo Smart Ltd")
    add("Josmond Ltd")                       # "jo sm" run together: josm…
    add("Smith & Jones")                     # both words, in the other order
    add("Ajo Asm Ltd")                       # jo and sm inside words, not starting them
    add("Jomo Smoothies", archived_at=utcnow())
    add("Anna Ltd", phone="07700 900123")
    add("Bravo Ltd", phone="01632 960456")   # an a inside a word only
    add("O'Brien & Co", email="ob@example.com")
    add("Zoë Ærø", trading_name="Łódź Holdings")
    db.session.commit()


@pytest.mark.parametrize("q, expected", [
    ("jo sm", ["Jo Smart Ltd", "John Smith", "Josmond Ltd", "Smith & Jones"]),
    ("sm jo", ["Jo Smart Ltd", "John Smith", "Smith & Jones"]),
    ("a", ["Ajo Asm Ltd", "Anna Ltd", "Zoë Ærø"]),  # Ærø: aero
    ("b", ["Bravo Ltd", "O'Brien & Co"]),
    ("07700 9", ["Anna Ltd"]),               # the phone's words, and run together
    ("077009", ["Anna Ltd"]),
    ("7 9", []),                             # digits inside numbers start no word
    ("o b", ["O'Brien & Co"]),
    ("ob exa", ["O'Brien & Co"]),
    ("zoe aer", ["Zoë Ærø"]),
    ("l h", ["Zoë Ærø"]),                    # Łódź Holdings, folded
    ("ltd a", ["Ajo Asm Ltd", "Anna Ltd"]),
    ("%", ["Ajo Asm Ltd", "Anna Ltd", "Bravo Ltd", "Jo Smart Ltd", "John Smith", "Josmond Ltd",
           "O'Brien & Co", "Smith & Jones", "Zoë Ærø"]),  # no words: every live client
])
def test_short_and_several_words_match_word_starts_only(register, q, expected):
    assert names(q=q) == expected


def test_archived_clients_are_left_out_of_the_count_unless_asked_for(register):
    live = search_clients(ClientQuery(q="jo"))
    every = search_clients(ClientQuery(q="jo", archived=True))
    assert (live.total, live.exact) == (4, True)
    assert (every.total, every.exact) == (5, True) and "Jomo Smoothies" not in names(q="jo")
    assert names(q="smoo", archived=True) == ["Jomo Smoothies"] and names(q="smoo") == []
    assert names(q="jo smoo", archived=True) == ["Jomo Smoothies"] and names(q="jo smoo") == []
    assert names(q="jo", kind="individual") == ["John Smith"]
    assert names(q="jo", kind="individual", archived=True, status="prospect") == []


def test_count_past_the_cap_with_archived_matches(app_ctx):
    """Archived matches neither count nor show, however many there are beside the live ones."""
    bulk_clients(COUNT_CAP + 30, "Bulk")
    bulk_clients(40, "Bulk archived", archived_at=utcnow())
    bulk_clients(50, "Bulk prospect", status="prospect")
    first = search_clients(ClientQuery(q="bulk"))
    assert (first.total, first.exact) == (COUNT_CAP + 25, False)
    wide = search_clients(ClientQuery(q="bulk", per_page=100))  # the cap is 100 further on
    assert (wide.total, wide.exact) == (COUNT_CAP + 80, True)
    assert all("archived" not in r.display_name for r in wide.rows)
    assert search_clients(ClientQuery(q="bulk", per_page=100, archived=True)).total == COUNT_CAP + 100
    prospects = search_clients(ClientQuery(q="bulk", status="prospect"))
    assert (prospects.total, prospects.exact) == (50, True)
    assert [r.display_name for r in prospects.rows][:2] == ["Bulk prospect 0000", "Bulk prospect 0001"]
    # several words past the cap: walked in name order, as a full sort gives them
    walked = search_clients(ClientQuery(q="bu 0"))
    sorted_all = search_clients(ClientQuery(q="bu 0", per_page=100))
    assert not walked.exact and [r.id for r in walked.rows] == [r.id for r in sorted_all.rows[:25]]


def stale_name_keys() -> int:
    """PostgreSQL: documents whose name order is not their client's (0 on SQLite: it has none)."""
    if not ON_POSTGRES:
        return 0
    return db.session.scalar(text("SELECT count(*) FROM client_search s JOIN client c ON "
                                  "c.id = s.client_id WHERE s.name_key IS DISTINCT FROM "
                                  "lower(c.display_name)"))


def test_many_matches_walk_in_the_name_order_of_today_whatever_wrote_the_documents(app_ctx):
    """Renamed, loaded in bulk, archived, filtered: the walked page is the one a full sort gives."""
    bulk_clients(COUNT_CAP + 40, "Bulk")
    bulk_clients(30, "Bulk archived", archived_at=utcnow())
    bulk_clients(20, "bulk Individual", kind="individual")
    with bulk_load.bulk_load(db.session):
        db.session.add(Client(kind="business", status="customer", display_name="BULK 0000 loaded"))
        db.session.commit()
    renamed = db.session.scalar(db.select(Client).where(Client.display_name == "Bulk 0500"))
    renamed.display_name = "Aaa bulk renamed"
    db.session.commit()
    assert stale_name_keys() == 0
    for params in ({}, {"kind": "business"}, {"archived": True}, {"page": 2}, {"q": "bulk b"}):
        params = {"q": "bulk", **params}
        walked = search_clients(ClientQuery(**params))
        page = params.get("page", 1)
        sorted_all = search_clients(ClientQuery(**{**params, "page": 1, "per_page": 100}))
        assert not walked.exact and sorted_all.exact, params
        assert [r.id for r in walked.rows] == [r.id for r in sorted_all.rows[(page - 1) * 25:][:25]]
    first = [r.display_name for r in search_clients(ClientQuery(q="bulk")).rows]
    assert first[:3] == ["Aaa bulk renamed", "Bulk 0000", "BULK 0000 loaded"]
    assert "Bulk archived 0000" not in first and "bulk Individual 0000" not in first


def test_few_matches_page_in_name_order(app_ctx):
    bulk_clients(60, "Few")
    pages = [names(q="few", page=page) for page in (1, 2, 3)]
    assert pages[0][:2] == ["Few 0000", "Few 0001"] and pages[2] == [f"Few {i:04}" for i in range(50, 60)]
    assert sum(pages, []) == sorted(sum(pages, []))


def pg_only_indexes() -> set[str]:
    tables = ("client", "client_search") if ON_POSTGRES else ("client",)  # FTS5 has none
    return {ix["name"] for table in tables for ix in inspect(db.engine).get_indexes(table)} & PG_ONLY


def test_the_postgresql_indexes_are_made_by_create_all(app_ctx):
    assert pg_only_indexes() == (PG_ONLY if ON_POSTGRES else set())


@pytest.mark.slow
def test_migration_0006_adds_and_removes_them(migrating_app):
    def made():
        with migrating_app.app_context():
            found = pg_only_indexes()
            columns = {c["name"] for c in inspect(db.engine).get_columns("client_search")
                       } if ON_POSTGRES else set()
            found |= {"name_key"} & columns
            db.engine.dispose()
        return found

    flask_db(migrating_app, "upgrade")
    assert made() == (PG_ONLY | {"name_key"} if ON_POSTGRES else set())
    flask_db(migrating_app, "downgrade", "0005")
    assert made() == set()
    with migrating_app.app_context():  # documents written before 0006 get their name order
        add_raw_client(db.session.connection(), "Made Before 0006")  # 0005's columns only
        db.session.commit()
        db.engine.dispose()
    flask_db(migrating_app, "upgrade")
    assert made() == (PG_ONLY | {"name_key"} if ON_POSTGRES else set())
    with migrating_app.app_context():
        assert stale_name_keys() == 0 and names(q="made") == ["Made Before 0006"]
        db.session.close()
        db.engine.dispose()


@pytest.mark.parametrize("q", ["", "walk", "w"])
@pytest.mark.parametrize("sort", ["name", "deadline"])
def test_the_rows_keep_the_page_ids_order_without_walking_every_client(app_ctx, sort, q):
    """The test database has no planner statistics, like a register that grew by hand: sorted
    again by name, SQLite walked the name index over every client to place the page's rows."""
    bulk_clients(60, "Walk")
    statements = []
    grab = lambda _conn, _cursor, sql, params, _ctx, _many: statements.append((sql, params))
    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        rows = search_clients(ClientQuery(q=q, sort=sort, page=2)).rows
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    assert [r.display_name for r in rows] == [f"Walk {i:04}" for i in range(25, 50)]
    if ON_POSTGRES:  # the words are written into the statements: no generic plan guesses them
        searching = [(sql, params) for sql, params in statements if "client_search" in sql]
        assert all(f"'{q}:*'" in sql and q not in str(params) for sql, params in searching)
        assert bool(searching) == bool(q)
        return
    sql, params = statements[-1]
    plan = db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).all()
    assert len([row for row in plan if row[-1].startswith("SCAN client ")]) <= 1, plan
