"""Xero Accounting API adapter: contacts, read-only, mapped to ExternalCustomer.

Facts it relies on: JSON only with Accept: application/json; the xero-tenant-id header on
every call; always page (without page= ContactPersons are left out); If-Modified-Since for
incremental runs; dates as /Date(ms+0000)/; a 429 names the limit hit in X-Rate-Limit-Problem.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Iterator

import httpx

from cone.services.models import Address
from cone.services.providers.accounting import (ContactPerson, ExternalCustomer,
                                                PlatformAdapter, best_address, clean, country,
                                                first_and_others, is_business_name,
                                                other_addresses, register, unreadable)
from cone.services.providers.base import (ProviderAuthError, ProviderBadResponse, ProviderError,
                                          ProviderNotFound)
from cone.services.providers.http import NEVER, retry_after

CONTACTS = "/api.xro/2.0/Contacts"
PAGE_SIZE = 1000  # the maximum: Xero allows 60 calls a minute, so fewer, bigger pages
DATE = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")
PHONE_ORDER = ("DEFAULT", "MOBILE", "DDI", "OFFICE")
LIMITS = ("X-MinLimit-Remaining", "X-DayLimit-Remaining")


def parse_date(value) -> datetime | None:
    """Xero's "/Date(1573755038314+0000)/" (milliseconds since the epoch, UTC) as a datetime."""
    match = DATE.fullmatch(value or "") if isinstance(value, str) else None
    if not match:
        return None
    return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=timezone.utc)


def rate_hint(resp: httpx.Response) -> float | None:
    """Seconds Xero asks us to wait after a 429, read from the limit X-Rate-Limit-Problem names."""
    problem = resp.headers.get("X-Rate-Limit-Problem", "").lower()
    if problem == "day":
        return NEVER  # the day limit resets hours later: stop the run rather than sleep
    hint = retry_after(resp)
    if hint is not None:
        return hint
    if problem == "concurrent":
        return 1
    if problem in ("minute", "appminute") or resp.headers.get("X-MinLimit-Remaining") == "0":
        return 60  # the whole minute window, as Xero did not say how much of it is left
    return None


def refusal(resp: httpx.Response) -> ProviderError:
    """Xero's refusals in words: 403 is an organisation Cone may no longer read."""
    if resp.status_code == 403:
        return ProviderAuthError("Xero refused access to this organisation: reconnect it on "
                                 "the Integrations page.")
    if resp.status_code == 404:
        return ProviderNotFound("Xero has no such contact.")
    return ProviderBadResponse(f"Xero answered {resp.status_code} to a contacts request.")


