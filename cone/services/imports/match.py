"""Matching incoming customers to existing clients, with every lookup loaded once per preview.

A preview of 10,000 customers against 100,000 clients must not cost a query per record: the
identifiers, names and links are read in a few queries into dictionaries, and similar names
are compared only within blocks that share a word (rapidfuzz over a block, not the register).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlalchemy import func, select

from cone.services import validation
from cone.services.clients.duplicates import SIMILAR, normalise_name
from cone.services.models import Client, ExternalLink, db
from cone.services.providers.accounting import ExternalCustomer
from cone.services.sources import source_name

PASSIVE = frozenset({"csv"})  # providers whose links record provenance only (apply.py)


@dataclass
class Match:
    client_id: int
    reason: str   # "Same company number, same e-mail"
    score: int    # 100 for a shared identifier, else the name similarity
    exact: bool   # safe to link without a person looking


def _join(reasons: list[str]) -> str:
    """Reasons as one sentence: the first capitalised, the rest not."""
    return ", ".join([reasons[0]] + [r[0].lower() + r[1:] for r in reasons[1:]])


class Indexes:
    """The register's identifiers, names and links, keyed for lookups in memory."""

    def __init__(self):
        self.links: dict[tuple[str, str, str], int] = {}
        self.unlinked: dict[tuple[str, str, str], int] = {}
        self.company: dict[str, int] = {}
        self.vat: dict[str, int] = {}
        self.email: dict[str, int] = {}
        self.names: dict[str, int] = {}
        self.blocks: dict[str, list[str]] = defaultdict(list)
        self.info: dict[int, tuple[str, bool]] = {}  # id -> (display name, archived)
        self.sources: dict[int, str] = {}             # id -> provider of its active link

    @classmethod
    def load(cls, sources: set[tuple[str, str]]) -> Indexes:
        """Read everything a preview needs: three queries whatever the number of customers."""
        self = cls()
        providers = {p for p, _ in sources}
        rows = db.session.execute(select(
            ExternalLink.provider, ExternalLink.tenant_id, ExternalLink.external_id,
            ExternalLink.client_id, ExternalLink.active).where(
                (ExternalLink.active.is_(True)) | ExternalLink.provider.in_(providers)))
        for provider, tenant, external_id, client_id, active in rows:
            key = (provider, tenant, external_id)
            if active:
                self.sources[client_id] = provider
            if provider in providers and (active or provider in PASSIVE):
                self.links.setdefault(key, client_id)
            elif provider in providers:
                self.unlinked.setdefault(key, client_id)
        clients = db.session.execute(select(
            Client.id, Client.display_name, Client.legal_name, Client.trading_name,
            Client.company_number, Client.vat_number, func.lower(Client.email),
            Client.archived_at.is_not(None)).order_by(Client.id))
        for cid, display, legal, trading, number, vat, email, archived in clients:
            self.info[cid] = (display, bool(archived))
            # The oldest client wins a shared identifier: it is the one the firm knows
            if number:
                self.company.setdefault(number, cid)
            if vat:
                self.vat.setdefault(vat, cid)
            if email:
                self.email.setdefault(email, cid)
            for name in {normalise_name(n) for n in (display, legal, trading) if n}:
                if name and name not in self.names:
                    self.names[name] = cid
                    for key in _block_keys(name):
                        self.blocks[key].append(name)
        return self

    def client_name(self, client_id: int) -> str | None:
        """The client's display name, marked when it is archived."""
        name, archived = self.info.get(client_id, (None, False))
        return f"{name} (archived)" if name and archived else name

    def linked(self, customer: ExternalCustomer) -> int | None:
        """The client whose source is this very record, if any."""
        return self.links.get((customer.provider, customer.tenant_id, customer.external_id))

    def _similar(self, name: str) -> tuple[int, int] | None:
        """(client id, score) of the closest name sharing a word with this one."""
        if name in self.names:
            return self.names[name], 100
        candidates = [n for key in _block_keys(name) for n in self.blocks.get(key, ())]
        # token_sort, not token_set: "Vale Builders" is not "North Vale Builders 12 Ltd"
        best = process.extractOne(name, candidates, scorer=fuzz.token_sort_ratio,
                                  score_cutoff=SIMILAR) if candidates else None
        return (self.names[best[0]], round(best[1])) if best else None

    def match(self, customer: ExternalCustomer) -> Match | None:
        """The best existing client for the customer, with the reasons and a score."""
        found: dict[int, list[str]] = defaultdict(list)
        unlinked = self.unlinked.get((customer.provider, customer.tenant_id,
                                      customer.external_id))
        if unlinked is not None:
            found[unlinked].append("Previously linked to this record, then unlinked by hand")
        number = validation.or_none(validation.company_number, customer.company_number)
        if number in self.company:
            found[self.company[number]].append("Same company number")
        vat = validation.or_none(validation.vat_number, customer.vat_number)
        if vat in self.vat:
            found[self.vat[vat]].append("Same VAT number")
        email = (customer.email or "").strip().lower()
        if email in self.email:
            found[self.email[email]].append("Same e-mail")
        name = normalise_name(customer.name)
        similar = self._similar(name) if name else None
        name_score = 0
        if similar is not None:
            name_score = similar[1]
            found[similar[0]].append("Same name" if similar[1] == 100 else "Similar name")
        if not found:
            return None

        def strength(item):
            cid, reasons = item
            ids = sum(r.startswith(("Same company", "Same VAT", "Same e-mail")) for r in reasons)
            return (ids, len(reasons), -cid)
        client_id, reasons = max(found.items(), key=strength)
        identifiers = {r for r in reasons if r in ("Same company number", "Same VAT number")}
        named = similar is not None and similar[0] == client_id
        score = 100 if len(reasons) > int(named) else name_score
        # An e-mail alone can be shared by two firms of one owner: only with the name too
        exact = bool(identifiers) or ("Same e-mail" in reasons and named)
        if unlinked == client_id:
            exact = False  # someone unlinked it on purpose: let a person decide again
        source = self.sources.get(client_id)
        reason = _join(reasons)
        if self.info.get(client_id, ("", False))[1]:
            reason += " (archived)"
        if source is not None:  # linking would need a second source: a person decides
            reason += f"; it already takes its details from {source_name(source)}"
            exact = False
        return Match(client_id, reason, score, exact)


def _block_keys(name: str) -> set[str]:
    """Blocks a normalised name falls in: its first word and its alphabetically first word."""
    words = name.split()
    return {words[0], min(words)} if words else set()
