"""Companies House records in our terms, and the lenient reading of the API's JSON into them.

Parsing is lenient on purpose: real responses omit optional members, send numbers as zero-padded
strings and add undocumented fields, and new enumeration values appear over time, so nothing
here rejects what it does not know.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from cone.services import validation
from cone.services.models import Address
from cone.services.providers.base import ProviderBadResponse


@dataclass(frozen=True)
class CompanySearchItem:
    company_number: str
    title: str
    company_status: str | None
    company_type: str | None
    date_of_creation: date | None
    postcode: str | None
    address_snippet: str | None


@dataclass(frozen=True)
class OfficerRecord:
    name: str
    role: str | None
    appointed_on: date | None
    resigned_on: date | None
    nationality: str | None
    occupation: str | None
    country_of_residence: str | None
    birth_month: int | None
    birth_year: int | None


@dataclass(frozen=True)
class PscRecord:
    kind: str
    name: str
    natures_of_control: tuple
    notified_on: date | None
    ceased_on: date | None
    nationality: str | None
    country_of_residence: str | None
    birth_month: int | None
    birth_year: int | None
    registration_number: str | None


@dataclass(frozen=True)
class CompanyRecord:
    company_number: str
    company_name: str
    company_status: str | None
    company_type: str | None
    date_of_creation: date | None
    date_of_cessation: date | None
    registered_office: Address
    sic_codes: tuple
    accounting_reference_day: int | None
    accounting_reference_month: int | None
    accounts_next_due: date | None
    accounts_next_made_up_to: date | None
    accounts_last_made_up_to: date | None
    accounts_overdue: bool
    confirmation_statement_next_due: date | None
    confirmation_statement_next_made_up_to: date | None
    confirmation_statement_overdue: bool
    previous_names: tuple
    officers: tuple
    pscs: tuple
    etag: str | None


def items(body: dict) -> list[dict]:
    """The objects in a list answer's items (none when it has no items member)."""
    found = body.get("items")
    if found is None:
        return []
    if not isinstance(found, list):
        raise ProviderBadResponse("Companies House sent a list in an unexpected shape.")
    return [i for i in found if isinstance(i, dict)]


def _str(v: Any) -> str | None:
    """Every text member of a record: one line, control characters dropped."""
    if v is None or isinstance(v, (dict, list)):
        return None
    s = " ".join(validation.without_controls(str(v)).split())
    return s or None


def to_int(v: Any) -> int | None:
    """A whole number from a number or numeric text ("05" → 5); None for anything else."""
    try:
        return int(str(v).strip()) if v is not None and str(v).strip() else None
    except ValueError:
        return None


def _date(v: Any) -> date | None:
    try:
        return date.fromisoformat(str(v)[:10]) if v else None
    except ValueError:
        return None


def _bool(v: Any) -> bool:
    return v is True or str(v).lower() == "true"


