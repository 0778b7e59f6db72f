"""What the Companies House pages share: the provider, failure statuses, template filters."""
import calendar
from datetime import date

from flask import Flask, current_app

from cone.htmx import is_htmx
from cone import wiring
from cone.services.providers.companies_house import (
    InvalidCompanyNumber, describe_company_status, describe_company_type,
    describe_nature_of_control, describe_officer_role, sic_description)
from cone.services.providers.base import ProviderError, ProviderNotFound, RateLimited


def ch_provider():
    """The Companies House adapter; raises ProviderAuthError when no key is set."""
    return wiring.companies_house(current_app)


def failure_status(error: ProviderError) -> int:
    """The status for a page that shows a provider failure.

    htmx swaps only 2xx, 409 and 422 (base.html), so a region that explains the failure is
    sent as 200; a plain request gets the honest status.
    """
    if is_htmx():
        return 200
    if isinstance(error, (ProviderNotFound, InvalidCompanyNumber)):
        return 404
    return 503 if isinstance(error, RateLimited) else 502


def failure_headers(error: ProviderError) -> dict:
    """Retry-After for a rate-limited plain request, so scripts know when to come back."""
    if isinstance(error, RateLimited) and error.retry_after and not is_htmx():
        return {"Retry-After": str(error.retry_after)}
    return {}


def birth(month: int | None, year: int | None) -> str:
    """Month and year of birth ("March 1970"): Companies House never publishes the day."""
    if year and month and 1 <= month <= 12:
        return f"{calendar.month_name[month]} {year}"
    return str(year) if year else ""


PSC_KINDS = {
    "individual-person-with-significant-control": "Individual",
    "corporate-entity-person-with-significant-control": "Corporate entity",
    "legal-person-person-with-significant-control": "Legal person",
    "super-secure-person-with-significant-control": "Protected (details withheld)",
    "individual-beneficial-owner": "Individual beneficial owner",
    "corporate-entity-beneficial-owner": "Corporate beneficial owner",
    "legal-person-beneficial-owner": "Legal person beneficial owner",
    "super-secure-beneficial-owner": "Protected beneficial owner",
}


def psc_kind(code: str | None) -> str:
    """A PSC's kind in words; unknown kinds are made readable rather than hidden."""
    return PSC_KINDS.get(code or "") or (code or "").replace("-", " ").capitalize()


def is_person(row) -> bool:
    """Whether an officer or PSC row is a natural person, who can become a contact."""
    kind = getattr(row, "kind", None)
    if kind is not None:
        return kind.startswith("individual")
    return not (row.role or "").startswith("corporate")


def ch_date(value) -> str:
    """A date (or Companies House's ISO text) as "3 March 2025"; anything else as given."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    return f"{value.day} {value:%B %Y}" if value else ""


def init_filters(app: Flask) -> None:
    """Filters the Companies House templates use to put codes into words."""
    app.add_template_filter(describe_company_status, "ch_status")
    app.add_template_filter(describe_company_type, "ch_type")
    app.add_template_filter(describe_officer_role, "ch_role")
    app.add_template_filter(describe_nature_of_control, "ch_control")
    app.add_template_filter(sic_description, "sic_description")
    app.add_template_filter(psc_kind, "psc_kind")
    app.add_template_filter(ch_date, "ch_date")
    app.add_template_global(birth, "birth_month_year")
    app.add_template_test(is_person, "person")
