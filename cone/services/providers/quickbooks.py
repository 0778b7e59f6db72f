"""QuickBooks Online adapter: customers through the query language, mapped to ExternalCustomer.

Facts it relies on: the realm (company) id is in every path; `select * from Customer` returns
only active customers unless asked for `Active IN (true, false)`; STARTPOSITION is 1-based and a
page shorter than MAXRESULTS is the last; inactive names get " (deleted)"; tax ids are masked
on read; a 429 carries no Retry-After, so the policy's default backoff applies (http.py).
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Iterator

import httpx

from cone.services.models import Address
from cone.services.providers.accounting import (ContactPerson, ExternalCustomer,
                                                PlatformAdapter, best_address, clean, country,
                                                first_and_others, is_business_name, register,
                                                unreadable)
from cone.services.providers.base import (ProviderAuthError, ProviderBadResponse, ProviderError,
                                          ProviderNotFound)

MINOR_VERSION = "75"  # the lowest Intuit still supports
PAGE_SIZE = 1000
# Inactive names carry " (deleted)", numbered when the name was taken again
DELETED = re.compile(r"\(deleted(?:[ -]?\d+)?\)$", re.IGNORECASE)


def parse_time(value) -> datetime | None:
    """MetaData.LastUpdatedTime (ISO 8601 with an offset) in UTC."""
    try:
        return datetime.fromisoformat(value).astimezone(timezone.utc) if value else None
    except (TypeError, ValueError):
        return None


def fault_message(body) -> str | None:
    """The first message of a Fault (or lower-case fault) envelope."""
    if not isinstance(body, dict):
        return None
    fault = body.get("Fault") or body.get("fault") or {}
    errors = fault.get("Error") or fault.get("error") or [{}]
    first = errors[0] if isinstance(errors, list) and errors else {}
    return first.get("Detail") or first.get("detail") or first.get("Message") or first.get(
        "message")


def refusal(resp: httpx.Response) -> ProviderError:
    """QuickBooks' refusals in words, from its Fault envelope when it sent one."""
    try:
        fault = fault_message(resp.json())
    except ValueError:
        fault = None
    if resp.status_code == 403:
        return ProviderAuthError("QuickBooks refused access to this company: reconnect it on "
                                 "the Integrations page.")
    # An unknown Id in a path is a 400 whose fault says "not found"
    if resp.status_code == 404 or (resp.status_code == 400 and "not found" in (
            fault or "").lower()):
        return ProviderNotFound("QuickBooks has no such customer.")
    return ProviderBadResponse(f"QuickBooks refused the request: {fault or resp.status_code}.")


@register("quickbooks")
class QuickBooks(PlatformAdapter):
    """One QuickBooks company's customers (the tenant id is the realm id)."""

    key, label, page_size = "quickbooks", "QuickBooks", PAGE_SIZE
    refusal = staticmethod(refusal)

    def _get(self, path: str, params: dict) -> dict:
        body = self.api.get_json(f"/v3/company/{self.tenant_id}{path}",
                                 params={**params, "minorversion": MINOR_VERSION},
                                 headers={"Accept": "application/json"})
        if "Fault" in body:  # a query error can come back with 200
            raise ProviderBadResponse(f"QuickBooks refused the request: {fault_message(body)}.")
        return body

    def query(self, *, since: datetime | None = None) -> str:
        """The query for every customer, inactive ones too (changed since a time, if given)."""
        where = ["Active IN (true, false)"]
        if since:
            stamp = since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")
            where.append(f"MetaData.LastUpdatedTime > '{stamp}'")
        return "select * from Customer where " + " and ".join(where) + " orderby Id"

    def list_customers(self, *, since: datetime | None = None,
                       include_non_customers: bool = False) -> Iterator[ExternalCustomer]:
        """Every customer; sub-customers (jobs) only when include_non_customers."""
        base, start = self.query(since=since), 1
        while True:
            body = self._get("/query", {
                "query": f"{base} STARTPOSITION {start} MAXRESULTS {self.page_size}"})
            rows = (body.get("QueryResponse") or {}).get("Customer") or []
            for raw in rows:
                customer = self.to_customer(raw)
                if customer.is_customer or include_non_customers:
                    yield customer
            if len(rows) < self.page_size:
                return
            start += len(rows)

    def fetch_customer(self, external_id: str) -> ExternalCustomer:
        """One customer by "realm:Id" (or the bare Id)."""
        ident = external_id.split(":", 1)[-1]
        if not ident.isdigit():
            raise ProviderNotFound("QuickBooks has no such customer.")
        body = self._get(f"/customer/{ident}", {})
        return self.to_customer(body.get("Customer") or {})

    def to_customer(self, raw) -> ExternalCustomer:
        """The neutral record for one customer; an unreadable one carries its problem instead."""
        try:
            return _map(raw, self.tenant_id)
        except (TypeError, ValueError, AttributeError, KeyError) as error:
            known = raw if isinstance(raw, dict) else {}
            ident = known.get("Id")
            return unreadable(raw, error, provider="quickbooks", tenant_id=self.tenant_id,
                              external_id=f"{self.tenant_id}:{ident}" if ident else "",
                              name=clean(known.get("DisplayName")) or "(unreadable customer)",
                              what="QuickBooks sent a customer", is_customer=True)


