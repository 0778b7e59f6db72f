"""Companies House in bulk: a mapped client for each number in a list."""
from __future__ import annotations

from dataclasses import dataclass

from cone.services.clients.fields import ClientInvalid
from cone.services.companies_house import sync as ch
from cone.services.models import User
from cone.services.providers.base import ProviderAuthError, ProviderError, ProviderNotFound
from cone.services.providers.companies_house import InvalidCompanyNumber, normalise_company_number


@dataclass(frozen=True)
class NumberResult:
    number: str
    client_id: int | None
    status: str  # "created" | "exists" | "not_found" | "invalid" | "failed"
    message: str


def _one(number: str, provider, user: User | None) -> NumberResult:
    """Create the client for one number, or say why not."""
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
