"""FreeAgent API v2 adapter: contacts as ExternalCustomer records.

FreeAgent pages with page/per_page and a Link header (an empty string on a single page), filters
with view= (clients, all, ...) and updated_since=, and names either an organisation or a person.
A token belongs to one user of one company, so there is no tenant to choose.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterator
from urllib.parse import parse_qsl, urlsplit

import httpx

from cone.services.models import Address
from cone.services.providers.accounting import (ContactPerson, ExternalCustomer,
                                                PlatformAdapter, clean, first_and_others,
                                                register)
from cone.services.providers.base import (ProviderAuthError, ProviderBadResponse, ProviderError,
                                          ProviderNotFound)
from cone.services.providers.http import json_body

PAGE_SIZE = 100        # FreeAgent's largest page
MAX_PAGES = 5000       # a guard against a server whose Link header never ends
HEADERS = {"Accept": "application/json", "User-Agent": "Cone client register"}  # both required
HIDDEN = "hidden"      # FreeAgent's archived status (and the view that lists it)


def _text(value: Any) -> str | None:
    """clean() for scalars with inner whitespace (newlines too) collapsed; objects and lists
    where text belongs count as missing."""
    text = None if isinstance(value, (dict, list)) else clean(value)
    return " ".join(text.split()) if text else None


def parse_time(value: Any) -> datetime | None:
    """An aware UTC datetime from FreeAgent's ISO 8601 ("2025-10-03T20:53:38.000Z")."""
    text = _text(value)
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).astimezone(
        timezone.utc)


def iso(moment: datetime) -> str:
    """A datetime as the UTC ISO 8601 text FreeAgent filters take."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def refusal(r: httpx.Response) -> ProviderError | None:
    """FreeAgent's refusals in words: a 403 means the connecting user's access level is too low."""
    if r.status_code == 403:
        return ProviderAuthError("FreeAgent refused access: the user who connected it needs "
                                 "the 'Contacts & Projects' permission level or higher.")
    if r.status_code == 404:
        return ProviderNotFound("FreeAgent has no such contact.")
    return None


@register("freeagent")
class FreeAgent(PlatformAdapter):
    """Read-only FreeAgent contacts over an injected httpx.Client (base URL .../v2)."""

    key, label, page_size = "freeagent", "FreeAgent", PAGE_SIZE
    refusal = staticmethod(refusal)

    def list_customers(self, *, since: datetime | None = None,
                       include_non_customers: bool = False) -> Iterator[ExternalCustomer]:
        """Clients (view=clients), or every contact with archived ones (view=all)."""
        if not include_non_customers:
            for item in self._pages("clients", since):
                yield self._customer(item, is_customer=True)
            return
        # view=all has no customer flag: learn which contacts are clients from one extra pass
        clients = {_contact_id(item) for item in self._pages("clients", since)} - {None}
        for item in self._pages("all", since):
            yield self._customer(item, is_customer=_contact_id(item) in clients)

    def fetch_customer(self, external_id: str) -> ExternalCustomer:
        """One contact by its numeric id."""
        ident = str(external_id).strip()
        if not ident.isdigit():
            raise ProviderNotFound("FreeAgent has no contact with that id.")
        body = self.api.get_json(f"/contacts/{ident}", headers=HEADERS)
        item = body.get("contact")
        if not isinstance(item, dict):
            raise ProviderBadResponse("FreeAgent sent a contact in an unexpected shape.")
        return self._customer(item, is_customer=True)

    def company_name(self) -> str | None:
        """The FreeAgent company's name (shown as the connection's tenant)."""
        company = self.api.get_json("/company", headers=HEADERS).get("company")
        return _text(company.get("name")) if isinstance(company, dict) else None

    def _pages(self, view: str, since: datetime | None) -> Iterator[Any]:
        """Every item of a view, following the Link header's rel="next"."""
        params: dict[str, Any] = {"view": view, "sort": "created_at", "page": 1,
                                  "per_page": self.page_size}
        if since is not None:
            params["updated_since"] = iso(since)
        for _ in range(MAX_PAGES):
            response = self.api.get("/contacts", params=params, headers=HEADERS)
            items = json_body(response, "FreeAgent").get("contacts")
            if not isinstance(items, list):
                raise ProviderBadResponse("FreeAgent sent a contact list in an unexpected shape.")
            yield from items
            following = response.links.get("next", {}).get("url")
            if not following or not items:
                return
            # Only the query is taken from the link: the token never goes to another host
            params = {**params, **dict(parse_qsl(urlsplit(following).query))}
        raise ProviderBadResponse("FreeAgent kept offering more pages than Cone can read.")

    def _customer(self, item: Any, *, is_customer: bool) -> ExternalCustomer:
        """Our neutral record from one FreeAgent contact (problems noted, never raised)."""
        return to_customer(item, tenant_id=self.tenant_id, is_customer=is_customer)


def to_customer(item: Any, *, tenant_id: str = "", is_customer: bool = True) -> ExternalCustomer:
    """Map a FreeAgent contact; an unreadable one comes back with problems set."""
    raw = item if isinstance(item, dict) else {"value": item}
    problems = []
    ident = _contact_id(raw)
    if not ident:
        problems.append("FreeAgent sent a contact without an id.")
    organisation = _text(raw.get("organisation_name"))
    first, last = _text(raw.get("first_name")), _text(raw.get("last_name"))
    person = " ".join(p for p in (first, last) if p)
    name = organisation or person
    if not name:
        problems.append("FreeAgent sent a contact with neither an organisation nor a person's "
                        "name.")
    email, others = first_and_others(_text(raw.get("email")), _text(raw.get("billing_email")))
    phone = _text(raw.get("phone_number")) or _text(raw.get("mobile"))
    # An organisation's first/last name is the person to talk to there
    people = ((ContactPerson(first, last, email, phone),) if organisation and person else ())
    return ExternalCustomer(
        provider="freeagent", external_id=ident or "", tenant_id=tenant_id,
        name=name or "", kind="business" if organisation else "individual",
        first_name=first, last_name=last, email=email, other_emails=others, phone=phone,
        address=_address(raw),
        company_number=None, vat_number=_text(raw.get("sales_tax_registration_number")),
        people=people, is_customer=is_customer,
        archived=(_text(raw.get("status")) or "").casefold() == HIDDEN,
        updated_at=parse_time(raw.get("updated_at")), raw=raw, problems=tuple(problems))


def _contact_id(item: Any) -> str | None:
    """The numeric id at the end of a contact's url."""
    url = _text(item.get("url")) if isinstance(item, dict) else None
    tail = url.rstrip("/").rsplit("/", 1)[-1] if url else ""
    return tail if tail.isdigit() else None


def _address(raw: dict) -> Address:
    """address1..3, town, region, postcode, country (a name such as "United Kingdom")."""
    line2 = ", ".join(p for p in (_text(raw.get("address2")), _text(raw.get("address3"))) if p)
    return Address(line1=_text(raw.get("address1")), line2=line2 or None,
                   town=_text(raw.get("town")), county=_text(raw.get("region")),
                   postcode=_text(raw.get("postcode")), country=_text(raw.get("country")))