def _map(raw: dict, realm: str) -> ExternalCustomer:
    ident = clean(raw["Id"])
    title, given, middle = (clean(raw.get(k)) for k in ("Title", "GivenName", "MiddleName"))
    family, suffix = clean(raw.get("FamilyName")), clean(raw.get("Suffix"))
    company = clean(raw.get("CompanyName"))
    display = DELETED.sub("", clean(raw.get("DisplayName")) or "").rstrip()
    person = " ".join(p for p in (title, given, middle, family, suffix) if p)
    name = display or company or person
    if not ident or not name:
        raise ValueError("no Id or name")
    email, others = first_and_others((raw.get("PrimaryEmailAddr") or {}).get("Address"))
    phone = next((clean((raw.get(k) or {}).get("FreeFormNumber"))
                  for k in ("PrimaryPhone", "Mobile", "AlternatePhone")
                  if clean((raw.get(k) or {}).get("FreeFormNumber"))), None)
    # Without a company name, a display name such as "Doe Plumbing LLC" still names a business
    business = bool(company) or not (given or middle or family) or is_business_name(
        name, title, given, middle, family, suffix)
    people = (ContactPerson(given, family, email, phone),) if business and (
        given or family) else ()
    tax = clean(raw.get("PrimaryTaxIdentifier"))
    parent = raw.get("ParentRef") if isinstance(raw.get("ParentRef"), dict) else {}
    parent_id = clean(parent.get("value"))
    qualified = clean(raw.get("FullyQualifiedName")) or ""
    return ExternalCustomer(
        provider="quickbooks", external_id=f"{realm}:{ident}", tenant_id=realm, name=name,
        kind="business" if business else "individual", first_name=given, last_name=family,
        title=title, middle_name=middle, suffix=suffix, email=email, other_emails=others,
        phone=phone, address=best_address(_address(raw.get("BillAddr")),
                                          _address(raw.get("ShipAddr"))),
        company_number=None,
        vat_number=tax if tax and "X" not in tax.upper() else None,  # masked on read
        people=people, is_customer=not raw.get("Job") and not parent_id,
        archived=raw.get("Active") is False,
        updated_at=parse_time((raw.get("MetaData") or {}).get("LastUpdatedTime")), raw=raw,
        parent_external_id=f"{realm}:{parent_id}" if parent_id else None,
        # A job's full name is "Parent:Job" when the reference carries no name
        parent_name=clean(parent.get("name")) or (
            clean(qualified.rpartition(":")[0]) if parent_id else None))


def _address(a) -> Address:
    """Line1..Line5, City, CountrySubDivisionCode (a US state, say), PostalCode and Country as
    sent; Lat and Long ("INVALID" when QuickBooks could not place it) are not address parts."""
    if not isinstance(a, dict):
        return Address()
    lines = [x for x in (clean(a.get(f"Line{i}")) for i in range(1, 6)) if x]
    return Address(line1=lines[0] if lines else None, line2=", ".join(lines[1:]) or None,
                   town=clean(a.get("City")), county=clean(a.get("CountrySubDivisionCode")),
                   postcode=clean(a.get("PostalCode")), country=country(a.get("Country")))
