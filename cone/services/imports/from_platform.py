"""Importing from a connected platform without a person at the screen: the command line and cron.

The run uses the default decisions (create new, update linked, link exact matches) and leaves
fuzzy matches for a person to decide in the preview page.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cone.services import connections
from cone.services.imports.preview import PreviewRow, build_preview, create_preview_run
from cone.services.imports.run import start_import
from cone.services.models import Connection, ImportRun, User, db

SINCE_MARGIN = timedelta(hours=1)


def last_clean_run(connection: Connection) -> ImportRun | None:
    """The latest finished run of the connection with no failures, if any."""
    return db.session.scalars(
        select(ImportRun).where(ImportRun.connection_id == connection.id,
                                ImportRun.status == "done", ImportRun.failed == 0)
        .order_by(ImportRun.id.desc()).limit(1)).first()


def queue_import(connection: Connection, config, *, dry_run: bool = False,
                 include_inactive: bool = False, full: bool = False,
                 user: User | None = None) -> tuple[list[PreviewRow], ImportRun | None]:
    """Fetch and preview with the default decisions; (rows, the run queued unless dry_run).

    The caller runs (or enqueues) the queued run.

    Unless full, only customers changed since the last clean run are fetched (the platforms'
    modified-since support); a run with failures makes the next one fetch everything again.
    """
    previous = None if full else last_clean_run(connection)
    # From before that run's fetch, with a margin: refetching an unchanged record writes nothing
    since = previous.created_at - SINCE_MARGIN if previous else None
    with connections.open_provider(connection, config) as provider:
        customers = list(provider.list_customers(since=since,
                                                 include_non_customers=include_inactive))
    rows = build_preview(customers, include_inactive=include_inactive)
    if dry_run:
        return rows, None
    run = create_preview_run(connection.provider, rows, user=user, connection_id=connection.id)
    return rows, start_import(run, user=user)
