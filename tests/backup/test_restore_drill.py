"""The restore drill: a backup taken while a writer keeps adding clients, restored into a new
database, holds every table exactly as the live database had it at one moment."""
import time

import pytest
from sqlalchemy import create_engine, inspect, text

from cone.services.backup import backups_in, read_manifest
from cone.services.search import index as search_index
from tests.backup.conftest import database_url, seed
from cone.services.models import db
from tests.helpers import ON_POSTGRES, make_app

pytestmark = pytest.mark.slow


def cone(app, *args):
    return app.test_cli_runner().invoke(args=["cone", *args])


def read_all(url: str) -> dict[str, dict[tuple, dict]]:
    """Every row of every table (the search index aside), keyed by primary key."""
    engine = create_engine(url)
    found = {}
    with engine.connect() as conn:
        schema = inspect(conn)
        for name in schema.get_table_names():
            if search_index.is_index_object(name):
                continue
            key = schema.get_pk_constraint(name)["constrained_columns"]
            quoted = conn.dialect.identifier_preparer.quote(name)
            rows = conn.exec_driver_sql(f"SELECT * FROM {quoted}").mappings().all()
            found[name] = {tuple(row[c] for c in key) if key else tuple(row.values()): dict(row)
                           for row in rows}
    engine.dispose()
    return found


def scalar(url: str, sql: str):
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar()
    engine.dispose()
    return value


def test_backup_under_write_load_restores_one_consistent_moment(live_app, target_app,
                                                                 write_load, tmp_path):
    # enough rows that copying takes a while, so the writer commits during the copy
    seed(live_app, clients=300 if ON_POSTGRES else 20000)
    folder = tmp_path / "backups"
    load = write_load(database_url(live_app))
    load.wait_for(20)
    started = time.monotonic()
    made = cone(live_app, "backup", str(folder))
    finished = time.monotonic()
    load.wait_for(len(load.commits) + 20)
    load.stop()
    assert made.exit_code == 0, made.output
    assert any(started < t < finished for t in load.commits), "no write during the backup"

    [path] = backups_in(folder)
    manifest = read_manifest(path)
    restored = cone(target_app, "restore", str(path))
    assert restored.exit_code == 0, restored.output
    assert "3 of 3 stored secrets decrypt" in restored.output

    live, copy = read_all(database_url(live_app)), read_all(database_url(target_app))
    assert set(copy) == set(live) == set(manifest.tables)
    assert {name: len(rows) for name, rows in copy.items()} == manifest.tables
    for name, rows in copy.items():
        for key, row in rows.items():
            assert live[name].get(key) == row, f"{name} {key} differs from the live row"

    # one moment: each client the writer added is in the copy with its contact and note, or
    # is absent with both; and the writer went on after the copy was taken
    clients = {key[0] for key in copy["client"]}
    linked = {row["client_id"] for row in copy["client_contact"].values()}
    noted = {row["client_id"] for row in copy["note"].values()}
    for client in load.clients:
        assert (client in clients) == (client in linked) == (client in noted), client
    assert 0 < len(clients & set(load.clients)) < len(load.clients)
    # the search index is rebuilt: one document per client
    assert scalar(database_url(target_app), f"SELECT count(*) FROM {search_index.TABLE}") \
        == len(copy["client"])


def test_restore_refuses_a_database_that_is_not_empty(live_app, target_app, tmp_path):
    seed(live_app, clients=5)
    cone(live_app, "backup", str(tmp_path / "b"))
    [path] = backups_in(tmp_path / "b")
    assert cone(target_app, "restore", str(path)).exit_code == 0
    before = read_all(database_url(target_app))

    again = cone(target_app, "restore", str(path))
    assert again.exit_code == 1
    assert "The target database is not empty" in again.output
    assert "Nothing was restored." in again.output
    assert read_all(database_url(target_app)) == before


def test_restore_refuses_a_database_with_any_table(live_app, target_app, tmp_path):
    cone(live_app, "backup", str(tmp_path / "b"))
    [path] = backups_in(tmp_path / "b")
    url = database_url(target_app)
    if ON_POSTGRES:
        assert cone(target_app, "restore", str(path)).exit_code == 0  # creates the database
        engine = create_engine(url)
        with engine.begin() as conn:
            for name in inspect(conn).get_table_names():
                conn.execute(text(f'DROP TABLE "{name}" CASCADE'))
        engine.dispose()
    else:
        (tmp_path / "restored").mkdir()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE unrelated (id integer)"))
    engine.dispose()

    refused = cone(target_app, "restore", str(path))
    assert refused.exit_code == 1 and "not empty (1 tables, e.g. unrelated)" in refused.output
    assert set(read_all(url)) == {"unrelated"}


def damage(path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "flipped":
        data[len(data) // 2] ^= 0xFF  # inside the database part: the manifest comes first
    elif how == "truncated":
        del data[len(data) // 2:]
    else:
        data = bytearray(b"not a backup at all\n")
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("how, words", [
    ("flipped", "does not match the checksum"),
    ("truncated", "is damaged or not a Cone backup (unexpected end of data)"),
    ("foreign", "is damaged or not a Cone backup"),
])
def test_a_damaged_backup_is_refused_before_anything_is_touched(live_app, target_app, tmp_path,
                                                                how, words):
    seed(live_app, clients=200)
    cone(live_app, "backup", str(tmp_path / "b"))
    [path] = backups_in(tmp_path / "b")
    damage(path, how)

    refused = cone(target_app, "restore", str(path))
    assert refused.exit_code == 1, refused.output
    assert words in refused.output and "Nothing was restored." in refused.output
    if ON_POSTGRES:
        name = scalar(database_url(live_app), "SELECT current_database()")
        target = database_url(target_app).rsplit("/", 1)[1]
        assert name != target
        assert scalar(database_url(live_app),
                      f"SELECT count(*) FROM pg_database WHERE datname = '{target}'") == 0
    else:
        assert not list((tmp_path / "restored").glob("cone.db*"))


def test_a_backup_with_another_key_restores_but_says_secrets_do_not_decrypt(
        live_app, tmp_path, target_url):
    seed(live_app, clients=3)
    cone(live_app, "backup", str(tmp_path / "b"))
    [path] = backups_in(tmp_path / "b")
    elsewhere = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=target_url,
                         SECRET_KEY="another-secret-key")

    restored = cone(elsewhere, "restore", str(path))
    assert restored.exit_code == 1
    early, late = (restored.output.index("differs from the backup's"),
                   restored.output.index("0 of 3 stored secrets decrypt"))
    assert early < restored.output.index("Restored ") < late
    assert "SECRET_KEY/CONE_ENCRYPTION_KEY differs from the backup's" in restored.output
    assert "The data stays restored" in restored.output
    assert scalar(target_url, "SELECT count(*) FROM client") == 3
    with elsewhere.app_context():
        db.engine.dispose()
