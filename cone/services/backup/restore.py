"""Restore a backup into an empty database, then prove it: row counts against the manifest,
the schema migrated forward to this code's, the search index rebuilt, stored secrets read."""
from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import create_engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from cone.services.backup.archive import (BackupError, Manifest, RestoreRefused, extract_part,
                                          read_manifest)
from cone.services.backup.keys import readable, same_key
from cone.services.backup.make import engine_of
from cone.services.backup.tables import describe
from cone.services.search import integrity


class RestoreIncomplete(BackupError):
    """The data was restored, but a check after it failed: the message says which."""


@dataclasses.dataclass(frozen=True)
class RestoreResult:
    manifest: Manifest
    migrated_to: str | None     # the head it was migrated to, None when it was already there
    indexed: int                # clients in the rebuilt search index
    secrets: int                # stored secrets in the restored database
    readable: int               # …of which this installation's key decrypts

    @property
    def key_differs(self) -> bool:
        return self.readable < self.secrets


def _plan(migrations: str | Path, revision: str | None) -> str | None:
    """The head to migrate to, or None when the backup is at it; refuses a newer backup."""
    script = ScriptDirectory(str(migrations))
    heads = script.get_heads()
    if revision is None or revision in heads:
        return None
    try:
        known = script.get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        raise RestoreRefused(
            f"The backup's schema revision {revision} is newer than this code's "
            f"({', '.join(heads)}): restore it with the Cone version that made it.")
    return heads[0]


def _check_target(engine, url: str) -> None:
    names = engine.tables(url)
    if names:
        raise RestoreRefused(
            f"The target database is not empty ({len(names)} tables, e.g. "
            f"{', '.join(names[:3])}): restore only into a new or empty database.")


def restore(path: str | Path, url: str, config: Mapping, *, migrations: str | Path,
            upgrade: Callable[[], None], say: Callable[[str], None] = lambda _: None
            ) -> RestoreResult:
    """Restore the backup at path into the empty database at url.

    `upgrade` migrates that database to this code's head (Alembic needs the app to do it).
    Every refusal comes before the target is touched; after that, a failed check raises
    RestoreIncomplete and leaves the restored data in place.
    """
    path = Path(path)
    manifest = read_manifest(path)
    name, engine = engine_of(url)
    if manifest.engine != name:
        raise RestoreRefused(f"This backup is of a {manifest.engine} database; the target is "
                             f"{name}. Restore into the same kind of database.")
    head = _plan(migrations, manifest.schema_revision)
    if not same_key(config, manifest.key_check):
        say("Warning: SECRET_KEY/CONE_ENCRYPTION_KEY differs from the backup's: stored platform "
            "tokens and the Companies House API key will not decrypt.")
    _check_target(engine, url)
    try:
        with tempfile.TemporaryDirectory(prefix=".cone-restore-",
                                         dir=engine.staging_folder(url)) as work:
            part = Path(work) / manifest.part
            extract_part(path, manifest, part)
            say(f"Checked {path.name}: {manifest.part} matches its SHA-256.")
            _check_target(engine, url)  # again: unpacking a large file takes a while
            engine.load(part, url)
    except OSError as error:
        raise BackupError(f"Could not unpack the backup: {error.strerror or error}.") from error
    say(f"Restored {manifest.rows:,} rows in {len(manifest.tables)} tables.")
    with _step("checking the row counts", "check the database"):
        _verify_counts(url, manifest)
    if head is not None:
        with _step(f"migrating it to {head}", "run `flask --app app db upgrade`"):
            upgrade()
        say(f"Migrated the schema from {manifest.schema_revision} to {head}.")
    with _step("rebuilding the search index", "run `flask --app app cone search-rebuild`"):
        indexed, secrets = _finish(url)
    return RestoreResult(manifest, head, indexed, len(secrets), readable(config, secrets))


@contextmanager
def _step(doing: str, then: str) -> Iterator[None]:
    """A failure after the data went in: say what failed and that the data stays restored."""
    try:
        yield
    except (SQLAlchemyError, CommandError) as error:
        raise RestoreIncomplete(f"The data was restored, but {doing} failed: {error}. The data "
                                f"stays restored: fix the cause, then {then}.") from error


def _verify_counts(url: str, manifest: Manifest) -> None:
    db = create_engine(url)
    try:
        with db.connect() as conn:
            found = describe(conn).tables
    finally:
        db.dispose()
    if found != manifest.tables:
        wrong = sorted(n for n in manifest.tables.keys() | found.keys()
                       if manifest.tables.get(n) != found.get(n))
        raise RestoreIncomplete(
            "The restored data does not match the backup's manifest (" + ", ".join(
                f"{n}: {found.get(n)} rows, manifest {manifest.tables.get(n)}" for n in wrong)
            + "). The data stays restored: check it, or drop it and restore another backup.")


def _finish(url: str) -> tuple[int, list[str]]:
    """Rebuild the search index from the restored rows; read the stored secrets."""
    db = create_engine(url)
    try:
        with Session(db) as session:
            indexed = integrity.rebuild(session)
        with db.connect() as conn:
            contents = describe(conn)
    finally:
        db.dispose()
    return indexed, contents.secrets
