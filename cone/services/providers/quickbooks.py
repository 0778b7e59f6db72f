"""QuickBooks Online adapter: customers through the query language, mapped to ExternalCustomer.

Facts it relies on: the realm (company) id is in every path; `select * from Customer` returns
only active customers unless asked for `Active IN (true, false)`; STARTPOSITION is 1-based and a
page shorter than MAXRESULTS is the last; inactive names get " (deleted)"; tax ids are masked
on read; a 429 carries no Retry-After, so we back off on our own schedule.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterator

import httpx

from cone.services.models import Address
from cone.services.providers.accounting import (ApiClient, ContactPerson, ExternalCustomer,
                                                TokenSource, clean, country, register)
from cone.services.providers.base import (ProviderAuthError, ProviderBadResponse,
                                          ProviderNotFound)

MINOR_VERSION = "75"  # the lowest Intuit still supports
PAGE_SIZE = 1000
DELETED = " (deleted)"


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


@register("quickbooks")
class QuickBooks:
    """One QuickBooks company's customers."""

    key = "quickbooks"

    def __init__(self, http: httpx.Client, tenant_id: str, tokens: TokenSource):
        self.tenant_id = tenant_id  # the realm id
        self.pause = 5  # seconds to wait after a 429, which carries no Retry-After
        self.api = ApiClient(http, tokens, "QuickBooks", wait_for=self._wait)

    def _wait(self, resp: httpx.Response) -> int | None:
        value = resp.headers.get("Retry-After", "")
        return int(value) if value.isdigit() else self.pause

    def close(self) -> None:
        self.api.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _get(self, path: str, params: dict) -> dict:
        resp = self.api.get(f"/v3/company/{self.tenant_id}{path}",
                            params={**params, "minorversion": MINOR_VERSION},
                            headers={"Accept": "application/json"})
        try:
            body = resp.json()
        except ValueError as error:
            raise ProviderBadResponse("QuickBooks sent an answer Cone could not read.") from error
        if resp.status_code == 403:
            raise ProviderAuthError("QuickBooks refused access to this company: reconnect it "
                                    "on the Integrations page.")
        if resp.status_code == 404 or (resp.status_code == 400 and "not found" in (
                fault_message(body) or "").lower()):
            raise ProviderNotFound("QuickBooks has no such customer.")
        if resp.status_code != 200 or not isinstance(body, dict) or "Fault" in body:
            raise ProviderBadResponse("QuickBooks refused the request: "
                                      f"{fault_message(body) or resp.status_code}.")
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
                "query": f"{base} STARTPOSITION {start} MAXRESULTS {PAGE_SIZE}"})
            rows = (body.get("QueryResponse") or {}).get("Customer") or []
            for raw in rows:
                customer = self.to_customer(raw)
                if customer.is_customer or include_non_customers:
                    yield customer
            if len(rows) < PAGE_SIZE:
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
            ident = raw.get("Id") if isinstance(raw, dict) else None
            name = raw.get("DisplayName") if isinstance(raw, dict) else None
            return ExternalCustomer(
                provider="quickbooks", external_id=f"{self.tenant_id}:{ident}" if ident else "",
                tenant_id=self.tenant_id, name=clean(name) or "(unreadable customer)",
                kind="business", first_name=None, last_name=None, email=None, phone=None,
                address=Address(), company_number=None, vat_number=None, people=(),
                is_customer=True, archived=False, updated_at=None,
                raw=raw if isinstance(raw, dict) else {"value": repr(raw)[:500]},
                problems=(f"QuickBooks sent a customer Cone could not read "
                          f"({error.__class__.__name__}: {str(error)[:120]}).",))


def _map(raw: dict, realm: str) -> ExternalCustomer:
    ident = clean(raw["Id"])
    given, family = clean(raw.get("GivenName")), clean(raw.get("FamilyName"))
    company = clean(raw.get("CompanyName"))
    display = clean(raw.get("DisplayName")) or ""
    if display.endswith(DELETED):
        display = display[: -len(DELETED)].strip()
    name = display or company or " ".join(p for p in (given, family) if p)
    if not ident or not name:
        raise ValueError("no Id or name")
    emails = ((raw.get("PrimaryEmailAddr") or {}).get("Address") or "").replace(";", ",")
    email = next((clean(e) for e in emails.split(",") if clean(e)), None)
    phone = next((clean((raw.get(k) or {}).get("FreeFormNumber"))
                  for k in ("PrimaryPhone", "Mobile", "AlternatePhone")
                  if clean((raw.get(k) or {}).get("FreeFormNumber"))), None)
    kind = "business" if company or not (given or family) else "individual"
    people = (ContactPerson(given, family, email, phone),) if kind == "business" and (
        given or family) else ()
    tax = clean(raw.get("PrimaryTaxIdentifier"))
    return ExternalCustomer(
        provider="quickbooks", external_id=f"{realm}:{ident}", tenant_id=realm, name=name,
        kind=kind, first_name=given, last_name=family, email=email, phone=phone,
        address=_address(raw.get("BillAddr")) or _address(raw.get("ShipAddr")),
        company_number=None,
        vat_number=tax if tax and "X" not in tax.upper() else None,  # masked on read
        people=people, is_customer=not raw.get("Job") and not raw.get("ParentRef"),
        archived=raw.get("Active") is False,
        updated_at=parse_time((raw.get("MetaData") or {}).get("LastUpdatedTime")), raw=raw)


def _address(a) -> Address:
    if not isinstance(a, dict):
        return Address()
    lines = [x for x in (clean(a.get(f"Line{i}")) for i in range(1, 6)) if x]
    return Address(line1=lines[0] if lines else None, line2=", ".join(lines[1:]) or None,
                   town=clean(a.get("City")), county=clean(a.get("CountrySubDivisionCode")),
                   postcode=clean(a.get("PostalCode")), country=country(a.get("Country")))
