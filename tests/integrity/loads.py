"""`flask cone seed-demo` as a real process on the test database, and ways to stop it hard."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cone.services.models import db
from cone.services.search import ClientQuery, search_clients
from tests.helpers import BUSINESS, ON_POSTGRES

ROOT = Path(__file__).resolve().parents[2]
APP_NAME = "cone-seed-under-test"  # how the PostgreSQL test finds the loader's connection
# The create form for a business; demo data may look alike, so a likely duplicate is confirmed
NEW = {**BUSINESS, "company_number": "", "confirm_duplicates": "1"}


def start_seed(app, count: int) -> subprocess.Popen:
    """Run `flask --app app cone seed-demo --clients count` against the app's database."""
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "SECRET_KEY": "test-secret", "PYTHONUNBUFFERED": "1", "PGAPPNAME": APP_NAME}
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "cone", "seed-demo", "--clients",
         str(count), "--seed", "3"], cwd=ROOT, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def wait_for_progress(process: subprocess.Popen, clients: int) -> None:
    """Read the loader's output until it says at least `clients` clients are committed."""
    while clients:
        line = process.stdout.readline()
        assert line, f"seed-demo ended before {clients} clients"
        if line.strip().rstrip("…").removesuffix(" clients").isdigit() \
                and int(line.split()[0]) >= clients:
            return


def _writing_sqlite(path: str) -> bool:
    """True while another connection holds SQLite's write lock (a load's batch is open)."""
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()


def _writing_postgres(url) -> bool:
    """True while the loader's connection is inside a transaction that has written."""
    return bool(_pg_scalar(url, "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                                f"'{APP_NAME}' AND backend_xid IS NOT NULL"))


def _pg_scalar(url, sql: str):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(text(sql))
    finally:
        engine.dispose()


def kill_inside_a_batch(app, process: subprocess.Popen, timeout: float = 60) -> None:
    """SIGKILL the loader at a moment when one of its transactions is open and has written."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    sqlite = url.get_backend_name() == "sqlite"
    deadline = time.monotonic() + timeout
    while not (_writing_sqlite(url.database) if sqlite else _writing_postgres(url)):
        assert process.poll() is None, "seed-demo ended before it could be killed"
        assert time.monotonic() < deadline, "seed-demo never opened a transaction"
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    process.stdout.close()
    while not sqlite and _pg_scalar(url, "SELECT count(*) FROM pg_stat_activity "
                                         f"WHERE application_name = '{APP_NAME}'"):
        time.sleep(0.05)  # the server ends the dead client's transaction on its own


def finish(process: subprocess.Popen, timeout: float = 120) -> str:
    """Wait for the loader to end well; returns its output."""
    out, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, out
    return out


def found(q: str, client_id: int) -> bool:
    """True when searching the list for q shows the client (among the first 100)."""
    db.session.expire_all()
    rows = search_clients(ClientQuery(q=q, per_page=100)).rows
    return client_id in {r.id for r in rows}


def damage(first: int, second: int) -> None:
    """Lose one client's document and garble another's, behind the triggers' back."""
    key = "client_id" if ON_POSTGRES else "rowid"
    db.session.execute(text(f"DELETE FROM client_search WHERE {key} = {first}"))
    garbled = "to_tsvector('simple', 'garbled')" if ON_POSTGRES else "'garbled'"
    db.session.execute(text(f"UPDATE client_search SET doc = {garbled} WHERE {key} = {second}"))
    db.session.commit()
