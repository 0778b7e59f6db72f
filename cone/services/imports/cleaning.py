"""An incoming customer as checked client values: a value Cone cannot keep is left empty with a
warning, never a failed record.

A warning is {"field", "label", "value" (the platform's value), "message"}, one per field left
empty (or name cut short); ExternalLink.warnings keeps them beside the payload, so the source
panel shows what the ledger has without anyone going back to it. Postcodes are kept as the
platform has them: a foreign or odd one is not Cone's concern.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from cone.services import validation
from cone.services.clients.contacts import PreparedContacts
from cone.services.clients.fields import (ADDRESS_FIELDS, ADDRESS_PART_LABELS, FIELD_LABELS,
                                         FORMATS, Errors, NewContact, clean_contact, clean_value,
                                         column_length)
from cone.services.imports.names import business_people, individual_names
from cone.services.models import Address, Client, Contact
from cone.services.providers.accounting import ContactPerson, ExternalCustomer

# Needed for the client's name: cut to the column's length rather than left empty
CUT = frozenset({"legal_name", "first_name", "last_name", "known_as"})
REASONS = {"company_number": "is not a UK company number",
           "vat_number": "is not a valid UK VAT number",
           "email": "is not a valid e-mail address", "phone": "is not a phone number"}
QUOTED = 80  # characters of a value quoted in a message; the warning keeps it whole


@dataclass
class Cleaned:
    values: dict[str, Any]
    warnings: list[dict] = field(default_factory=list)
    people: PreparedContacts | None = None


def warning(name: str, label: str, value: Any, reason: str, outcome: str = "left empty") -> dict:
    """One warning: "Company number “X” is not a UK company number: left empty."."""
    raw = str(value)
    quoted = raw if len(raw) <= QUOTED else raw[:QUOTED] + "…"
    return {"field": name, "label": label, "value": raw,
            "message": f"{label} “{quoted}” {reason}: {outcome}."}


def reason(name: str, value: Any, limit: int | None) -> str:
    """Why the value is refused, in plain words."""
    squashed = "".join(str(value).split()).upper()
    if name in FORMATS and validation.or_none(FORMATS[name], value) is not None:
        return f"is longer than {limit} characters"
    if name == "company_number" and squashed.isdigit() and len(squashed) == 10:
        return "looks like a UTR, not a UK company number"
    foreign = squashed[:2].isalpha() and any(ch.isdigit() for ch in squashed[2:])
    if name == "vat_number" and foreign and squashed[:2] not in ("GB", "XI"):
        return f"is a foreign VAT number ({squashed[:2]}), not a UK one"
    if name in REASONS:
        return REASONS[name]
    return f"is longer than {limit} characters" if limit else "cannot be kept"


def one_value(name: str, value: Any, warnings: list[dict]) -> Any:
    """A field's checked value; refused, it is None (or a name cut short) with a warning."""
    errors = Errors()
    cleaned = clean_value(name, value, errors)
    if not errors:
        return cleaned
    limit = column_length(Client, name)
    if name in CUT and limit:
        text = " ".join(str(value).split())[:limit].strip()
        warnings.append(warning(name, FIELD_LABELS[name], value,
                                f"is longer than {limit} characters", f"cut to {limit}"))
        return text or None
    warnings.append(warning(name, FIELD_LABELS[name], value, reason(name, value, limit)))
    return None


def address_value(name: str, address, warnings: list[dict]):
    """An address with each part checked; a part too long is left empty, the others kept."""
    errors = Errors()
    cleaned = clean_value(name, address, errors)
    prefix = ADDRESS_FIELDS[name]
    for part, label in ADDRESS_PART_LABELS.items():
        key, limit = f"{prefix}_{part}", column_length(Client, f"{prefix}_{part}")
        value = getattr(address, part)
        if key not in errors:
            continue
        if part == "postcode" and len(value.strip()) <= limit:  # kept as the platform has it
            cleaned = dataclasses.replace(cleaned, postcode=value.strip())
            continue
        warnings.append(warning(key, f"{FIELD_LABELS[name]}: {label.lower()}", value,
                                reason(key, "", limit)))
        cleaned = dataclasses.replace(cleaned, **{part: None})
    return cleaned


def raw_values(customer: ExternalCustomer, kind: str) -> dict[str, Any]:
    """The client fields the customer provides (empty ones left out), before checking."""
    if kind == "business":
        data = {"legal_name": (customer.name or "").strip(),
                "company_number": customer.company_number, "vat_number": customer.vat_number,
                "registered_address": customer.address}
    else:
        data = {**individual_names(customer), "home_address": customer.address}
    data.update(email=customer.email, phone=customer.phone)
    # vars(), not bool(): Address.__bool__ copies every part, and this runs for every record
    return {k: v for k, v in data.items()
            if (any(vars(v).values()) if isinstance(v, Address) else v)}


def person(i: int, p: ContactPerson, warnings: list[dict]) -> NewContact | None:
    """A contact person checked; a value it cannot keep is left empty with a warning."""
    first = p.first_name or p.last_name
    new = NewContact(first_name=first, last_name=p.last_name if p.first_name else None,
                     email=p.email, phone=p.phone)
    who = " ".join(x for x in (new.first_name, new.last_name) if x) or f"number {i + 1}"
    for _ in range(2):  # the second pass checks what the first one cut or emptied
        errors = Errors()
        cleaned = clean_contact(new, errors)
        if not errors:
            return cleaned
        for key in errors:
            value = getattr(new, key, None)
            label = f"Contact {who}: {'e-mail' if key == 'email' else key.replace('_', ' ')}"
            limit = column_length(Contact, key) if key in ("first_name", "last_name") else None
            if limit and value:
                warnings.append(warning(f"person{i + 1}_{key}", label, value,
                                        f"is longer than {limit} characters", f"cut to {limit}"))
                new = dataclasses.replace(new, **{key: str(value)[:limit].strip()})
            elif value:
                warnings.append(warning(f"person{i + 1}_{key}", label, value,
                                        reason(key, value, column_length(Contact, key))))
                new = dataclasses.replace(new, **{key: None})
    return None


def share_emails(customer: ExternalCustomer, people: list[NewContact], client_email: str | None,
                 warnings: list[dict]) -> None:
    """Other e-mail addresses go to contact people without one, in order; the rest are warned."""
    taken = {(e or "").casefold() for e in [client_email, *(p.email for p in people)] if e}
    for raw in customer.other_emails:
        address = validation.or_none(validation.email, raw)
        if address is None:
            warnings.append(warning("other_emails", "Other e-mail", raw, REASONS["email"],
                                    "not kept"))
            continue
        if address.casefold() in taken:
            continue
        taken.add(address.casefold())
        without = next((p for p in people if not p.email), None)
        if without is not None:
            without.email = address
        else:
            warnings.append(warning("other_emails", "Other e-mail", raw,
                                    "has no contact person to go to", "not kept"))


def clean_customer(customer: ExternalCustomer, kind: str) -> Cleaned:
    """The customer as client values of this kind, its contact people, and the warnings."""
    out = Cleaned({})
    for name, value in raw_values(customer, kind).items():
        if name in ADDRESS_FIELDS:
            out.values[name] = address_value(name, value, out.warnings)
        else:
            out.values[name] = one_value(name, value, out.warnings)
    people = [p for p in (person(i, x, out.warnings) for i, x in enumerate(
        business_people(customer) if kind == "business" else customer.people)
        if x.first_name or x.last_name) if p is not None]
    share_emails(customer, people, out.values.get("email"), out.warnings)
    out.people = PreparedContacts(people, [], ("new", 0)) if people else None
    return out
