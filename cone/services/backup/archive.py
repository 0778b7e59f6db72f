"""A backup file: one tar holding manifest.json and the database part (SQLite file or pg_dump).

The manifest says what the database part holds (tables and their row counts, the schema
revision, its SHA-256), so a restore can refuse a damaged or foreign file before it touches
anything, and prove afterwards that every row arrived.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import re
import tarfile
from datetime import datetime, timezone
from pathlib import Path

FORMAT = 1
MANIFEST = "manifest.json"
PARTS = {"sqlite": "cone.sqlite3", "postgresql": "cone.pgdump"}
# cone-20261202T071500Z.tar: the UTC time sorts as text, so rotation can sort by name
NAME = re.compile(r"^cone-\d{8}T\d{6}Z\.tar$")
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore could not be done; the message says why, for the person running it."""


class RestoreRefused(BackupError):
    """The restore stopped before it touched the target database."""


class BackupDamaged(RestoreRefused):
    """The file is not a complete Cone backup (truncated, altered, or something else)."""


@dataclasses.dataclass(frozen=True)
class Manifest:
    engine: str                 # "sqlite" | "postgresql"
    schema_revision: str | None
    tables: dict[str, int]      # row counts, taken in the same snapshot as the copy
    sha256: str                 # of the database part
    size: int
    key_check: str              # Fernet token of a known text: does today's key still read it?
    secrets: int                # encrypted values stored in the copy
    created_at: str
    format: int = FORMAT

    @property
    def part(self) -> str:
        return PARTS[self.engine]

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def file_name(now: datetime) -> str:
    """The backup's file name for a moment, in UTC."""
    return f"cone-{now.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}.tar"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write(path: Path, manifest: Manifest, part: Path) -> None:
    """Write the tar at path (manifest first, so a reader learns what to expect) and fsync it."""
    body = json.dumps(dataclasses.asdict(manifest), indent=2, sort_keys=True).encode()
    # 0600: a backup holds every client's personal data
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(body), int(datetime.now().timestamp()), 0o600
            tar.addfile(info, io.BytesIO(body))
            tar.add(part, arcname=manifest.part, recursive=False)
        raw.flush()
        os.fsync(raw.fileno())


def read_manifest(path: Path) -> Manifest:
    """The manifest of the backup at path; BackupDamaged if there is none or it makes no sense."""
    try:
        with tarfile.open(path, mode="r:") as tar:
            member = tar.extractfile(MANIFEST)
            data = json.loads(member.read()) if member else None
    except FileNotFoundError:
        raise RestoreRefused(f"There is no file {path}.") from None
    except (tarfile.TarError, KeyError, OSError, ValueError) as error:
        raise BackupDamaged(f"{path} is damaged or not a Cone backup ({error}).") from None
    if not isinstance(data, dict) or not isinstance(data.get("format"), int):
        raise BackupDamaged(f"{path} has no Cone backup manifest.")
    if data["format"] > FORMAT:
        raise RestoreRefused(f"{path} was made by a newer Cone (backup format {data['format']}): "
                             "restore it with that version.")
    try:
        manifest = Manifest(**data)
    except TypeError as error:
        raise BackupDamaged(f"{path} has a manifest Cone cannot read ({error}).") from None
    if manifest.engine not in PARTS:
        raise BackupDamaged(f"{path} names an unknown database engine {manifest.engine!r}.")
    return manifest


def extract_part(path: Path, manifest: Manifest, dest: Path) -> None:
    """Copy the database part to dest, checking its size and SHA-256 against the manifest."""
    digest, size = hashlib.sha256(), 0
    try:
        with tarfile.open(path, mode="r:") as tar, open(dest, "wb") as out:
            member = tar.extractfile(manifest.part)
            if member is None:
                raise KeyError(manifest.part)
            while chunk := member.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
    except (tarfile.TarError, KeyError) as error:
        raise BackupDamaged(f"{path} is incomplete: its database part is missing ({error}).") \
            from None
    if size != manifest.size or digest.hexdigest() != manifest.sha256:
        raise BackupDamaged(f"{path} is damaged: its database part does not match the "
                            "checksum in its manifest. Use another backup.")


def backups_in(folder: Path) -> list[Path]:
    """Cone's backup files in folder, oldest first (other files are never listed)."""
    return sorted(p for p in folder.iterdir() if NAME.match(p.name) and p.is_file())
