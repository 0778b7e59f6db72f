"""Sage Business Cloud Accounting v3.1 adapter: customer contacts as ExternalCustomer records.

Sage pages with page/items_per_page and a $next link (null on the last page; a page past the end
repeats the last one), filters with contact_type_id=CUSTOMER and updated_or_created_since, and
reports deletions through deleted_since. A token belongs to a user who may reach several
businesses: every call names the chosen one in X-Business (the connection's tenant id).
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Iterator
from urllib.parse import parse_qsl, urlsplit

import httpx

from cone.services.models import Address
from cone.services.providers.accounting import (ContactPerson, ExternalCustomer,
                                                PlatformAdapter, best_address, clean,
                                                first_and_others, is_business_name,
                                                person_parts, register)
from cone.services.providers.base import (ProviderAuthError, ProviderBadResponse, ProviderError,
                                          ProviderNotFound)
from cone.services.providers.freeagent import iso, parse_time
from cone.services.providers.http import Api, Sleep

PAGE_SIZE = 200        # Sage's largest page
MAX_PAGES = 5000       # a guard against a $next that never ends
COUNTRIES = {"GB": "United Kingdom", "IE": "Ireland", "US": "United States", "CA": "Canada",
             "FR": "France", "DE": "Germany", "ES": "Spain"}


@dataclass(frozen=True)
class Business:
    """A business the connected Sage user can reach (the connection's tenant)."""

    id: str
    name: str


def _text(value: Any) -> str | None:
    """clean() for scalars with inner whitespace collapsed; objects and lists count as missing."""
    text = None if isinstance(value, (dict, list)) else clean(value)
    return " ".join(text.split()) if text else None


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def refusal(r: httpx.Response) -> ProviderError | None:
    """Sage's refusals in words: a 403 is a business the connected user cannot reach."""
    if r.status_code == 403:
        return ProviderAuthError("Sage refused access to this business: an admin needs to "
                                 "reconnect and choose the business again.")
    if r.status_code == 404:
        return ProviderNotFound("Sage has no such contact.")
    return None


def list_businesses(http: httpx.Client, access_token: str, *,
                    sleep: Sleep = time.sleep) -> list[Business]:
    """Every business the token's user can reach, the lead business first (for tenant choice)."""
    api = Api(http, "Sage", refusal, sleep=sleep)
    headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
    items = api.get_json("/businesses", headers=headers).get("$items")
    if not isinstance(items, list):
        raise ProviderBadResponse("Sage sent its businesses in an unexpected shape.")
    try:
        lead_id = _text(api.get_json("/businesses/lead", headers=headers).get("id"))
    except ProviderError:
        lead_id = None  # without a lead the order is Sage's own
    found = [Business(_text(b.get("id")), _text(b.get("name")) or _text(b.get("displayed_as"))
                      or _text(b.get("id")))
             for b in items if isinstance(b, dict) and _text(b.get("id"))]
    return sorted(found, key=lambda b: b.id != lead_id)


def businesses(api_url: str, access_token: str, *, timeout: float = 10) -> list[Business]:
    """list_businesses on a short-lived client: the OAuth callback's choice of tenants."""
    with httpx.Client(base_url=api_url, timeout=timeout,
                      headers={"User-Agent": "Cone client register"}) as http:
        return list_businesses(http, access_token)


@register("sage")
class Sage(PlatformAdapter):
    """Read-only Sage contacts over an injected httpx.Client (base URL .../v3.1)."""

    key, label, page_size = "sage", "Sage", PAGE_SIZE
    refusal = staticmethod(refusal)

    @property
    def headers(self) -> dict[str, str]:
        """Every call names the business: one user's token may reach several."""
        return {"Accept": "application/json",
                **({"X-Business": self.tenant_id} if self.tenant_id else {})}

    def list_customers(self, *, since: datetime | None = None,
                       include_non_customers: bool = False) -> Iterator[ExternalCustomer]:
        """Customer contacts (every contact when asked), then, with since, the deleted ones."""
        params = {"attributes": "all", "nested_attributes": "all", "exclude_system": "true"}
        if not include_non_customers:
            params["contact_type_id"] = "CUSTOMER"
        if since is not None:
            params["updated_or_created_since"] = iso(since)
        for item in self._pages(params):
            if not (isinstance(item, dict) and item.get("system") is True):  # HMRC pseudo-contacts
                yield self._customer(item, filtered=not include_non_customers)
        if since is not None:
            # Deleted contacts leave the list; only deleted_since tells a re-run they are gone.
            # A stub holds just a name, so it is reported (skipped), never imported.
            for item in self._pages({"deleted_since": iso(since)}):
                record = self._customer(item, filtered=True)
                if record.external_id:
                    when = record.raw.get("deleted_at")
                    note = f"Deleted in Sage ({str(when)[:10]})." if when else "Deleted in Sage."
                    yield replace(record, archived=True, problems=record.problems + (note,))

    def fetch_customer(self, external_id: str) -> ExternalCustomer:
        """One contact by its id ("business:id" is accepted too)."""
        ident = str(external_id).rsplit(":", 1)[-1].strip()
        if not re.fullmatch(r"[0-9A-Za-z_-]+", ident):
            raise ProviderNotFound("Sage has no contact with that id.")
        item = self.api.get_json(f"/contacts/{ident}", params={"nested_attributes": "all"},
                                 headers=self.headers)
        return self._customer(item, filtered=False)

    def _pages(self, params: dict) -> Iterator[Any]:
        """Every item, following $next until it is null."""
        params = {**params, "page": 1, "items_per_page": self.page_size}
        for _ in range(MAX_PAGES):
            body = self.api.get_json("/contacts", params=params, headers=self.headers)
            items = body.get("$items")
            if not isinstance(items, list):
                raise ProviderBadResponse("Sage sent a contact list in an unexpected shape.")
            yield from items
            following = _text(body.get("$next"))
            if not following or not items:
                return
            # Only page and size come from $next (it drops the filters); our host, our path
            nxt = {**params, **dict(parse_qsl(urlsplit(following).query))}
            if str(nxt.get("page")) == str(params["page"]):
                return  # a page past the end repeats the last page
            params = nxt
        raise ProviderBadResponse("Sage kept offering more pages than Cone can read.")

    def _customer(self, item: Any, *, filtered: bool) -> ExternalCustomer:
        """Our neutral record from one Sage contact (problems noted, never raised)."""
        return to_customer(item, tenant_id=self.tenant_id, filtered=filtered)


def to_customer(item: Any, *, tenant_id: str = "", filtered: bool = True) -> ExternalCustomer:
    """Map a Sage contact; filtered says the list was already customers only."""
    raw = item if isinstance(item, dict) else {"value": item}
    problems = []
    ident = _text(raw.get("id"))
    if not ident:
        problems.append("Sage sent a contact without an id.")
    # displayed_as is "Name (REFERENCE)": only a fallback (deleted stubs carry nothing else)
    name = _text(raw.get("name")) or _text(raw.get("contact_name")) or _text(
        re.sub(r"\s*\([^()]*\)$", "", _text(raw.get("displayed_as")) or ""))
    if not name:
        problems.append("Sage sent a contact without a name.")
    person = _dict(raw.get("main_contact_person"))
    person_name = _text(person.get("name"))
    registered, vat = _text(raw.get("registered_number")), _text(raw.get("tax_number"))
    # The main contact is someone else unless the name is theirs ("Doe, Jane" and Jane Doe)
    other_person = bool(person_name and name) and is_business_name(name, person_name)
    # Sage has no business/person flag: a company word in the name is one more hint
    business = bool(registered or vat or other_person or is_business_name(name))
    title, first, last = person_parts(name) if not business else (None, None, None)
    # Someone else's addresses stay theirs, unless the contact has none of its own
    own = _text(raw.get("email"))
    email, others = first_and_others(*((own,) if other_person and own else
                                       (own, _text(person.get("email")))))
    phone = _text(person.get("telephone")) or _text(person.get("mobile"))
    people = ()
    if other_person:
        _, p_first, p_last = person_parts(person_name)
        people = (ContactPerson(p_first, p_last, first_and_others(person.get("email"))[0],
                                _text(person.get("telephone")) or _text(person.get("mobile"))),)
    types = raw.get("contact_types")
    is_customer = (any(_dict(t).get("id") == "CUSTOMER" for t in types)
                   if isinstance(types, list) and types else filtered)
    return ExternalCustomer(
        provider="sage", external_id=ident or "", tenant_id=tenant_id, name=name or "",
        kind="business" if business else "individual", first_name=first, last_name=last,
        title=title, email=email, other_emails=others, phone=phone, address=_address(raw),
        company_number=registered, vat_number=vat, people=people, is_customer=is_customer,
        archived=raw.get("is_active") is False or bool(_text(raw.get("deleted_at"))),
        updated_at=parse_time(raw.get("updated_at")), raw=raw, problems=tuple(problems))


def _address(raw: dict) -> Address:
    """main_address, else delivery_address; a bare {id, $path} reference counts as none, and
    one holding only a country is kept when neither has more."""
    found = []
    for key in ("main_address", "delivery_address"):
        a = _dict(raw.get(key))
        country = _dict(a.get("country"))
        code = (_text(country.get("id")) or "").upper()
        label = re.sub(r"\s*\([A-Z]{2}\)$", "", _text(country.get("displayed_as")) or "")
        found.append(Address(line1=_text(a.get("address_line_1")),
                             line2=_text(a.get("address_line_2")), town=_text(a.get("city")),
                             county=_text(a.get("region")), postcode=_text(a.get("postal_code")),
                             country=COUNTRIES.get(code) or label or code or None))
    return best_address(*found)
