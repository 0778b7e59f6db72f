"""PostgreSQL: pg_dump -Fc from an exported snapshot, counted in that same snapshot; restore
with pg_restore into an empty database, created when it does not exist yet."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from psycopg.conninfo import make_conninfo
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from cone.services.backup.archive import BackupError, RestoreRefused
from cone.services.backup.tables import Contents, describe, table_names

MAINTENANCE_DB = "postgres"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} was not found: install the PostgreSQL client tools "
                          "(postgresql-client, the server's major version or newer).")
    return path


def _libpq(url: URL) -> tuple[str, dict]:
    """A conninfo string for pg_dump/pg_restore; the password goes in the environment, where
    `ps` does not show it."""
    params = {k: v for k, v in url.query.items() if isinstance(v, str)}
    params.update({k: v for k, v in (("host", url.host), ("port", url.port),
                                     ("user", url.username), ("dbname", url.database)) if v})
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return make_conninfo(**params), env


def _run(command: list[str], env: dict, what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode < 0:
        raise BackupError(f"{what} was stopped by {signal.Signals(-done.returncode).name}.")
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{what} failed: {' '.join(detail[-3:]) or done.returncode}")


def dump(url: str, dest: Path) -> Contents:
    """pg_dump -Fc into dest, in the snapshot where the rows were counted, so both agree."""
    pg_dump, parsed = _tool("pg_dump"), make_url(url)
    conninfo, env = _libpq(parsed)
    engine = create_engine(parsed)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ",
                                                 postgresql_readonly=True) as conn:
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            contents = describe(conn)
            # the exporting transaction stays open until pg_dump has finished with it
            _run([pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={dest}",
                  f"--dbname={conninfo}"], env, "pg_dump")
            conn.rollback()
    except SQLAlchemyError as error:
        raise BackupError(f"Could not read the PostgreSQL database: {error.orig or error}") \
            from error
    finally:
        engine.dispose()
    return contents


def _tables_or_none(url: URL) -> list[str] | None:
    """The database's tables, or None when it does not exist. The maintenance database is asked
    only when the target cannot be reached: managed servers often refuse connections to it."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return table_names(conn)
    except OperationalError:
        if _exists(url):
            raise
        return None
    finally:
        engine.dispose()


def _exists(url: URL) -> bool:
    server = create_engine(url.set(database=MAINTENANCE_DB), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            return conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                {"name": url.database}).first() is not None
    finally:
        server.dispose()


def tables(url: str) -> list[str] | None:
    """The target's tables, or None when the database does not exist yet."""
    try:
        return _tables_or_none(make_url(url))
    except SQLAlchemyError as error:
        raise RestoreRefused(f"Could not reach PostgreSQL: {error.orig or error}") from error


def staging_folder(url: str) -> None:
    """pg_restore reads the dump from anywhere: the system's temporary folder will do."""
    return None


def load(part: Path, url: str) -> None:
    """Create the database if missing, then pg_restore in one transaction: all or nothing."""
    pg_restore, parsed = _tool("pg_restore"), make_url(url)
    if tables(url) is None:
        server = create_engine(parsed.set(database=MAINTENANCE_DB), isolation_level="AUTOCOMMIT")
        try:
            with server.connect() as conn:
                quoted = conn.dialect.identifier_preparer.quote(parsed.database)
                conn.execute(text(f"CREATE DATABASE {quoted}"))
        except SQLAlchemyError as error:
            raise RestoreRefused(f"Could not create the database {parsed.database}: "
                                 f"{error.orig or error}") from error
        finally:
            server.dispose()
    conninfo, env = _libpq(parsed)
    # --no-owner/--no-privileges: the roles of the server the dump came from need not exist here
    try:
        _run([pg_restore, "--no-owner", "--no-privileges", "--exit-on-error",
              "--single-transaction", f"--dbname={conninfo}", str(part)], env, "pg_restore")
    except BackupError as error:
        raise RestoreRefused(f"{error} (it ran as one transaction)") from error
    # pg_restore brings no planner statistics: without them the search rebuild's joins are
    # planned for empty tables (a minute instead of seconds at 20,000 clients)
    restored = create_engine(parsed, isolation_level="AUTOCOMMIT")
    try:
        with restored.connect() as conn:
            conn.execute(text("ANALYZE"))
    finally:
        restored.dispose()
