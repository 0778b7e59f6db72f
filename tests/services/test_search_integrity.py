"""search.check() and search.rebuild(); bulk_load() pauses only its own transactions; migration
0005 repairs what older bulk loads could leave behind."""
import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.exc import IntegrityError

from cone.services import demo
from cone.services.models import Client, db
from cone.services.search import (ClientQuery, bulk_load, check, index, integrity, rebuild,
                                   search_clients)
from tests.helpers import ON_POSTGRES, add_raw_client, flask_db
from tests.integrity.loads import damage

def names(q: str) -> list[str]:
    return [r.display_name for r in search_clients(ClientQuery(q=q)).rows]


def test_check_counts_missing_and_stale_documents_and_rebuild_rewrites_them(app_ctx):
    demo.seed(12, seed=7)
    ids = db.session.scalars(select(Client.id).order_by(Client.id)).all()
    assert check(db.session) == 0
    damage(ids[0], ids[1])
    assert check(db.session) == 2
    seen = []
    assert rebuild(db.session, batch=5, progress=lambda *a: seen.append(a)) == 12
    assert seen == [(5, 12), (10, 12), (12, 12)]
    assert check(db.session) == 0
    assert integrity.mismatches(db.session) == []


@pytest.mark.skipif(ON_POSTGRES, reason="PostgreSQL's foreign key removes a client's document")
def test_rebuild_removes_documents_left_over_from_deleted_clients(app_ctx):
    demo.seed(3, seed=7)
    db.session.execute(text("INSERT INTO client_search (rowid, doc) VALUES (97, 'ghost'), "
                            "(5000, 'ghost')"))
    db.session.commit()
    assert check(db.session) == 2
    assert rebuild(db.session) == 3 and check(db.session) == 0


def test_rebuild_recreates_missing_triggers(app_ctx):
    demo.seed(3, seed=7)
    connection = db.session.connection()
    if ON_POSTGRES:
        for name in ("client_ai", "link_ai", "contact_au"):
            table = {"client_ai": "client", "link_ai": "client_contact"}.get(name, "contact")
            connection.exec_driver_sql(f"DROP TRIGGER client_search_{name} ON {table}")
        connection.exec_driver_sql("DROP INDEX ix_client_search_doc")
    else:  # what an older bulk load killed part way left: no triggers at all
        for sql in index.sqlite_drop_triggers():
            connection.exec_driver_sql(sql)
        connection.exec_driver_sql(f"DROP TABLE {index.PAUSE}")
    db.session.commit()
    try:
        db.session.add(Client(kind="business", display_name="Unseen Ltd"))
        db.session.commit()
        assert check(db.session) == 1 and names("unseen") == []
    finally:
        assert rebuild(db.session) == 4
    db.session.add(Client(kind="business", display_name="Seen Again Ltd"))
    db.session.commit()
    assert names("seen again") == ["Seen Again Ltd"] and names("unseen") == ["Unseen Ltd"]
    assert check(db.session) == 0
    if ON_POSTGRES:
        assert "ix_client_search_doc" in {i["name"] for i in inspect(db.engine).get_indexes(
            "client_search")}


def test_other_connections_keep_their_upkeep_while_a_load_runs(app_ctx):
    other = create_engine(db.engine.url)
    with bulk_load.bulk_load(db.session):
        db.session.add(Client(kind="business", display_name="Loaded First Ltd"))
        db.session.commit()
        # between the load's transactions, and (PostgreSQL) during one: nobody else is paused
        with other.begin() as connection:
            add_raw_client(connection, "Outside Between Ltd")
        db.session.add(Client(kind="business", display_name="Loaded Second Ltd"))
        db.session.flush()
        if ON_POSTGRES:
            with other.begin() as connection:
                add_raw_client(connection, "Outside During Ltd")
        else:  # SQLite: the marker the load holds is invisible to everyone else
            with other.connect() as connection:
                assert connection.scalar(text(f"SELECT count(*) FROM {index.PAUSE}")) == 0
    other.dispose()
    assert check(db.session) == 0
    assert names("outside") == (["Outside Between Ltd", "Outside During Ltd"] if ON_POSTGRES
                                else ["Outside Between Ltd"])
    assert names("loaded") == ["Loaded First Ltd", "Loaded Second Ltd"]


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite has one writer: no lock order to keep")
def test_ensure_on_a_complete_index_locks_no_table(app_ctx):
    """An edit holding client while it waits for the search table (or the other way round)
    must never meet a rebuild that holds one while waiting for the other: a deadlock."""
    demo.seed(3, seed=7)
    db.session.commit()
    other = create_engine(db.engine.url)
    with other.begin() as writer:  # an edit part way: client and client_search written
        add_raw_client(writer, "Editing Now Ltd")
        connection = db.session.connection()
        connection.exec_driver_sql("SET LOCAL lock_timeout = '500ms'")
        integrity.ensure(connection)  # raised "lock timeout" before create_index
        db.session.commit()
    other.dispose()
    assert check(db.session) == 0


@pytest.mark.skipif(ON_POSTGRES, reason="the pause marker is SQLite's")
def test_a_pause_marker_can_never_be_committed(app_ctx):
    db.session.execute(text(f"INSERT INTO {index.PAUSE} (id) VALUES (1)"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(text(f"SELECT count(*) FROM {index.PAUSE}")) == 0


@pytest.mark.slow
def test_0005_repairs_what_an_older_killed_load_left(migrating_app):
    flask_db(migrating_app, "upgrade", "0004")
    with migrating_app.app_context():
        connection = db.session.connection()
        add_raw_client(connection, "Indexed Before Ltd")
        if ON_POSTGRES:  # the old load set its flag, then died before indexing or its GIN index
            connection.exec_driver_sql("SELECT set_config('cone.search_paused', 'on', true)")
            connection.exec_driver_sql("DROP INDEX ix_client_search_doc")
        else:  # the old load dropped the triggers, then died
            for sql in index.sqlite_drop_triggers():
                connection.exec_driver_sql(sql)
        add_raw_client(connection, "Never Indexed Ltd")
        db.session.commit()
        assert check(db.session) == 1
        db.session.remove()
        db.engine.dispose()
    flask_db(migrating_app, "upgrade")
    with migrating_app.app_context():
        assert check(db.session) == 0
        assert names("never indexed") == ["Never Indexed Ltd"]
        db.session.add(Client(kind="business", display_name="Made After Ltd"))
        db.session.commit()
        assert names("made after") == ["Made After Ltd"]
        db.session.remove()
        db.engine.dispose()
    flask_db(migrating_app, "downgrade", "0004")
    with migrating_app.app_context():  # the model has columns 0004 has not: a raw insert
        add_raw_client(db.session.connection(), "Downgraded Ltd")
        db.session.commit()
        assert check(db.session) == 0
        db.session.remove()
        db.engine.dispose()
    flask_db(migrating_app, "upgrade")
