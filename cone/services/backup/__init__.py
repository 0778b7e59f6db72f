"""Backups: one file holding a consistent copy of the database and its manifest; restore into
an empty database, checked and migrated forward.

This module only re-exports the package's public names; its own modules import each other
directly, never this one.
"""
from cone.services.backup.archive import (BackupDamaged, BackupError, Manifest, RestoreRefused,
                                          backups_in, read_manifest)
from cone.services.backup.keys import key_advice
from cone.services.backup.make import BackupResult, make_backup, rotate
from cone.services.backup.restore import RestoreIncomplete, RestoreResult, restore

__all__ = [
    "BackupDamaged", "BackupError", "Manifest", "RestoreRefused", "backups_in", "read_manifest",
    "key_advice", "BackupResult", "make_backup", "rotate", "RestoreIncomplete", "RestoreResult",
    "restore",
]
