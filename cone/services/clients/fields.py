"""The fields a client form sets, their labels, and cleaning of submitted values.

Pure functions (no session): clients.py calls them before anything is written, so a
refusal leaves the database untouched.
"""
from __future__ import annotations

import dataclasses
import functools
from datetime import date
from typing import Any, Callable

from cone.services import validation
from cone.services.models import (ENTITY_TYPES, KINDS, STATUSES, Address, Client,
                                 ClientContact, Contact)

BUSINESS_FIELDS: tuple[str, ...] = (
    "legal_name", "trading_name", "company_number", "entity_type", "incorporation_date",
    "registered_address", "trading_address", "sic_codes", "vat_number", "ct_utr",
    "paye_reference", "accounts_office_reference", "ch_auth_code", "website",
)
INDIVIDUAL_FIELDS: tuple[str, ...] = (
    "title", "first_name", "middle_name", "last_name", "suffix", "known_as", "date_of_birth",
    "ni_number", "sa_utr", "home_address",
)
COMMON_FIELDS: tuple[str, ...] = (
    "status", "internal_reference", "email", "phone", "manager_id", "partner_id",
    "year_end_day", "year_end_month", "tags",
)
FIELD_LABELS: dict[str, str] = {
    "legal_name": "Legal name", "trading_name": "Trading name",
    "company_number": "Company number", "entity_type": "Entity type",
    "incorporation_date": "Incorporation date", "registered_address": "Registered office",
    "trading_address": "Trading address", "sic_codes": "SIC codes", "vat_number": "VAT number",
    "ct_utr": "Corporation tax UTR", "paye_reference": "PAYE reference",
    "accounts_office_reference": "Accounts Office reference",
    "ch_auth_code": "Companies House authentication code", "website": "Website",
    "title": "Title", "first_name": "First name", "middle_name": "Middle name",
    "last_name": "Last name", "suffix": "Suffix", "known_as": "Known as",
    "date_of_birth": "Date of birth", "ni_number": "NI number",
    "sa_utr": "Self-assessment UTR", "home_address": "Home address",
    "status": "Status", "internal_reference": "Internal reference", "email": "E-mail",
    "phone": "Phone", "manager_id": "Manager", "partner_id": "Partner",
    "year_end_day": "Year end day", "year_end_month": "Year end month", "tags": "Tags",
    "archived": "Archived", "primary_contact": "Primary contact", "contact_role": "Role",
}
ADDRESS_FIELDS = {"registered_address": "registered", "trading_address": "trading",
                  "home_address": "home"}
ADDRESS_PART_LABELS = {"line1": "Address line 1", "line2": "Address line 2", "town": "Town",
                       "county": "County", "postcode": "Postcode", "country": "Country"}
UK_NAMES = {"", "uk", "u.k.", "united kingdom", "great britain", "gb", "england", "scotland",
            "wales", "northern ireland"}
TAG_LENGTH = 60

# Formats checked by validation.py, keyed by field name. E-mail checks are the costly ones and
# pure: an import checks each address in the preview, then again for the client and its contact
FORMATS: dict[str, Callable[[str], str]] = {
    "company_number": validation.company_number, "vat_number": validation.vat_number,
    "ct_utr": validation.utr, "sa_utr": validation.utr, "ni_number": validation.ni_number,
    "email": functools.lru_cache(maxsize=16384)(validation.email), "phone": validation.phone,
    "paye_reference": validation.paye_reference,
    "accounts_office_reference": validation.accounts_office_reference,
    "ch_auth_code": validation.ch_auth_code, "website": validation.website,
}
PAST_DATES = {"incorporation_date": "Incorporation date", "date_of_birth": "Date of birth"}
REQUIRED = {"business": ("legal_name",), "individual": ("first_name", "last_name")}


