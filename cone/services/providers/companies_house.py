"""Companies House Public Data API adapter: search, profile, officers and PSCs as our dataclasses.

The wire format stays in this module. Parsing is lenient on purpose: real responses omit optional
members, send numbers as zero-padded strings and add undocumented fields, and new enumeration
values appear over time, so nothing here rejects what it does not know.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Iterator

import httpx

from cone.services import validation
from cone.services.models import Address
from cone.services.providers.codes import (  # noqa: F401  (re-exported)
    describe_company_status, describe_company_type, describe_nature_of_control,
    describe_officer_role, sic_description)
from cone.services.providers.base import (ProviderAuthError, ProviderBadResponse, ProviderError,
                                          ProviderNotFound, ProviderUnavailable, RateLimited)

PAGE_SIZE = 100     # the largest page the list endpoints serve
MAX_PAGES = 50      # a guard against a server that never says the list has ended
RETRYABLE = {500, 502, 503, 504}


class InvalidCompanyNumber(ProviderError, ValueError):
    """The text cannot be a company number, so no request is made."""


@dataclass(frozen=True)
class CompanySearchItem:
    company_number: str
    title: str
    company_status: str | None
    company_type: str | None
    date_of_creation: date | None
    postcode: str | None
    address_snippet: str | None


@dataclass(frozen=True)
class OfficerRecord:
    name: str
    role: str | None
    appointed_on: date | None
    resigned_on: date | None
    nationality: str | None
    occupation: str | None
    country_of_residence: str | None
    birth_month: int | None
    birth_year: int | None


@dataclass(frozen=True)
class PscRecord:
    kind: str
    name: str
    natures_of_control: tuple
    notified_on: date | None
    ceased_on: date | None
    nationality: str | None
    country_of_residence: str | None
    birth_month: int | None
    birth_year: int | None
    registration_number: str | None


@dataclass(frozen=True)
class CompanyRecord:
    company_number: str
    company_name: str
    company_status: str | None
    company_type: str | None
    date_of_creation: date | None
    date_of_cessation: date | None
    registered_office: Address
    sic_codes: tuple
    accounting_reference_day: int | None
    accounting_reference_month: int | None
    accounts_next_due: date | None
    accounts_next_made_up_to: date | None
    accounts_last_made_up_to: date | None
    accounts_overdue: bool
    confirmation_statement_next_due: date | None
    confirmation_statement_next_made_up_to: date | None
    confirmation_statement_overdue: bool
    previous_names: tuple
    officers: tuple
    pscs: tuple
    etag: str | None


def normalise_company_number(v: str) -> str:
    """Upper-case and zero-pad to 8 characters ("123" → "00000123", "sc1" → "SC000001")."""
    try:
        return validation.company_number(str(v or ""))
    except validation.Invalid as e:
        raise InvalidCompanyNumber(str(e)) from None


class CompaniesHouse:
    """The Companies House REST API over an injected httpx.Client (base URL and auth set on it)."""

    key = "companies_house"

    def __init__(self, http: httpx.Client, *, pacer=None, retries: int = 3, backoff: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep):
        self.http, self.pacer = http, pacer
        self.retries, self.backoff, self.sleep = retries, backoff, sleep

    def search(self, q: str, limit: int = 20) -> list[CompanySearchItem]:
        """Companies whose name (or number) matches q, best first."""
        q = " ".join((q or "").split())
        if not q:
            return []
        body = self._get("/search/companies",
                         {"q": q, "items_per_page": max(1, min(int(limit), 100))})
        return [item for item in map(_search_item, _items(body)) if item]

    def fetch_company(self, number: str) -> CompanyRecord:
        """The profile with every officer and PSC page."""
        number = normalise_company_number(number)
        profile = self._get(f"/company/{number}")
        officers = [_officer(i) for i in self._pages(f"/company/{number}/officers")]
        pscs = [_psc(i) for i in self._pages(
            f"/company/{number}/persons-with-significant-control")]
        return _company(profile, number, tuple(o for o in officers if o),
                        tuple(p for p in pscs if p))

    def fetch_client(self, ref: str) -> CompanyRecord:
        """Provider protocol: a company by number."""
        return self.fetch_company(ref)

    def list_clients(self, *, since: datetime | None = None) -> Iterator[CompanyRecord]:
        """Provider protocol: Companies House has no 'our clients' list, so nothing is listed."""
        return iter(())

    def _pages(self, path: str) -> Iterator[dict]:
        """Every item of a paged list; a 404 list (nothing registered) is empty."""
        start = 0
        for _ in range(MAX_PAGES):
            try:
                body = self._get(path, {"items_per_page": PAGE_SIZE, "start_index": start})
            except ProviderNotFound:
                return
            items = _items(body)
            yield from items
            start += len(items)
            total = _int(body.get("total_results"))
            if not items or total is None or start >= total:
                return

    def _get(self, path: str, params: dict | None = None) -> dict:
        """One GET with pacing and bounded retries; our errors for every failure."""
        for attempt in range(self.retries + 1):
            if self.pacer is not None:
                self.pacer.acquire()
            try:
                response = self.http.get(path, params=params)
            except httpx.TimeoutException:
                error: ProviderError = ProviderUnavailable(
                    "Companies House did not answer in time: try again shortly.")
            except httpx.HTTPError:
                error = ProviderUnavailable(
                    "Cone could not connect to Companies House: try again shortly.")
            else:
                error = self._error(response)
                if error is None:
                    return _json(response)
            retry = isinstance(error, ProviderUnavailable) or (
                isinstance(error, RateLimited) and self.pacer is not None)
            if not retry or attempt == self.retries:
                raise error
            if isinstance(error, RateLimited):
                self.pacer.hold(error.retry_after or 60)  # the pacer sleeps before the next call
            else:
                self.sleep(self.backoff * 2 ** attempt)
        raise AssertionError("unreachable")

    def _error(self, r: httpx.Response) -> ProviderError | None:
        """Our error for a non-2xx response, or None when it succeeded."""
        if self.pacer is not None:
            self.pacer.observe(_int(r.headers.get("X-Ratelimit-Remain")),
                               _int(r.headers.get("X-Ratelimit-Reset")))
        if r.is_success:
            return None
        if r.status_code in (401, 403):
            return ProviderAuthError("Companies House refused the API key: "
                                     "an admin can check it on the Settings page.")
        if r.status_code == 404:
            # Two body shapes exist (errors[] and timestamp/message): the status is what counts
            return ProviderNotFound("Companies House has no company with that number.")
        if r.status_code == 429:
            return RateLimited(None, _retry_after(r.headers))
        if r.status_code in RETRYABLE:
            return ProviderUnavailable("Companies House is having problems "
                                       f"(error {r.status_code}): try again shortly.")
        return ProviderError(f"Companies House refused the request (error {r.status_code}).")


def _retry_after(headers) -> int | None:
    """Seconds to wait: Retry-After if sent, else until X-Ratelimit-Reset."""
    after = _int(headers.get("Retry-After"))
    if after is not None:
        return max(after, 1)
    reset = _int(headers.get("X-Ratelimit-Reset"))
    if reset is not None:
        return max(int(reset - time.time()) + 1, 1)
    return None


def _json(r: httpx.Response) -> dict:
    try:
        body = r.json()
    except ValueError:
        raise ProviderBadResponse("Companies House sent an answer Cone could not read: "
                                  "try again shortly.") from None
    if not isinstance(body, dict):
        raise ProviderBadResponse("Companies House sent an answer in an unexpected shape.")
    return body


def _items(body: dict) -> list[dict]:
    items = body.get("items")
    if items is None:
        return []
    if not isinstance(items, list):
        raise ProviderBadResponse("Companies House sent a list in an unexpected shape.")
    return [i for i in items if isinstance(i, dict)]


def _str(v: Any) -> str | None:
    if v is None or isinstance(v, (dict, list)):
        return None
    s = " ".join(str(v).split())
    return s or None


def _int(v: Any) -> int | None:
    try:
        return int(str(v).strip()) if v is not None and str(v).strip() else None
    except ValueError:
        return None


def _date(v: Any) -> date | None:
    try:
        return date.fromisoformat(str(v)[:10]) if v else None
    except ValueError:
        return None


def _bool(v: Any) -> bool:
    return v is True or str(v).lower() == "true"


def _dict(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


def _address(a: Any) -> Address:
    """Our Address from a Companies House address; premises joins the first line."""
    a = _dict(a)
    premises, line1 = _str(a.get("premises")), _str(a.get("address_line_1"))
    if premises and line1:
        # "12" + "High Street" reads "12 High Street"; "Unit 4" + "Mill Lane" keeps a comma
        sep = " " if re.fullmatch(r"\d+[A-Za-z]?(-\d+[A-Za-z]?)?", premises) else ", "
        line1 = premises + sep + line1
    line2 = _str(a.get("address_line_2"))
    po_box = _str(a.get("po_box"))
    if po_box:
        po_box = po_box if po_box.upper().startswith("PO") else f"PO Box {po_box}"
        line2 = f"{line2}, {po_box}" if line2 else po_box
    return Address(line1=line1 or premises, line2=line2, town=_str(a.get("locality")),
                   county=_str(a.get("region")), postcode=_str(a.get("postal_code")),
                   country=_str(a.get("country")))


def _birth(item: dict) -> tuple[int | None, int | None]:
    dob = _dict(item.get("date_of_birth"))
    return _int(dob.get("month")), _int(dob.get("year"))


def _search_item(i: dict) -> CompanySearchItem | None:
    number = _str(i.get("company_number"))
    if not number:
        return None
    return CompanySearchItem(
        company_number=number, title=_str(i.get("title")) or number,
        company_status=_str(i.get("company_status")), company_type=_str(i.get("company_type")),
        date_of_creation=_date(i.get("date_of_creation")),
        postcode=_str(_dict(i.get("address")).get("postal_code")),
        address_snippet=_str(i.get("address_snippet")))


def _officer(i: dict) -> OfficerRecord | None:
    name = _str(i.get("name"))
    if not name:
        return None
    month, year = _birth(i)
    return OfficerRecord(
        name=name, role=_str(i.get("officer_role")), appointed_on=_date(i.get("appointed_on")),
        resigned_on=_date(i.get("resigned_on")), nationality=_str(i.get("nationality")),
        occupation=_str(i.get("occupation")),
        country_of_residence=_str(i.get("country_of_residence")),
        birth_month=month, birth_year=year)


def _psc(i: dict) -> PscRecord | None:
    kind = _str(i.get("kind")) or "unknown"
    if "statement" in kind:  # statements are about the register, not a person
        return None
    name = _str(i.get("name")) or _str(i.get("description"))
    if not name:
        return None
    month, year = _birth(i)
    natures = i.get("natures_of_control")
    ident = _dict(i.get("identification"))
    ceased = _date(i.get("ceased_on"))
    return PscRecord(
        kind=kind, name=name,
        natures_of_control=tuple(str(n) for n in natures) if isinstance(natures, list) else (),
        notified_on=_date(i.get("notified_on")), ceased_on=ceased,
        nationality=_str(i.get("nationality")),
        country_of_residence=_str(i.get("country_of_residence")),
        birth_month=month, birth_year=year,
        registration_number=_str(ident.get("registration_number")))


def _previous_names(v: Any) -> tuple:
    out = []
    for p in v if isinstance(v, list) else []:
        p = _dict(p)
        if _str(p.get("name")):
            out.append({"name": _str(p.get("name")),
                        "effective_from": _str(p.get("effective_from")),
                        "ceased_on": _str(p.get("ceased_on"))})
    return tuple(out)


def _company(p: dict, number: str, officers: tuple, pscs: tuple) -> CompanyRecord:
    """A CompanyRecord from a profile body; the deprecated mirrors fill gaps in the new members."""
    accounts, cs = _dict(p.get("accounts")), _dict(p.get("confirmation_statement"))
    ard = _dict(accounts.get("accounting_reference_date"))
    nxt, last = _dict(accounts.get("next_accounts")), _dict(accounts.get("last_accounts"))
    sic = p.get("sic_codes")
    return CompanyRecord(
        company_number=_str(p.get("company_number")) or number,
        company_name=_str(p.get("company_name")) or number,
        company_status=_str(p.get("company_status")), company_type=_str(p.get("type")),
        date_of_creation=_date(p.get("date_of_creation")),
        date_of_cessation=_date(p.get("date_of_cessation")),
        registered_office=_address(p.get("registered_office_address")),
        sic_codes=tuple(str(c).strip() for c in sic if str(c).strip())
        if isinstance(sic, list) else (),
        accounting_reference_day=_int(ard.get("day")),
        accounting_reference_month=_int(ard.get("month")),
        accounts_next_due=_date(nxt.get("due_on") or accounts.get("next_due")),
        accounts_next_made_up_to=_date(nxt.get("period_end_on")
                                       or accounts.get("next_made_up_to")),
        accounts_last_made_up_to=_date(last.get("made_up_to")),
        accounts_overdue=_bool(nxt.get("overdue", accounts.get("overdue"))),
        confirmation_statement_next_due=_date(cs.get("next_due")),
        confirmation_statement_next_made_up_to=_date(cs.get("next_made_up_to")),
        confirmation_statement_overdue=_bool(cs.get("overdue")),
        previous_names=_previous_names(p.get("previous_company_names")),
        officers=officers, pscs=pscs, etag=_str(p.get("etag")))