@register("xero")
class Xero(PlatformAdapter):
    """One Xero organisation's contacts; .limits holds its rate-limit counters after each call."""

    key, label, page_size = "xero", "Xero", PAGE_SIZE
    refusal, rate_hint = staticmethod(refusal), staticmethod(rate_hint)
    limits: dict[str, str] = {}  # replaced after each response, never changed in place

    def observe(self, resp: httpx.Response) -> None:
        """Keep Xero's remaining-call counters."""
        self.limits = {name: resp.headers[name] for name in LIMITS if name in resp.headers}

    def _get(self, path: str, *, params=None, since: datetime | None = None) -> dict:
        headers = {"xero-tenant-id": self.tenant_id, "Accept": "application/json"}
        if since:
            headers["If-Modified-Since"] = since.astimezone(timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%S")
        body = self.api.get_json(path, params=params, headers=headers)
        if not isinstance(body.get("Contacts", []), list):
            raise ProviderBadResponse("Xero sent an answer in an unexpected shape.")
        return body

    def list_customers(self, *, since: datetime | None = None,
                       include_non_customers: bool = False) -> Iterator[ExternalCustomer]:
        """Every contact flagged as a customer (or every contact), archived ones included."""
        params = {"pageSize": self.page_size, "includeArchived": "true"}
        if not include_non_customers:
            params["where"] = "IsCustomer==true"
        page = 1
        while True:
            body = self._get(CONTACTS, params={**params, "page": page}, since=since)
            contacts = body.get("Contacts") or []
            for raw in contacts:
                yield self.to_customer(raw)
            count = (body.get("pagination") or {}).get("pageCount")
            if not contacts or (isinstance(count, int) and page >= count):
                return
            page += 1

    def fetch_customer(self, external_id: str) -> ExternalCustomer:
        """One contact by its ContactID."""
        contacts = self._get(f"{CONTACTS}/{external_id}").get("Contacts") or []
        if not contacts:
            raise ProviderNotFound("Xero has no such contact.")
        return self.to_customer(contacts[0])

    def to_customer(self, raw) -> ExternalCustomer:
        """The neutral record for one contact; an unreadable one carries its problem instead."""
        try:
            return _map(raw, self.tenant_id)
        except (TypeError, ValueError, AttributeError, KeyError) as error:
            known = raw if isinstance(raw, dict) else {}
            return unreadable(raw, error, provider="xero", tenant_id=self.tenant_id,
                              external_id=str(known.get("ContactID") or ""),
                              name=clean(known.get("Name")) or "(unreadable contact)",
                              what="Xero sent a contact", is_customer=False)


def _map(raw: dict, tenant_id: str) -> ExternalCustomer:
    ident, name = clean(raw["ContactID"]), clean(raw.get("Name"))
    if not ident or not name:
        raise ValueError("no ContactID or Name")
    first, last = clean(raw.get("FirstName")), clean(raw.get("LastName"))
    company_number, vat = clean(raw.get("CompanyNumber")), clean(raw.get("TaxNumber"))
    # A person's contact has their names and no company word ("Doe, Jane" is Jane Doe)
    individual = (not company_number and not vat and bool(first or last)
                  and not is_business_name(name, first, last))
    own, others = first_and_others(raw.get("EmailAddress"))
    people, extra, invoiced = [], list(others), None
    for p in raw.get("ContactPersons") or []:
        if not isinstance(p, dict):
            continue
        mail, more = first_and_others(p.get("EmailAddress"))
        extra += more
        if invoiced is None and p.get("IncludeInEmails"):
            invoiced = mail
        person = ContactPerson(clean(p.get("FirstName")), clean(p.get("LastName")), mail, None)
        if person.first_name or person.last_name:
            people.append(person)
        elif mail:
            extra.append(mail)  # a nameless person's address is still the contact's
    email = own or invoiced
    phone = _phone(raw.get("Phones") or [])
    if not individual and (first or last):  # the contact's own name is its main person
        people.insert(0, ContactPerson(first, last, own, phone))
    status = (raw.get("ContactStatus") or "ACTIVE").upper()
    return ExternalCustomer(
        provider="xero", external_id=ident, tenant_id=tenant_id, name=name,
        kind="individual" if individual else "business", first_name=first, last_name=last,
        email=email, phone=phone, address=_address(raw.get("Addresses") or []),
        company_number=company_number, vat_number=vat, people=tuple(people),
        is_customer=bool(raw.get("IsCustomer")), archived=status != "ACTIVE",
        updated_at=parse_date(raw.get("UpdatedDateUTC")), raw=raw,
        other_emails=other_addresses(email, extra))


def _phone(phones: list) -> str | None:
    by_type = {p.get("PhoneType"): p for p in phones if isinstance(p, dict)}
    for kind in PHONE_ORDER:
        p = by_type.get(kind)
        if p and clean(p.get("PhoneNumber")):
            return " ".join(x for x in (clean(p.get("PhoneCountryCode")),
                                        clean(p.get("PhoneAreaCode")),
                                        clean(p.get("PhoneNumber"))) if x)
    return None


def _address(addresses: list) -> Address:
    """The POBOX (postal, printed on invoices) address, else STREET; lines 3-4 folded into 2.
    An address type sent with no lines (Xero sends both, often one empty) gives way to the
    other; one holding only a country is kept when nothing fuller exists."""
    by_type = {a.get("AddressType"): a for a in addresses if isinstance(a, dict)}
    found = []
    for kind in ("POBOX", "STREET"):
        a = by_type.get(kind) or {}
        lines = [clean(a.get(f"AddressLine{i}")) for i in range(1, 5)]
        lines = [x for x in lines if x]
        found.append(Address(line1=lines[0] if lines else None,
                             line2=", ".join(lines[1:]) or None, town=clean(a.get("City")),
                             county=clean(a.get("Region")), postcode=clean(a.get("PostalCode")),
                             country=country(a.get("Country"))))
    return best_address(*found)