class ClientInvalid(ValueError):
    """Refused input: .errors maps field names ("" for the whole form) to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__(" ".join(m for msgs in errors.values() for m in msgs))


class UnknownContact(ClientInvalid):
    """A contact id that does not exist (any more)."""


@dataclasses.dataclass
class NewContact:
    first_name: str
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    role: str | None = None
    title: str | None = None


class Errors(dict):
    """dict[str, list[str]] with an add() that appends."""

    def add(self, key: str, message: str) -> None:
        """One more message for the field."""
        self.setdefault(key, []).append(message)


def fields_for(kind: str) -> tuple[str, ...]:
    """Every field a form for this kind of client sets."""
    return (BUSINESS_FIELDS if kind == "business" else INDIVIDUAL_FIELDS) + COMMON_FIELDS


@functools.cache
def column_length(model, column: str) -> int | None:
    """The String length of a model column: the most the database will take."""
    return getattr(model.__table__.columns[column].type, "length", None)


def text(value: Any, label: str, limit: int | None, errors: Errors, key: str) -> str | None:
    """Trimmed single-line text or None; refuses control characters (tab and line breaks too)
    and over-long values."""
    if value is None:
        return None
    s = str(value).strip()
    if not s:
        return None
    try:
        validation.plain_text(s)
    except validation.Invalid as e:
        errors.add(key, f"{label}: {e}")
        return s
    if limit and len(s) > limit:
        errors.add(key, f"{label} can have at most {limit} characters (this has {len(s)}).")
    return s


def _date(value: Any, name: str, errors: Errors) -> date | None:
    """A date (or ISO string) that is not in the future."""
    if value in (None, ""):
        return None
    try:
        d = value if isinstance(value, date) else date.fromisoformat(str(value))
        return validation.past_date(d, PAST_DATES[name])
    except validation.Invalid as e:
        errors.add(name, str(e))
    except ValueError:
        errors.add(name, f"{PAST_DATES[name]} is not a date.")
    return None


def _address(value: Any, name: str, errors: Errors) -> Address:
    """Each address part measured; a UK postcode normalised, a foreign one kept."""
    prefix = ADDRESS_FIELDS[name]
    if value is None:
        return Address()
    parts = {}
    for part, label in ADDRESS_PART_LABELS.items():
        key = f"{prefix}_{part}"
        parts[part] = text(getattr(value, part), label, column_length(Client, key), errors, key)
    country = (parts["country"] or "").casefold()
    if parts["postcode"] and country in UK_NAMES and f"{prefix}_postcode" not in errors:
        try:
            parts["postcode"] = validation.postcode(parts["postcode"])
        except validation.Invalid as e:
            errors.add(f"{prefix}_postcode", str(e))
    return Address(**parts)


def _int(value: Any, name: str, errors: Errors) -> int | None:
    """A whole number such as a user id or a year-end day."""
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        errors.add(name, f"{FIELD_LABELS[name]} must be a number.")
        return None


def clean_tags(value: Any, errors: Errors) -> list[str]:
    """Tag names trimmed, de-duplicated ignoring case; a string is split on commas."""
    names = value.split(",") if isinstance(value, str) else list(value or [])
    out: list[str] = []
    for raw in names:
        name = text(" ".join(str(raw).split()), "A tag", TAG_LENGTH, errors, "tags")
        if name and name.casefold() not in {n.casefold() for n in out}:
            out.append(name)
    return out


def clean_value(name: str, value: Any, errors: Errors) -> Any:
    """One submitted value checked and normalised; problems are added to errors."""
    if name in ADDRESS_FIELDS:
        return _address(value, name, errors)
    if name in PAST_DATES:
        return _date(value, name, errors)
    if name == "tags":
        return clean_tags(value, errors)
    if name in ("manager_id", "partner_id", "year_end_day", "year_end_month"):
        return _int(value, name, errors)
    if name == "sic_codes":
        joined = value if isinstance(value, str) else " ".join(map(str, value or []))
        try:
            return validation.sic_codes(joined) or None
        except validation.Invalid as e:
            errors.add(name, str(e))
            return None
    label, limit = FIELD_LABELS[name], column_length(Client, name)
    # Formatted values are measured once normalised: spaces typed in them do not count
    s = text(value, label, None if name in FORMATS else limit, errors, name)
    if s is None or name in errors:
        return s
    if name in FORMATS:
        try:
            s = FORMATS[name](s)
        except validation.Invalid as e:
            errors.add(name, str(e))
            return s
        text(s, label, limit, errors, name)
    elif name == "status" and s not in STATUSES:
        errors.add(name, "Choose customer or prospect.")
    elif name == "entity_type" and s not in ENTITY_TYPES:
        errors.add(name, "Choose an entity type from the list.")
    return s


def clean_client(kind: str, data: dict[str, Any], errors: Errors, *,
                 partial: bool = False) -> dict[str, Any]:
    """Cleaned values for the fields in data; unknown fields are refused."""
    if kind not in KINDS:
        errors.add("kind", "Choose business or individual.")
        return {}
    allowed = set(fields_for(kind))
    cleaned = {}
    for name, value in data.items():
        if name == "kind":
            if value != kind:
                errors.add("kind", "A client's kind cannot be changed.")
        elif name not in allowed:
            errors.add("", f"“{name}” is not a field of a {kind} client.")
        else:
            cleaned[name] = clean_value(name, value, errors)
    for name in REQUIRED[kind]:
        if (name in cleaned or not partial) and not cleaned.get(name) and name not in errors:
            errors.add(name, f"Enter the {FIELD_LABELS[name].lower()}.")
    if "status" in cleaned and cleaned["status"] is None and "status" not in errors:
        cleaned["status"] = "customer"
    return cleaned


def check_year_end(values: dict[str, Any], errors: Errors) -> None:
    """Year end day and month are given together and make a real date."""
    day, month = values.get("year_end_day"), values.get("year_end_month")
    if "year_end_day" in errors or "year_end_month" in errors or (day is None and month is None):
        return
    if day is None or month is None:
        errors.add("year_end_day" if day is None else "year_end_month",
                   "Give both the day and the month of the year end.")
        return
    try:
        validation.year_end(day, month)
    except validation.Invalid as e:
        errors.add("year_end_day", str(e))


def clean_contact(new: NewContact, errors: Errors, prefix: str = "") -> NewContact:
    """A typed-in contact checked like the contact form checks it; keys are prefix + field."""
    out = {}
    for f in dataclasses.fields(NewContact):
        key, label = prefix + f.name, f.name.replace("_", " ").capitalize()
        column = column_length(ClientContact if f.name == "role" else Contact, f.name)
        label = "E-mail" if f.name == "email" else label
        formatted = f.name in ("email", "phone")
        value = text(getattr(new, f.name), label, None if formatted else column, errors, key)
        if value and formatted and key not in errors:
            try:
                value = FORMATS[f.name](value)
                text(value, label, column, errors, key)
            except validation.Invalid as e:
                errors.add(key, str(e))
        out[f.name] = value
    if not out["first_name"] and prefix + "first_name" not in errors:
        errors.add(prefix + "first_name", "Enter the contact's first name.")
    return NewContact(**out)


def display_name(kind: str, values: dict[str, Any]) -> str:
    """Business: the legal name; individual: the name known by, else "First Middle Last"."""
    if kind == "business":
        name = values.get("legal_name") or values.get("trading_name") or ""
    elif values.get("known_as"):
        name = values["known_as"]
    else:
        name = " ".join(values[p] for p in ("first_name", "middle_name", "last_name")
                        if values.get(p))
    return name[:column_length(Client, "display_name")]
