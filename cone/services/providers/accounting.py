"""The neutral customer record and the protocol every accounting-platform adapter follows.

Adding a platform means one module that maps its JSON to ExternalCustomer and registers a
factory here with @register("key"); the connection service finds it through ADAPTERS.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterator, Protocol

import httpx

from cone.services.models import Address


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
