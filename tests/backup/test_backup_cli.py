"""`cone backup` and `cone restore` at their edges: schema revisions, rotation, the key
warning, and failures that leave no file behind."""
import os
import resource
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from cone.services.backup import backups_in, make_backup, read_manifest
from tests.backup.conftest import database_url, seed
from tests.helpers import ON_POSTGRES, flask_db

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def cone(app, *args, **kwargs):
    return app.test_cli_runner().invoke(args=["cone", *args], **kwargs)


def execute(url: str, *statements: str):
    engine = create_engine(url)
    with engine.begin() as conn:
        results = [conn.execute(text(sql)).all() if sql.startswith("SELECT")
                   else conn.execute(text(sql)) for sql in statements]
    engine.dispose()
    return results[-1]


def revisions(app) -> tuple[str, str]:
    """This code's head and the revision before it, whatever migrations exist today."""
    script = ScriptDirectory(app.extensions["migrate"].directory)
    head = script.get_current_head()
    return head, script.get_revision(head).down_revision


def test_an_older_backup_is_migrated_forward_to_this_code(migrating_app, target_app, tmp_path):
    head, before = revisions(migrating_app)
    flask_db(migrating_app, "upgrade", before)
    execute(database_url(migrating_app),
            "INSERT INTO \"user\" (email, name, password_hash, role, active, created_at) "
            "VALUES ('old@example.com', 'Old', 'x', 'admin', true, CURRENT_TIMESTAMP)")
    assert cone(migrating_app, "backup", str(tmp_path / "b")).exit_code == 0
    [path] = backups_in(tmp_path / "b")
    assert read_manifest(path).schema_revision == before

    restored = cone(target_app, "restore", str(path))
    assert restored.exit_code == 0, restored.output
    assert f"Migrated the schema from {before} to {head}." in restored.output
    url = database_url(target_app)
    assert execute(url, "SELECT version_num FROM alembic_version") == [(head,)]
    assert execute(url, "SELECT email FROM \"user\"") == [("old@example.com",)]


def test_a_backup_newer_than_this_code_is_refused(live_app, target_app, tmp_path):
    execute(database_url(live_app), "UPDATE alembic_version SET version_num = 'f00d9999'")
    cone(live_app, "backup", str(tmp_path / "b"))
    [path] = backups_in(tmp_path / "b")

    refused = cone(target_app, "restore", str(path))
    assert refused.exit_code == 1
    assert "schema revision f00d9999 is newer than this code's" in refused.output
    assert "Nothing was restored." in refused.output


def test_rotation_keeps_the_newest_and_never_touches_other_files(live_app, tmp_path):
    folder = tmp_path / "b"
    folder.mkdir()
    others = ["notes.txt", "cone-20200101T000000Z.tar.bak", "cone-latest.tar"]
    for name in others:
        (folder / name).write_text("keep me")
    start = datetime(2026, 12, 1, 2, 15, tzinfo=timezone.utc)
    for day in range(5):
        made = make_backup(database_url(live_app), folder, live_app.config, keep=3,
                           now=start + timedelta(days=day))
    assert [p.name for p in made.removed] == ["cone-20261202T021500Z.tar"]
    assert [p.name for p in backups_in(folder)] == [
        "cone-20261203T021500Z.tar", "cone-20261204T021500Z.tar", "cone-20261205T021500Z.tar"]
    assert all((folder / name).read_text() == "keep me" for name in others)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        others + [p.name for p in backups_in(folder)])


def test_keep_comes_from_the_option_or_cone_backup_keep(live_app, tmp_path):
    folder = tmp_path / "b"
    folder.mkdir()
    for day in range(1, 5):
        (folder / f"cone-2020010{day}T000000Z.tar").write_text("old")
    by_env = cone(live_app, "backup", str(folder), env={"CONE_BACKUP_KEEP": "3"})
    assert by_env.exit_code == 0, by_env.output
    assert "removed the older cone-20200101T000000Z.tar (keeping 3)" in by_env.output
    assert len(backups_in(folder)) == 3
    assert cone(live_app, "backup", str(folder), "--keep", "0").exit_code == 2


def test_backup_prints_what_it_holds_and_where_the_key_is(live_app, tmp_path):
    seed(live_app, clients=4)
    made = cone(live_app, "backup", str(tmp_path / "b"))
    assert made.exit_code == 0, made.output
    [path] = backups_in(tmp_path / "b")
    assert f"Backup written: {path} (" in made.output
    assert "client 4" in made.output and "connection 1" in made.output
    assert "Warning: Keep SECRET_KEY (set in the app's config) with this backup" in made.output
    assert "cannot be read without it" in made.output
    manifest = read_manifest(path)
    assert manifest.tables["client"] == 4 and manifest.secrets == 3
    assert "test-secret" not in path.read_bytes().decode("latin-1")

    live_app.config["CONE_ENCRYPTION_KEY"] = "a separate passphrase"
    assert "Keep CONE_ENCRYPTION_KEY" in cone(live_app, "backup", str(tmp_path / "c")).output


def test_a_folder_that_cannot_be_written_fails_clearly(live_app, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    failed = cone(live_app, "backup", str(blocker / "backups"))
    assert failed.exit_code == 1
    assert f"Error: Cannot write backups in {blocker / 'backups'}: Not a directory." \
        in failed.output


@pytest.mark.skipif(not ON_POSTGRES, reason="pg_dump backs up PostgreSQL only")
def test_missing_pg_dump_fails_clearly_and_leaves_nothing(live_app, tmp_path):
    folder = tmp_path / "b"
    failed = cone(live_app, "backup", str(folder), env={"PATH": str(tmp_path)})
    assert failed.exit_code == 1
    assert "Error: pg_dump was not found: install the PostgreSQL client tools" in failed.output
    assert list(folder.iterdir()) == []


def flask(env: dict, *args, limit: int | None = None) -> subprocess.CompletedProcess:
    """`flask --app app …` in a real process, optionally unable to write files over limit bytes."""
    def small_disk():
        # a write beyond the limit fails with EFBIG, as a full disk fails with ENOSPC
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    flask_bin = str(Path(sys.executable).with_name("flask"))
    return subprocess.run([flask_bin, "--app", "app", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, preexec_fn=small_disk if limit else None,
                          env={"PATH": os.environ["PATH"], "SECRET_KEY": "test-secret", **env})


def test_real_commands_back_up_and_restore(live_app, target_url, tmp_path):
    seed(live_app, clients=50)
    folder = tmp_path / "b"
    made = flask({"DATABASE_URL": database_url(live_app)}, "cone", "backup", str(folder))
    assert made.returncode == 0, made.stderr
    assert "Keep SECRET_KEY (set in the environment) with this backup" in made.stdout
    assert made.stderr == ""  # cron mails stderr alone: only failures go there
    [path] = backups_in(folder)
    assert path.stat().st_mode & 0o777 == 0o600  # every client's personal data

    restored = flask({"DATABASE_URL": target_url}, "cone", "restore", str(path))
    assert restored.returncode == 0, restored.stderr
    assert "3 of 3 stored secrets decrypt" in restored.stdout
    assert execute(target_url, "SELECT count(*) FROM client") == [(50,)]


def test_a_full_disk_fails_clearly_and_leaves_no_file(live_app, tmp_path):
    seed(live_app, clients=3000)
    folder = tmp_path / "b"
    folder.mkdir()
    failed = flask({"DATABASE_URL": database_url(live_app)}, "cone", "backup", str(folder),
                   limit=64 * 1024)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Error: " in failed.stderr and "Traceback" not in failed.stderr
    assert list(folder.iterdir()) == []
