"""Companies House in bulk: clients from a list of numbers, and resyncing every mapped client."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from cone.services.client_fields import ClientInvalid
from cone.services.models import Client, ExternalLink, ImportRun, User, db, utcnow
from cone.services.providers.base import ProviderAuthError, ProviderError, ProviderNotFound
from cone.services.providers.companies_house import InvalidCompanyNumber, normalise_company_number

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NumberResult:
    number: str
    client_id: int | None
    status: str  # "created" | "exists" | "not_found" | "invalid" | "failed"
    message: str


def _one(number: str, provider, user: User | None) -> NumberResult:
    """Create the client for one number, or say why not."""
    from cone.services import companies_house as ch
    try:
        number = normalise_company_number(number)
    except InvalidCompanyNumber as e:
        return NumberResult(number, None, "invalid", e.message)
    existing = ch.find_by_number(number)
    if existing is not None:
        return NumberResult(number, existing.id, "exists",
                            f"Already a client: {existing.display_name}")
    try:
        client = ch.create_from_companies_house(number, provider, {}, None, user=user)
    except ch.DuplicateCompany as e:
        return NumberResult(number, e.client.id, "exists",
                            f"Already a client: {e.client.display_name}")
    except ProviderNotFound:
        return NumberResult(number, None, "not_found", "Companies House has no such company.")
    except ProviderAuthError:
        raise  # every other number would fail the same way
    except ProviderError as e:
        return NumberResult(number, None, "failed", e.message)
    except ClientInvalid as e:
        return NumberResult(number, None, "failed", str(e))
    return NumberResult(number, client.id, "created", f"Created {client.display_name}")


def import_numbers(numbers: list[str], provider, *, user: User | None) -> list[NumberResult]:
    """Create a mapped client per company number; one result per distinct number, in order."""
    results, seen = [], set()
    for raw in numbers:
        raw = (raw or "").strip()
        if not raw:
            continue
        try:
            key = normalise_company_number(raw)
        except InvalidCompanyNumber:
            key = raw.upper()
        if key in seen:  # "123" and "00000123" are the same company
            continue
        seen.add(key)
        results.append(_one(raw, provider, user))
    return results


def mapped_client_ids() -> list[int]:
    """Clients (not archived) with an active Companies House link, oldest first."""
    stmt = (select(Client.id).join(ExternalLink, ExternalLink.client_id == Client.id)
            .where(ExternalLink.provider == "companies_house", ExternalLink.active.is_(True),
                   Client.archived_at.is_(None)).order_by(Client.id))
    return list(db.session.scalars(stmt))


def start_resync_all(*, user: User | None) -> ImportRun:
    """Queue a resync of every mapped client; progress is kept on the returned ImportRun."""
    from cone.services import jobs
    run = ImportRun(provider="companies_house", status="queued", total=len(mapped_client_ids()),
                    errors=[], started_by_id=user.id if user else None)
    db.session.add(run)
    db.session.commit()
    jobs.resync_all_task(run.id)
    db.session.refresh(run)
    return run


def _finish(run: ImportRun, status: str) -> None:
    run.status, run.finished_at = status, utcnow()
    db.session.commit()


def run_resync_all(run_id: int, app, provider=None) -> ImportRun:
    """Do the resync for an ImportRun: counts changed (updated), unchanged (skipped), failed."""
    from cone.services import companies_house as ch
    from cone.services import providers
    run = db.session.get(ImportRun, run_id)
    user = db.session.get(User, run.started_by_id) if run.started_by_id else None
    ids = mapped_client_ids()
    run.status, run.started_at, run.total, run.errors = "running", utcnow(), len(ids), []
    db.session.commit()
    errors: list[dict] = []
    try:
        provider = provider or providers.companies_house(app, paced=True)
    except ProviderError as e:
        run.errors = [{"client_id": None, "name": "", "reason": e.message}]
        run.failed = run.total
        _finish(run, "failed")
        return run
    for client_id in ids:
        client = db.session.get(Client, client_id)
        try:
            result = ch.resync(client, provider, user=user, record_unchanged=False)
        except ProviderAuthError as e:
            errors.append({"client_id": client_id, "name": client.display_name,
                           "reason": e.message})
            run.failed, run.errors = run.failed + (run.total - run.processed), list(errors)
            _finish(run, "failed")  # a refused key fails every other client the same way
            return run
        except ProviderError as e:
            run.failed += 1
            errors.append({"client_id": client_id, "name": client.display_name,
                           "reason": e.message})
        except Exception:
            db.session.rollback()
            log.exception("Resync of client %s failed", client_id)
            run.failed += 1
            errors.append({"client_id": client_id, "name": client.display_name,
                           "reason": "An unexpected error occurred: see the server log."})
        else:
            if result.changed:
                run.updated += 1
            else:
                run.skipped += 1
        run.processed += 1
        run.errors = list(errors)  # a new list, so the JSON column is written
        db.session.commit()
    _finish(run, "done")
    return run
