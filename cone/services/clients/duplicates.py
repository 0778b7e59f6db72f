"""Possible duplicates of a client being typed in: same identifiers or a similar name."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import func, or_, select

from cone.services import validation
from cone.services.models import Client, db

SIMILAR = 90  # rapidfuzz token ratio at or above which two names look like one client
# Words that say nothing about which business it is
NOISE = frozenset({"ltd", "limited", "llp", "plc", "co", "company", "and", "the", "cic", "lp"})


@dataclass
class Duplicate:
    client: Client
    reason: str  # "Same company number", "Similar name (archived)", ...
    score: int   # 100 for a shared identifier, the name similarity otherwise


_APOSTROPHES = re.compile(r"['’`]")
_PUNCTUATION = re.compile(r"[^\w\s]")


def normalise_name(name: str | None) -> str:
    """Case, accents, punctuation and legal suffixes removed: "The Acme Co." -> "acme".

    An import's preview runs it on every name in the register, so plain ASCII names (most of
    them, and unchanged by NFKD) skip the accent folding.
    """
    s = (name or "").casefold().replace("&", " and ")
    if not s.isascii():
        s = unicodedata.normalize("NFKD", s)
        s = "".join(c for c in s if not unicodedata.combining(c))
    s = _APOSTROPHES.sub("", s)  # O'Brien and OBrien are one name
    words = _PUNCTUATION.sub(" ", s).split()
    return " ".join(w for w in words if w not in NOISE)


def _identifier_matches(data: dict[str, Any]) -> list[tuple[str, Any]]:
    """(reason, SQL condition) for every identifier present in data."""
    conditions = []
    number = validation.or_none(validation.company_number, data.get("company_number"))
    if number:
        conditions.append(("Same company number", Client.company_number == number))
    vat = validation.or_none(validation.vat_number, data.get("vat_number"))
    if vat:
        conditions.append(("Same VAT number", Client.vat_number == vat))
    for name in ("ct_utr", "sa_utr"):
        utr = validation.or_none(validation.utr, data.get(name))
        if utr:  # a UTR is one taxpayer's, whichever column it was filed under
            conditions.append(("Same UTR", or_(Client.ct_utr == utr, Client.sa_utr == utr)))
    ni = validation.or_none(validation.ni_number, data.get("ni_number"))
    if ni:
        conditions.append(("Same NI number", Client.ni_number == ni))
    email = validation.or_none(validation.email, data.get("email"))
    if email:
        conditions.append(("Same e-mail", func.lower(Client.email) == email.lower()))
    return conditions


def _names(kind: str, data: dict[str, Any]) -> list[str]:
    """The normalised names typed in: legal and trading, or first and last."""
    if kind == "business":
        raw = [data.get("legal_name"), data.get("trading_name")]
    else:
        raw = [" ".join(str(data[p]) for p in ("first_name", "last_name") if data.get(p))]
    return [n for n in (normalise_name(r) for r in raw if r) if n]


def find_duplicates(kind: str, data: dict[str, Any], *, exclude_id: int | None = None,
                    limit: int = 5) -> list[Duplicate]:
    """Existing clients (archived ones too) that may be the one described by data."""
    found: dict[int, tuple[list[str], int]] = {}

    def note(client_id: int, reason: str, score: int) -> None:
        reasons, best = found.get(client_id, ([], 0))
        if reason not in reasons:
            reasons.append(reason)
        found[client_id] = (reasons, max(best, score))

    base = select(Client.id)
    if exclude_id is not None:
        base = base.where(Client.id != exclude_id)
    for reason, condition in _identifier_matches(data):
        for client_id in db.session.scalars(base.where(condition)):
            note(client_id, reason, 100)
    names = _names(kind, data)
    if names:
        rows = db.session.execute(
            select(Client.id, Client.display_name, Client.legal_name, Client.trading_name)
            .where(Client.kind == kind, Client.id != (exclude_id or 0)))
        for client_id, *theirs in rows:
            theirs = [n for n in map(normalise_name, theirs) if n]
            score = max((fuzz.token_ratio(mine, t) for mine in names for t in theirs), default=0)
            if score >= SIMILAR:
                note(client_id, "Similar name", round(score))
    if not found:
        return []
    clients = {c.id: c for c in db.session.scalars(select(Client).where(Client.id.in_(found)))}
    result = []
    for client_id, (reasons, score) in found.items():
        client = clients[client_id]
        reason = ", ".join([reasons[0]] + [r[0].lower() + r[1:] for r in reasons[1:]])
        if client.archived_at is not None:
            reason += " (archived)"
        result.append(Duplicate(client, reason, score))
    # Shared identifiers first, then the closest names, then the newest
    result.sort(key=lambda d: (-d.score, -len(d.reason.split(",")), -d.client.id))
    return result[:limit]


def to_confirm(kind: str, data: dict[str, Any], *, from_companies_house: bool = False
               ) -> list[Duplicate]:
    """The possible duplicates a person must confirm before a new client is created.

    A client with the same company number as one picked from Companies House is left out:
    creating from Companies House refuses that one outright (DuplicateCompany).
    """
    found = find_duplicates(kind, data)
    if not from_companies_house:
        return found
    return [d for d in found if d.client.company_number != data.get("company_number")]
