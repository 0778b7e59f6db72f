"""The same person or company twice among the incoming records (two records on the platform).

Keys: company number, VAT number, e-mail, or the name (normalised, words in any order, so
"Doe, Jane" is "Jane Doe") together with the postcode. The first record seen keeps its place;
a later one sharing a key is flagged in the preview, skipped unless a person says create.
"""
from __future__ import annotations

from dataclasses import dataclass

from cone.services import validation
from cone.services.clients.duplicates import normalise_name
from cone.services.providers.accounting import ExternalCustomer


@dataclass
class Twin:
    index: int     # the first record's row index
    name: str      # its name
    why: str       # "same company number"


def keys(customer: ExternalCustomer) -> list[tuple[str, str]]:
    """(why, key) pairs under which the customer is the same as another."""
    found = []
    number = validation.or_none(validation.company_number, customer.company_number)
    if number:
        found.append(("same company number", f"company:{number}"))
    vat = validation.or_none(validation.vat_number, customer.vat_number)
    if vat:
        found.append(("same VAT number", f"vat:{vat}"))
    email = (customer.email or "").strip().casefold()
    if email:
        found.append(("same e-mail", f"email:{email}"))
    name = " ".join(sorted(normalise_name(customer.name).split()))
    postcode = "".join((customer.address.postcode or "").split()).upper()
    if name and postcode:
        found.append(("same name and postcode", f"name:{name}|{postcode}"))
    return found


class Twins:
    """The keys of the records seen so far in a preview, in order."""

    def __init__(self):
        self.seen: dict[str, tuple[int, str]] = {}

    def first(self, customer: ExternalCustomer) -> Twin | None:
        """The earlier record this customer is the same as, if any."""
        for why, key in keys(customer):
            if key in self.seen:
                index, name = self.seen[key]
                return Twin(index, name, why)
        return None

    def add(self, index: int, customer: ExternalCustomer) -> None:
        """Remember the customer's keys (an earlier record keeps a shared key)."""
        for _, key in keys(customer):
            self.seen.setdefault(key, (index, customer.name))
