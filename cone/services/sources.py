"""Where a client's data comes from: the providers, their names, what each owns, resync results.

One table of provider names for services, views and templates alike; OWNED_FIELDS says which
client fields the active source keeps read-only (docs/DESIGN.md, "Sources and ownership").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cone.services.models import Client
from cone.services.providers.base import ProviderError

# Provider key → the name people know it by
PROVIDER_NAMES: dict[str, str] = {
    "companies_house": "Companies House", "xero": "Xero", "quickbooks": "QuickBooks",
    "freeagent": "FreeAgent", "sage": "Sage",
}
ACCOUNTING_PROVIDERS = ("xero", "quickbooks", "freeagent", "sage")
# Every source a client can have, manual first: the list filter's choices
SOURCE_NAMES: dict[str, str] = {"manual": "Manual", **PROVIDER_NAMES}

_ACCOUNTING = frozenset({"legal_name", "email", "phone", "registered_address", "vat_number"})
OWNED_FIELDS: dict[str, frozenset[str]] = {
    "companies_house": frozenset({"legal_name", "company_number", "entity_type",
                                  "incorporation_date", "registered_address", "sic_codes"}),
    **{key: _ACCOUNTING for key in ACCOUNTING_PROVIDERS},
}


class NotLinked(ProviderError):
    """The client is not linked to the source asked about (or to any): nothing to sync."""

    default = "This client is not linked to that source."


def source_name(provider: str) -> str:
    """"Xero", "Companies House", "a CSV file"… for sentences."""
    return "a CSV file" if provider == "csv" else PROVIDER_NAMES.get(provider, provider)


def owned_fields(client: Client) -> frozenset[str]:
    """Fields the client's active source owns (empty for clients kept by hand)."""
    link = client.active_link
    return OWNED_FIELDS.get(link.provider, frozenset()) if link else frozenset()


@dataclass
class SyncResult:
    """What a sync did: field-level changes to the client and the source's details."""
    changes: list[dict] = field(default_factory=list)  # [{field, label, before, after}]
    synced_at: datetime | None = None
    name_changed: bool = False
    status_changed: bool = False
    name: str | None = None      # the client's (or company's) name now
    status: str | None = None    # the company's status now, in words ("Dissolved")

    @property
    def changed(self) -> bool:
        return bool(self.changes)
