"""Resync every mapped client as one run, paced within Companies House's rate limit."""
from __future__ import annotations

import logging
from typing import Callable

from sqlalchemy import select

from cone.services.companies_house import sync as ch
from cone.services.models import Client, ExternalLink, ImportRun, User, db, utcnow
from cone.services.providers.base import ProviderAuthError, ProviderError
from cone.services.providers.companies_house import CompaniesHouse
from cone.services.tx import transaction

log = logging.getLogger(__name__)


def mapped_client_ids() -> list[int]:
    """Clients (not archived) with an active Companies House link, oldest first."""
    stmt = (select(Client.id).join(ExternalLink, ExternalLink.client_id == Client.id)
            .where(ExternalLink.provider == "companies_house", ExternalLink.active.is_(True),
                   Client.archived_at.is_(None)).order_by(Client.id))
    return list(db.session.scalars(stmt))


def start_resync_all(*, user: User | None) -> ImportRun:
    """A queued run to resync every mapped client, keeping progress; the caller enqueues it."""
    run = ImportRun(provider="companies_house", status="queued", total=len(mapped_client_ids()),
                    errors=[], started_by_id=user.id if user else None)
    with transaction():
        db.session.add(run)
    return run


def _finish(run: ImportRun, status: str) -> ImportRun:
    """Close the run with its final status and time."""
    with transaction():
        run.status, run.finished_at = status, utcnow()
    return run


def _failure(client: Client, reason: str) -> dict:
    """One client's entry in the run's list of failures."""
    return {"client_id": client.id, "name": client.display_name, "reason": reason}


def run_resync_all(run_id: int, make_provider: Callable[[], CompaniesHouse]) -> ImportRun:
    """Do the resync for an ImportRun: counts changed (updated), unchanged (skipped), failed."""
    run = db.session.get(ImportRun, run_id)
    user = db.session.get(User, run.started_by_id) if run.started_by_id else None
    ids = mapped_client_ids()
    with transaction():
        run.status, run.started_at, run.total, run.errors = "running", utcnow(), len(ids), []
    errors: list[dict] = []
    try:
        provider = make_provider()
    except ProviderError as e:
        run.errors = [{"client_id": None, "name": "", "reason": e.message}]
        run.failed = run.total
        return _finish(run, "failed")
    for client_id in ids:
        client = db.session.get(Client, client_id)
        try:
            result = ch.resync(client, provider, user=user, record_unchanged=False)
        except ProviderAuthError as e:
            errors.append(_failure(client, e.message))
            run.failed, run.errors = run.failed + (run.total - run.processed), list(errors)
            return _finish(run, "failed")  # a refused key fails every other client the same way
        except ProviderError as e:
            run.failed += 1
            errors.append(_failure(client, e.message))
        except Exception:
            db.session.rollback()  # whatever failed may have left the session mid-transaction
            log.exception("Resync of client %s failed", client_id)
            run.failed += 1
            errors.append(_failure(client, "An unexpected error occurred: see the server log."))
        else:
            if result.changed:
                run.updated += 1
            else:
                run.skipped += 1
        with transaction():
            run.processed += 1
            run.errors = list(errors)  # a new list, so the JSON column is written
    return _finish(run, "done")
