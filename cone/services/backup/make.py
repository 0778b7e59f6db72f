"""Take a backup: one new file, written under a temporary name and renamed when complete,
then the oldest backups beyond the number to keep removed."""
from __future__ import annotations

import dataclasses
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.engine import make_url

from cone.services.backup import pg_copy, sqlite_copy
from cone.services.backup.archive import (PARTS, BackupError, Manifest, backups_in, file_name,
                                          sha256, write)
from cone.services.backup.keys import key_check

ENGINES = {"sqlite": sqlite_copy, "postgresql": pg_copy}
WORK_PREFIX = ".cone-backup-"
STALE_WORK = 24 * 3600  # a work folder this old was left by a killed backup


@dataclasses.dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    manifest: Manifest
    removed: list[Path]


def engine_of(url: str):
    """The module that copies this kind of database."""
    name = make_url(url).get_backend_name()
    if name not in ENGINES:
        raise BackupError(f"Cone backs up SQLite and PostgreSQL databases, not {name}.")
    return name, ENGINES[name]


def make_backup(url: str, folder: str | Path, config: Mapping, *, keep: int = 14,
                now: datetime | None = None) -> BackupResult:
    """Back up the database at url into a new file in folder; keep the newest `keep` backups."""
    if keep < 1:
        raise BackupError("--keep must be at least 1: the backup just made is one of them.")
    name, engine = engine_of(url)
    folder = Path(folder)
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    final = folder / file_name(now)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=WORK_PREFIX, dir=folder))
    except OSError as error:
        raise BackupError(f"Cannot write backups in {folder}: {error.strerror or error}.") \
            from error
    try:
        if final.exists():
            raise BackupError(f"{final} already exists: one backup a second at most.")
        part = work / PARTS[name]
        contents = engine.dump(url, part)
        manifest = Manifest(
            engine=name, schema_revision=contents.revision, tables=contents.tables,
            sha256=sha256(part), size=part.stat().st_size, key_check=key_check(config),
            secrets=len(contents.secrets), created_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"))
        staged = work / final.name
        write(staged, manifest, part)
        os.replace(staged, final)  # the final name appears only once the file is whole
        _sync_folder(folder)
    except (OSError, sqlite3.Error) as error:
        free = shutil.disk_usage(folder).free / 2**20
        raise BackupError(f"Could not make the backup in {folder}: "
                          f"{getattr(error, 'strerror', None) or error} "
                          f"({free:,.0f} MB free there).") from error
    finally:
        shutil.rmtree(work, ignore_errors=True)
    try:
        removed = rotate(folder, keep)
    except OSError as error:
        raise BackupError(f"{final} was written, but removing older backups failed: "
                          f"{error}.") from error
    return BackupResult(final, final.stat().st_size, manifest, removed)


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def rotate(folder: Path, keep: int) -> list[Path]:
    """Remove Cone's oldest backups beyond `keep`, and work folders left by killed backups;
    never any other file."""
    removed = backups_in(folder)[:-keep]
    for path in removed:
        path.unlink()
    for work in folder.glob(f"{WORK_PREFIX}*"):
        if work.is_dir() and time.time() - work.stat().st_mtime > STALE_WORK:
            shutil.rmtree(work, ignore_errors=True)
    return removed
