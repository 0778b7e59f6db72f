"""A customer's name as client fields: the ledger's name is the name the firm sees.

Business: the legal name is the platform's display name. Individual: title, first, middle and
last name and suffix go to their own fields as the platform keeps them; when the platform gave
no first or last name, the display name is split (a name with a comma is "Family, Given",
otherwise the first word is the first name and the rest the last name). Whenever the display
name is not "First Middle Last", it is kept as the client's known-as name, which the register
shows: a split is never a silent guess, and no part of the name is dropped.
"""
from __future__ import annotations

import unicodedata

from cone.services.providers.accounting import ContactPerson, ExternalCustomer

NAME_PARTS = ("title", "first_name", "middle_name", "last_name", "suffix", "known_as")


def usable(name: str | None) -> bool:
    """Whether a name has something besides spaces and punctuation (letters, digits, emoji)."""
    return any(not unicodedata.category(ch).startswith(("P", "Z", "C")) for ch in name or "")


def split_name(name: str) -> tuple[str | None, str | None, str | None]:
    """(first, middle, last) read from a display name: "Family, Given" or "First Rest"."""
    family, comma, given = name.partition(",")
    if comma and family.strip() and given.strip():
        words = given.split()
        return words[0], " ".join(words[1:]) or None, " ".join(family.split())
    words = name.replace(",", " ").split()
    return (words[0] if words else None), None, " ".join(words[1:]) or None


def individual_names(customer: ExternalCustomer) -> dict[str, str | None]:
    """The individual's name fields (NAME_PARTS), every part the platform has kept."""
    first, middle, last = customer.first_name, customer.middle_name, customer.last_name
    if not (first or last):
        first, split_middle, last = split_name(customer.name or "")
        middle = middle or split_middle
    full = " ".join(p for p in (first, middle, last) if p)
    ledger = " ".join((customer.name or "").split())
    return {"title": customer.title, "first_name": first, "middle_name": middle,
            "last_name": last, "suffix": customer.suffix,
            "known_as": customer.name.strip() if ledger and ledger != full else None}


def business_people(customer: ExternalCustomer) -> tuple[ContactPerson, ...]:
    """A business's people; a person's record imported as a business keeps them as its contact."""
    if customer.people or customer.kind == "business":
        return customer.people
    if customer.first_name or customer.last_name:
        return (ContactPerson(customer.first_name, customer.last_name, None, None),)
    return ()