def _dict(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


def _address(a: Any) -> Address:
    """Our Address from a Companies House address; premises joins the first line."""
    a = _dict(a)
    premises, line1 = _str(a.get("premises")), _str(a.get("address_line_1"))
    if premises and line1:
        # "12" + "High Street" reads "12 High Street"; "Unit 4" + "Mill Lane" keeps a comma
        sep = " " if re.fullmatch(r"\d+[A-Za-z]?(-\d+[A-Za-z]?)?", premises) else ", "
        line1 = premises + sep + line1
    line2 = _str(a.get("address_line_2"))
    po_box = _str(a.get("po_box"))
    if po_box:
        po_box = po_box if po_box.upper().startswith("PO") else f"PO Box {po_box}"
        line2 = f"{line2}, {po_box}" if line2 else po_box
    return Address(line1=line1 or premises, line2=line2, town=_str(a.get("locality")),
                   county=_str(a.get("region")), postcode=_str(a.get("postal_code")),
                   country=_str(a.get("country")))


def _birth(item: dict) -> tuple[int | None, int | None]:
    dob = _dict(item.get("date_of_birth"))
    return to_int(dob.get("month")), to_int(dob.get("year"))


def search_item(i: dict) -> CompanySearchItem | None:
    """One search hit; None without a company number."""
    number = _str(i.get("company_number"))
    if not number:
        return None
    return CompanySearchItem(
        company_number=number, title=_str(i.get("title")) or number,
        company_status=_str(i.get("company_status")), company_type=_str(i.get("company_type")),
        date_of_creation=_date(i.get("date_of_creation")),
        postcode=_str(_dict(i.get("address")).get("postal_code")),
        address_snippet=_str(i.get("address_snippet")))


def officer(i: dict) -> OfficerRecord | None:
    """One officer; None without a name."""
    name = _str(i.get("name"))
    if not name:
        return None
    month, year = _birth(i)
    return OfficerRecord(
        name=name, role=_str(i.get("officer_role")), appointed_on=_date(i.get("appointed_on")),
        resigned_on=_date(i.get("resigned_on")), nationality=_str(i.get("nationality")),
        occupation=_str(i.get("occupation")),
        country_of_residence=_str(i.get("country_of_residence")),
        birth_month=month, birth_year=year)


def psc(i: dict) -> PscRecord | None:
    """One person with significant control; None for statements and nameless entries."""
    kind = _str(i.get("kind")) or "unknown"
    if "statement" in kind:  # statements are about the register, not a person
        return None
    name = _str(i.get("name")) or _str(i.get("description"))
    if not name:
        return None
    month, year = _birth(i)
    natures = i.get("natures_of_control")
    ident = _dict(i.get("identification"))
    ceased = _date(i.get("ceased_on"))
    return PscRecord(
        kind=kind, name=name,
        natures_of_control=tuple(filter(None, map(_str, natures))) if isinstance(natures, list)
        else (),
        notified_on=_date(i.get("notified_on")), ceased_on=ceased,
        nationality=_str(i.get("nationality")),
        country_of_residence=_str(i.get("country_of_residence")),
        birth_month=month, birth_year=year,
        registration_number=_str(ident.get("registration_number")))


def _previous_names(v: Any) -> tuple:
    out = []
    for p in v if isinstance(v, list) else []:
        p = _dict(p)
        if _str(p.get("name")):
            out.append({"name": _str(p.get("name")),
                        "effective_from": _str(p.get("effective_from")),
                        "ceased_on": _str(p.get("ceased_on"))})
    return tuple(out)


def company(p: dict, number: str, officers: tuple, pscs: tuple) -> CompanyRecord:
    """A CompanyRecord from a profile body; the deprecated mirrors fill gaps in the new members."""
    accounts, cs = _dict(p.get("accounts")), _dict(p.get("confirmation_statement"))
    ard = _dict(accounts.get("accounting_reference_date"))
    nxt, last = _dict(accounts.get("next_accounts")), _dict(accounts.get("last_accounts"))
    sic = p.get("sic_codes")
    return CompanyRecord(
        company_number=_str(p.get("company_number")) or number,
        company_name=_str(p.get("company_name")) or number,
        company_status=_str(p.get("company_status")), company_type=_str(p.get("type")),
        date_of_creation=_date(p.get("date_of_creation")),
        date_of_cessation=_date(p.get("date_of_cessation")),
        registered_office=_address(p.get("registered_office_address")),
        sic_codes=tuple(filter(None, map(_str, sic))) if isinstance(sic, list) else (),
        accounting_reference_day=to_int(ard.get("day")),
        accounting_reference_month=to_int(ard.get("month")),
        accounts_next_due=_date(nxt.get("due_on") or accounts.get("next_due")),
        accounts_next_made_up_to=_date(nxt.get("period_end_on")
                                       or accounts.get("next_made_up_to")),
        accounts_last_made_up_to=_date(last.get("made_up_to")),
        accounts_overdue=_bool(nxt.get("overdue", accounts.get("overdue"))),
        confirmation_statement_next_due=_date(cs.get("next_due")),
        confirmation_statement_next_made_up_to=_date(cs.get("next_made_up_to")),
        confirmation_statement_overdue=_bool(cs.get("overdue")),
        previous_names=_previous_names(p.get("previous_company_names")),
        officers=officers, pscs=pscs, etag=_str(p.get("etag")))
