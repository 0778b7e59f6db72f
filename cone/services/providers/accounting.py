"""The neutral customer record and the protocol every accounting-platform adapter follows.

Adding a platform means one module with a PlatformAdapter subclass that maps its JSON to
ExternalCustomer, registered with @register("key"); the connection service finds it in ADAPTERS.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Iterator, Protocol

import httpx

from cone.services import validation
from cone.services.models import Address
from cone.services.providers.base import ProviderError
from cone.services.providers.http import (Api, BearerAuth, RetryPolicy, Sleep, TokenSource,
                                          retry_after)


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
    # An individual's other name parts, as the platform keeps them
    title: str | None = None
    middle_name: str | None = None
    suffix: str | None = None
    # E-mail addresses after the first, when a platform field held several ("a@x.com; b@y.com")
    other_emails: tuple[str, ...] = ()
    # A sub-customer (QuickBooks job): its parent record on the same platform
    parent_external_id: str | None = None
    parent_name: str | None = None


def unreadable(raw, error: Exception, *, provider: str, tenant_id: str, external_id: str,
               name: str, what: str, is_customer: bool) -> ExternalCustomer:
    """A record the adapter could not map, carrying why ("<what> Cone could not read (…)")."""
    return ExternalCustomer(
        provider=provider, external_id=external_id, tenant_id=tenant_id, name=name,
        kind="business", first_name=None, last_name=None, email=None, phone=None,
        address=Address(), company_number=None, vat_number=None, people=(),
        is_customer=is_customer, archived=False, updated_at=None,
        raw=raw if isinstance(raw, dict) else {"value": repr(raw)[:500]},
        problems=(f"{what} Cone could not read ({error.__class__.__name__}: "
                  f"{str(error)[:120]}).",))


class AccountingProvider(Protocol):
    """A connected accounting platform, read-only."""

    key: str

    def list_customers(self, *, since: datetime | None = None,
                       include_non_customers: bool = False) -> Iterator[ExternalCustomer]:
        """Every customer (changed since a time, when the platform can tell)."""

    def fetch_customer(self, external_id: str) -> ExternalCustomer:
        """One customer by the platform's own id."""

    def close(self) -> None:
        """Close the adapter's HTTP client (the connection service opens one per adapter)."""


class PlatformAdapter:
    """What every platform's adapter shares: authorised GETs under the retry policy (self.api)
    and its own HTTP client to close. A subclass names its key and label, and may bring its
    words for refusals, its reading of a 429 and an observer of every response."""

    key: str
    label: str
    page_size: int = 0  # records a list page asks for, where the platform takes a size

    def __init__(self, http: httpx.Client, tenant_id: str, tokens: TokenSource, *,
                 policy: RetryPolicy = RetryPolicy(), sleep: Sleep = time.sleep,
                 page_size: int | None = None):
        self.http, self.tenant_id = http, tenant_id or ""
        if page_size:
            self.page_size = page_size
        self.api = Api(http, self.label, self.refusal, auth=BearerAuth(tokens, self.label),
                       rate_hint=self.rate_hint, policy=policy, sleep=sleep, observe=self.observe)

    def refusal(self, response: httpx.Response) -> ProviderError | None:
        """The platform's words for a refusal; None leaves them to the policy."""
        return None

    def rate_hint(self, response: httpx.Response) -> float | None:
        """Seconds the platform asks Cone to wait after a 429 (None: no hint)."""
        return retry_after(response)

    def observe(self, response: httpx.Response) -> None:
        """Called with every response the platform sends (rate-limit counters, say)."""

    def close(self) -> None:
        """Close the HTTP client (the connection service opens one per adapter)."""
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


ADAPTERS: dict[str, type[PlatformAdapter]] = {}


def register(key: str):
    """Class decorator: make the class the adapter the connection service builds for key."""
    def decorate(cls: type[PlatformAdapter]) -> type[PlatformAdapter]:
        ADAPTERS[key] = cls
        return cls
    return decorate


def clean(value) -> str | None:
    """Trim whitespace and turn empty values into None (every platform sends "" for nothing).

    Every platform's text and every CSV cell passes here: control characters are dropped, as
    validation.without_controls says, since nobody can be asked to retype them.
    """
    if value is None:
        return None
    text = validation.without_controls(str(value)).strip()
    return text or None


UK_NAMES = {"gb", "gbr", "uk", "united kingdom", "great britain", "england", "scotland",
            "wales", "northern ireland"}


def country(value) -> str | None:
    """Free-text or ISO country as Cone writes it ("United Kingdom" for the UK's many spellings)."""
    text = clean(value)
    if text and text.lower() in UK_NAMES:
        return "United Kingdom"
    return text


