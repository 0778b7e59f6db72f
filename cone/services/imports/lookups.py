"""What a batch of an import run looks up once: the links of its records and the clients they
reach, each in one query, instead of a query per record."""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from cone.services.imports.apply import PASSIVE
from cone.services.models import Client, ExternalLink, db
from cone.services.providers.accounting import ExternalCustomer

Key = tuple[str, str, str]


def key(customer: ExternalCustomer) -> Key:
    """The platform record a customer is: provider, tenant, external id."""
    return customer.provider, customer.tenant_id or "", customer.external_id


class Lookups:
    """The batch's links (by platform record) and clients (by id), each loaded in one query,
    from the stored plan rows (read before their customers are built, one by one, as written).
    """

    def __init__(self, stored: list[dict]):
        self.links: dict[Key, ExternalLink] = {}
        for link in _links({stored_key(r) for r in stored}):
            self.links.setdefault((link.provider, link.tenant_id or "", link.external_id), link)
        ids = {r["client_id"] for r in stored if r.get("client_id")} | {
            li.client_id for li in self.links.values()}
        self.clients: dict[int, Client] = {c.id: c for c in _clients(ids)}

    def link(self, customer: ExternalCustomer) -> ExternalLink | None:
        """As apply.find_link: the record's active link (any link, for a CSV file)."""
        return self.links.get(key(customer))


def stored_key(row: dict) -> Key:
    """key() of a stored plan row's customer."""
    c = row["customer"]
    return c["provider"], c.get("tenant_id") or "", c["external_id"]


def _links(wanted: set[Key]) -> list[ExternalLink]:
    """Every link find_link could return for these platform records, oldest first."""
    if not wanted:
        return []
    by_source: dict[tuple[str, str], list[str]] = {}
    for provider, tenant, external_id in wanted:
        by_source.setdefault((provider, tenant), []).append(external_id)
    stmt = select(ExternalLink).where(or_(*(
        (ExternalLink.provider == p) & (ExternalLink.tenant_id == t)
        & ExternalLink.external_id.in_(ids) for (p, t), ids in by_source.items())))
    if not any(p in PASSIVE for p, _ in by_source):
        stmt = stmt.where(ExternalLink.active.is_(True))
    links = db.session.scalars(stmt.order_by(ExternalLink.id)).all()
    return [li for li in links if li.active or li.provider in PASSIVE]


def _clients(ids: set[int]) -> list[Client]:
    """The clients, with the links and contacts that apply reads, in three queries."""
    if not ids:
        return []
    return list(db.session.scalars(
        select(Client).where(Client.id.in_(sorted(ids)))
        .options(selectinload(Client.external_links), selectinload(Client.contact_links))))
