"""The neutral customer record and the protocol every accounting-platform adapter follows.

Adding a platform means one module that maps its JSON to ExternalCustomer and registers a
factory here with @register("key"); the connection service finds it through ADAPTERS.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterator, Protocol

import httpx

from cone.services.models import Address
from cone.services.providers.base import (ProviderAuthError, ProviderUnavailable,
                                          RateLimited)


@dataclass(frozen=True)
class ContactPerson:
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class ExternalCustomer:
    """One customer as a platform describes it, in our own terms."""

    provider: str                    # "xero" | "quickbooks" | "freeagent" | "sage" | "csv"
    external_id: str
    tenant_id: str                   # "" when the platform has none
    name: str
    kind: str                        # "business" | "individual"
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    address: Address
    company_number: str | None
    vat_number: str | None
    people: tuple[ContactPerson, ...]
    is_customer: bool
    archived: bool
    updated_at: datetime | None
    raw: dict                        # the source JSON, kept in ExternalLink.payload
    problems: tuple[str, ...] = ()   # why the record could not be read fully, if it could not


class AccountingProvider(Protocol):
    """A connected accounting platform, read-only."""

    key: str

    def list_customers(self, *, since: datetime | None = None,
                       include_non_customers: bool = False) -> Iterator[ExternalCustomer]:
        """Every customer (changed since a time, when the platform can tell)."""

    def fetch_customer(self, external_id: str) -> ExternalCustomer:
        """One customer by the platform's own id."""


class TokenSource(Protocol):
    """Hands adapters a bearer token; the connection service keeps it fresh and stored."""

    def access_token(self) -> str:
        """A token that is valid now (refreshed shortly before it expires)."""

    def refresh(self) -> str:
        """Force a refresh after a 401; raises ProviderAuthError if the platform refuses."""


AdapterFactory = Callable[[httpx.Client, str, TokenSource], AccountingProvider]
ADAPTERS: dict[str, AdapterFactory] = {}


def register(key: str):
    """Class or function decorator: make factory(http, tenant_id, tokens) the adapter for key."""
    def decorate(factory):
        ADAPTERS[key] = factory
        return factory
    return decorate


def clean(value) -> str | None:
    """Trim whitespace and turn empty values into None (every platform sends "" for nothing)."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


UK_NAMES = {"gb", "gbr", "uk", "united kingdom", "great britain", "england", "scotland",
            "wales", "northern ireland"}


def country(value) -> str | None:
    """Free-text or ISO country as Cone writes it ("United Kingdom" for the UK's many spellings)."""
    text = clean(value)
    if text and text.lower() in UK_NAMES:
        return "United Kingdom"
    return text


class ApiClient:
    """Authorised GETs with the policy every platform shares.

    401 → one forced token refresh, then ProviderAuthError; 429 → wait out Retry-After when
    it is short (wait_for decides), else RateLimited; 5xx and timeouts → retries with
    exponential backoff, then ProviderUnavailable. Other statuses go back to the adapter.
    """

    def __init__(self, http: httpx.Client, tokens: TokenSource, label: str, *,
                 wait_for: Callable[[httpx.Response], int | None] | None = None,
                 retries: int = 3, backoff: float = 0.5, max_wait: float = 30):
        self.http, self.tokens, self.label = http, tokens, label
        self.wait_for = wait_for or retry_after
        self.retries, self.backoff, self.max_wait = retries, backoff, max_wait
        self.requests = 0
        self.last: httpx.Response | None = None

    def get(self, url: str, *, params=None, headers=None) -> httpx.Response:
        """The platform's answer to an authorised GET (2xx, 4xx other than 401/429)."""
        refreshed, failures, waits = False, 0, 0
        while True:
            token = self.tokens.access_token()
            try:
                self.requests += 1
                resp = self.http.get(url, params=params, headers={
                    **(headers or {}), "Authorization": f"Bearer {token}"})
            except httpx.TransportError as error:
                failures += 1
                if failures > self.retries:
                    raise ProviderUnavailable(f"{self.label} did not answer: try again "
                                              "shortly.") from error
                self._pause(failures)
                continue
            self.last = resp
            if resp.status_code == 401:
                if refreshed:
                    raise ProviderAuthError(f"{self.label} refused Cone's access: an admin "
                                            "needs to reconnect it on the Integrations page.")
                self.tokens.refresh()
                refreshed = True
            elif resp.status_code == 429:
                wait = self.wait_for(resp)
                waits += 1
                if wait is None or wait > self.max_wait or waits > self.retries:
                    raise RateLimited(f"{self.label} is limiting requests: try again "
                                      f"{_later(wait)}.", retry_after=wait)
                time.sleep(wait)
            elif resp.status_code >= 500:
                failures += 1
                if failures > self.retries:
                    raise ProviderUnavailable(f"{self.label} is not answering just now "
                                              f"({resp.status_code}): try again shortly.")
                self._pause(failures)
            else:
                return resp

    def _pause(self, attempt: int) -> None:
        time.sleep(self.backoff * 2 ** (attempt - 1))


def retry_after(resp: httpx.Response) -> int | None:
    """Seconds from a Retry-After header, when it holds a number."""
    value = resp.headers.get("Retry-After", "").strip()
    return int(value) if value.isdigit() else None


def _later(wait: int | None) -> str:
    return f"in {wait} seconds" if wait and wait < 120 else "later"