EMAIL_SEPARATORS = re.compile(r"[,;\s<>]+")


def split_emails(value) -> tuple[str, ...]:
    """Every address in one platform field ("a@x.com; b@y.com", "Jane <jane@x.com>"), in order.

    Nothing is validated here (the import's cleaning warns about a bad one). Words beside the
    addresses (a display name, "(accounts)") are left out; a field with no @ at all is one
    value, kept as typed, so the cleaning can say what was wrong with it.
    """
    text = clean(value)
    if not text:
        return ()
    if "@" not in text:
        return (text,)
    found: dict[str, str] = {}
    for word in EMAIL_SEPARATORS.split(text):
        word = word.strip("'\"()[]")
        if "@" in word:
            found.setdefault(word.casefold(), word)
    return tuple(found.values())


def first_and_others(*fields) -> tuple[str | None, tuple[str, ...]]:
    """(the first address, the others) across several fields, each split, repeats dropped."""
    seen: dict[str, str] = {}
    for field in fields:
        for address in split_emails(field):
            seen.setdefault(address.casefold(), address)
    found = list(seen.values())
    return (found[0] if found else None), tuple(found[1:])


def other_addresses(email: str | None, found) -> tuple[str, ...]:
    """found without email and without repeats (compared ignoring case), in order."""
    kept: dict[str, str] = {}
    for address in found:
        kept.setdefault(address.casefold(), address)
    kept.pop((email or "").casefold(), None)
    return tuple(kept.values())


# Words only an organisation's name holds ("& Co", "and Sons" as well as Ltd or LLP)
BUSINESS_WORDS = re.compile(
    r"(?:\b(?:ltd|limited|llp|plc|lp|llc|inc|incorporated|corp|corporation|cic|cio|gmbh|pty|"
    r"company|co|partners|partnership|services|trust|trustees|associates|holdings|group|"
    r"consulting|consultants|solutions|enterprises|properties|charity|foundation|society|"
    r"club|agency|studio|studios|bros|brothers|ventures|investments|estates|trading|"
    r"international|uk|bakery|cafe|café|restaurant|garage|motors|builders|plumbing|"
    r"electrical|design|media|salon|florists?|farms?|shop|stores?|lettings|landscaping|"
    r"cleaning|catering|hotel|dental|surgery|clinic|pharmacy|academy|school|école|nursery|"
    r"church|events|interiors|logistics|transport|haulage|construction|joinery|roofing)"
    r"\b\.?|(?:&|\band\b)\s*(?:sons?|daughters?|co)\b|\bt/a\b)",
    re.IGNORECASE)
TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "lady",
          "lord", "rev", "revd", "fr"}
NAME_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def is_business_name(name: str | None, *parts: str | None) -> bool:
    """Whether a name reads as an organisation's rather than a person's.

    A company word decides it ("Smith & Co", "Jane Doe Services"). Given the person's name
    parts, a name with a word that is none of them, nor one's initial, nor a title, is a
    business too ("Rodriguez Plumbing" for Diego Rodriguez); "Doe, Jane" and "Dr J. Doe" are not.
    """
    text = clean(name) or ""
    if BUSINESS_WORDS.search(text):
        return True
    words = {w.casefold() for p in parts if p for w in NAME_WORD.findall(p)}
    if not words:
        return False
    initials = {w[0] for w in words}
    return any(w not in words and w not in TITLES and not (len(w) == 1 and w in initials)
               for w in (w.casefold() for w in NAME_WORD.findall(text)))


def person_parts(name: str | None) -> tuple[str | None, str | None, str | None]:
    """(title, first, last) of a person's name held in one field: "Mr John Smith" gives Mr,
    John, Smith; "Doe, Jane" is family name first (Jane, Doe); a single word is a last name."""
    text = " ".join((clean(name) or "").split())
    if "," in text:
        family, _, given = text.partition(",")
        text = " ".join(w for w in (given.strip(), family.strip()) if w)
    words = text.split()
    title = words.pop(0) if len(words) > 1 and words[0].rstrip(".").casefold() in TITLES else None
    if len(words) < 2:
        return title, None, (words[0] if words else None)
    return title, words[0], " ".join(words[1:])


def best_address(*candidates: Address) -> Address:
    """The first address with a street, town or postcode; else the first that names anything
    (a country alone); else an empty one."""
    for a in candidates:
        if a.line1 or a.line2 or a.town or a.postcode:
            return a
    return next((a for a in candidates if a), Address())
