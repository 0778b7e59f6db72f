"""Backups: take one (for cron) and restore one into an empty database."""
import os
import sys
from pathlib import Path

import click
import flask_migrate
from flask import current_app

from cone.cli.group import cone_cli, fail
from cone.services import backup


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return ""


def _summary(tables: dict[str, int]) -> str:
    counted = sorted(((n, c) for n, c in tables.items() if c), key=lambda t: (-t[1], t[0]))
    return ", ".join(f"{name} {count:,}" for name, count in counted) or "no rows"


@cone_cli.command("backup")
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--keep", default=14, show_default=True, envvar="CONE_BACKUP_KEEP",
              type=click.IntRange(min=1), help="Cone backups to keep in FOLDER; older ones go.")
def make_backup(folder, keep):
    """Write a consistent backup of the database into FOLDER (default instance/backups/)."""
    folder = folder or Path(current_app.instance_path) / "backups"
    try:
        done = backup.make_backup(current_app.config["SQLALCHEMY_DATABASE_URI"], folder,
                                  current_app.config, keep=keep)
    except backup.BackupError as e:
        fail(str(e))
    m = done.manifest
    click.echo(f"Backup written: {done.path} ({_size(done.size)})")
    click.echo(f"  {m.engine}, schema {m.schema_revision or 'unknown'}, {m.rows:,} rows in "
               f"{len(m.tables)} tables: {_summary(m.tables)}")
    for path in done.removed:
        click.echo(f"  removed the older {path.name} (keeping {keep})")
    # stdout: cron with `> /dev/null` then mails only failures, which go to stderr
    click.echo("Warning: " + backup.key_advice(current_app.config, os.environ,
                                               current_app.instance_path))


@cone_cli.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def restore(file):
    """Restore a backup FILE into the empty (or not yet existing) database DATABASE_URL names."""
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        done = backup.restore(file, url, current_app.config,
                              migrations=current_app.extensions["migrate"].directory,
                              upgrade=flask_migrate.upgrade, say=click.echo)
    except backup.RestoreRefused as e:
        fail(f"{e} Nothing was restored.")
    except backup.BackupError as e:
        fail(str(e))
    m = done.manifest
    click.echo(f"Restored {file.name} (made {m.created_at}): counts match the manifest in all "
               f"{len(m.tables)} tables; search index rebuilt for {done.indexed:,} clients.")
    if done.secrets:
        click.echo(f"{done.readable} of {done.secrets} stored secrets decrypt.")
    else:
        click.echo("No stored secrets (platform connections, API key) to check.")
    if done.key_differs:
        click.echo("Error: SECRET_KEY/CONE_ENCRYPTION_KEY differs from the backup's, so platform "
                   "connections and the Companies House API key cannot be read. The data stays "
                   "restored: set the key the backup was made with and restart, or reconnect the "
                   "platforms and enter the key again on the Settings page.", err=True)
        sys.exit(1)
