"""SQLite: copy a live database with the online backup API; put a copy in place by rename."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from cone.services.backup.archive import BackupError, RestoreRefused
from cone.services.backup.tables import Contents, describe

BUSY_TIMEOUT = 30  # seconds to wait for a writer's checkpoint before the copy starts
SIDE_FILES = ("-wal", "-shm", "-journal")


def database_path(url: str) -> Path:
    """The file a sqlite:/// URL names."""
    name = make_url(url).database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError(f"Cone can back up a SQLite database file, not {url!r}.")
    return Path(name)


def dump(url: str, dest: Path) -> Contents:
    """Copy the live database to dest in one read transaction, so the copy is one moment even
    while the app writes (WAL: writers go on meanwhile); then count what the copy holds."""
    source = database_path(url)
    if not source.is_file():
        raise BackupError(f"There is no database at {source}.")
    live = sqlite3.connect(source, timeout=BUSY_TIMEOUT)
    copy = sqlite3.connect(dest)
    try:
        live.backup(copy)  # pages=-1: every page in one step, one read snapshot
        # A single self-contained file: the copy leaves WAL mode with the live database
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()
        live.close()
    engine = create_engine(f"sqlite:///{dest}")
    try:
        with engine.connect() as conn:
            contents = describe(conn)
    finally:
        engine.dispose()
    _single_file(dest)
    return contents


def _single_file(path: Path) -> None:
    """Return path to rollback-journal mode with no -wal/-shm beside it (opening it may set WAL)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()


def tables(url: str) -> list[str] | None:
    """The target's tables, or None when the file does not exist yet (read-only look)."""
    path = database_path(url)
    if not path.exists():
        return None
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    except sqlite3.Error as error:
        raise RestoreRefused(f"{path} is not a SQLite database Cone can restore into ({error}).") \
            from error
    finally:
        conn.close()


def staging_folder(url: str) -> Path:
    """Where to unpack the copy: beside the target, so putting it in place is a rename."""
    folder = database_path(url).resolve().parent
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def load(part: Path, url: str) -> None:
    """Put the copy in place of the empty target by rename: the target is whole or untouched."""
    target = database_path(url).resolve()
    # An empty target's WAL files belong to it, not to the copy: SQLite would apply them
    for suffix in SIDE_FILES:
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(part, target)
