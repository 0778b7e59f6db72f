"""Where a client's data comes from: the providers, their names, what each owns, resync results.

One table of provider names for services, views and templates alike; OWNED_FIELDS says which
client fields the active source keeps read-only (docs/DESIGN.md, "Sources and ownership");
find_connection is the one way to pick the platform connection a job or a resync uses.
This module sits low in the services layer (models and providers.base only), so every
service can import it without a cycle.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from cone.services.models import Client, Connection, ExternalLink, db
from cone.services.providers.base import ProviderAuthError, ProviderError

# Provider key → the name people know it by
PROVIDER_NAMES: dict[str, str] = {
    "companies_house": "Companies House", "xero": "Xero", "quickbooks": "QuickBooks",
    "freeagent": "FreeAgent", "sage": "Sage",
}
# The product's full name where it differs: connect buttons and import headings
PRODUCT_NAMES: dict[str, str] = {**PROVIDER_NAMES, "quickbooks": "QuickBooks Online",
                                 "sage": "Sage Business Cloud Accounting"}
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


class NotConnected(ProviderAuthError):
    """No connection to use: the platform is unknown or not connected, or several could be meant.

    .several lists the candidates when more than one matched, so a caller can ask which.
    """

    default = ("That accounting platform is not connected: an admin can connect it on the "
               "Integrations page.")

    def __init__(self, message: str | None = None, several: list[Connection] | None = None):
        self.several = several or []
        super().__init__(message)


def find_connection(provider: str, tenant: str | None = None, *,
                    connection_id: int | str | None = None) -> Connection:
    """The platform's connection: the one with this tenant (id or name) or id, else its only one."""
    if provider not in ACCOUNTING_PROVIDERS:
        known = ", ".join(sorted(ACCOUNTING_PROVIDERS))
        raise NotConnected(f"“{provider}” is not an accounting platform Cone knows ({known}).")
    label = PROVIDER_NAMES[provider]
    found = list(db.session.scalars(select(Connection).where(Connection.provider == provider)
                                    .order_by(Connection.tenant_name, Connection.id)))
    if tenant:
        found = [c for c in found if tenant in (c.tenant_id, c.tenant_name)]
    if connection_id:
        found = [c for c in found if str(c.id) == str(connection_id)]
    if not found:
        where = f" to “{tenant}”" if tenant else " to that organisation" if connection_id else ""
        raise NotConnected(f"{label} is not connected{where}: an admin can connect it on the "
                           "Integrations page.")
    if len(found) > 1:
        names = ", ".join(f"{c.tenant_name} ({c.tenant_id})" for c in found)
        raise NotConnected(f"{label} is connected to several organisations ({names}): "
                           "choose one.", several=found)
    return found[0]


def source_name(provider: str) -> str:
    """"Xero", "Companies House", "a CSV file"… for sentences."""
    return "a CSV file" if provider == "csv" else PROVIDER_NAMES.get(provider, provider)


def link_to(client: Client, provider: str, external_id: str, tenant_id: str = "") -> ExternalLink:
    """The client's link to this record: an earlier (inactive) one again, else a new one.

    Reusing the row keeps one link per record, so the client's history of sources stays whole.
    """
    link = next((li for li in client.external_links if li.provider == provider
                 and li.tenant_id == tenant_id and li.external_id == external_id), None)
    if link is None:
        link = ExternalLink(client=client, provider=provider, tenant_id=tenant_id,
                            external_id=external_id)
        db.session.add(link)
    return link


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
        """Whether the sync changed anything."""
        return bool(self.changes)
