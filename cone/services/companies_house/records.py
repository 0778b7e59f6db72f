"""Storing a fetched company: client field values, the CompaniesHouseProfile with its officers
and PSCs, the raw payload, and readable snapshots for sync diffs. No commits here."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime

from sqlalchemy import select

from cone.services.clients.fields import Errors, clean_value, column_length
from cone.services.models import (Address, Client, CompaniesHouseProfile, Officer,
                                 SignificantControl, db)
from cone.services.providers.codes import (describe_company_status, describe_company_type,
                                           describe_officer_role)
from cone.services.providers.companies_house_records import CompanyRecord

# Profile members shown in a sync diff; those mirrored by client fields are diffed there
PROFILE_LABELS = {
    "company_name": "Company name", "company_status": "Company status",
    "company_type": "Company type", "date_of_cessation": "Ceased on",
    "accounting_reference_date": "Accounting reference date",
    "accounts_next_due": "Accounts next due",
    "accounts_next_made_up_to": "Accounts next made up to",
    "accounts_last_made_up_to": "Accounts last made up to",
    "accounts_overdue": "Accounts overdue",
    "confirmation_statement_next_due": "Confirmation statement next due",
    "confirmation_statement_next_made_up_to": "Confirmation statement next made up to",
    "confirmation_statement_overdue": "Confirmation statement overdue",
    "previous_names": "Previous names", "officers": "Officers",
    "pscs": "People with significant control",
}
COPIED = ("company_number", "company_name", "company_status", "company_type",
          "date_of_creation", "date_of_cessation",
          "accounting_reference_day", "accounting_reference_month", "accounts_next_due",
          "accounts_next_made_up_to", "accounts_last_made_up_to", "accounts_overdue",
          "confirmation_statement_next_due", "confirmation_statement_next_made_up_to",
          "confirmation_statement_overdue")
OFFICER_FIELDS = ("name", "role", "appointed_on", "resigned_on", "nationality", "occupation",
                  "country_of_residence", "birth_month", "birth_year")
PSC_FIELDS = ("kind", "name", "natures_of_control", "notified_on", "ceased_on", "nationality",
              "country_of_residence", "birth_month", "birth_year", "registration_number")


def _fit(model, column: str, value):
    """A string cut to the column's length: Companies House is the authority, not our limits."""
    limit = column_length(model, column)
    return value[:limit] if isinstance(value, str) and limit else value


def _fallback(name: str, value):
    """The fetched value as it came, when our own input rules would refuse it."""
    if isinstance(value, Address):
        prefix = "registered"
        return Address(**{p: _fit(Client, f"{prefix}_{p}", v)
                          for p, v in dataclasses.asdict(value).items()})
    if name == "sic_codes":
        return [c.zfill(5) for c in value or [] if c.isdigit() and len(c) <= 5] or None
    return _fit(Client, name, value)


def fetched_values(record: CompanyRecord, entity_type: str) -> dict:
    """The client fields Companies House owns, normalised as the create form would."""
    raw = {"legal_name": record.company_name, "company_number": record.company_number,
           "entity_type": entity_type, "incorporation_date": record.date_of_creation,
           "registered_address": record.registered_office,
           "sic_codes": list(record.sic_codes) or None}
    out = {}
    for name, value in raw.items():
        errors = Errors()
        cleaned = clean_value(name, value, errors)
        out[name] = _fallback(name, value) if errors else cleaned
    return out


def _jsonable(value):
    """The value as plain JSON (dates as ISO text, dataclasses as dicts)."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if dataclasses.is_dataclass(value):
        return _jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def payload(record: CompanyRecord) -> dict:
    """The fetched company as JSON, kept on the ExternalLink as the last payload."""
    return _jsonable(record)


def _sync_rows(existing: list, records: tuple, model, fields: tuple, key) -> list:
    """Update rows that match a record by key, add new ones; unmatched rows are dropped.

    Matching keeps row ids stable across resyncs, so an "Add as contact" button rendered
    before a resync still points at the same person.
    """
    by_key = {}
    for row in existing:
        by_key.setdefault(key(row), []).append(row)
    rows = []
    for rec in records:
        matches = by_key.get(key(rec))
        row = matches.pop(0) if matches else model()
        for name in fields:
            value = getattr(rec, name)
            setattr(row, name, list(value) if isinstance(value, tuple) else
                    _fit(model, name, value))
        rows.append(row)
    return rows


def store_profile(client: Client, record: CompanyRecord, fetched_at) -> CompaniesHouseProfile:
    """Create or refresh the client's CompaniesHouseProfile with its officers and PSCs."""
    profile = db.session.scalars(select(CompaniesHouseProfile).where(
        CompaniesHouseProfile.client_id == client.id)).first()
    if profile is None:
        profile = CompaniesHouseProfile(client_id=client.id)
        db.session.add(profile)
    for name in COPIED:
        setattr(profile, name, _fit(CompaniesHouseProfile, name, getattr(record, name)))
    profile.registered_office = _fallback("registered_address", record.registered_office)
    profile.sic_codes = list(record.sic_codes) or None
    profile.previous_names = list(record.previous_names) or None
    profile.fetched_at = fetched_at
    profile.officers = _sync_rows(profile.officers, record.officers, Officer, OFFICER_FIELDS,
                                  lambda o: (o.name, o.role, o.appointed_on))
    profile.significant_controls = _sync_rows(
        profile.significant_controls, record.pscs, SignificantControl, PSC_FIELDS,
        lambda p: (p.kind, p.name, p.notified_on))
    return profile


def _officer_line(o: Officer) -> str:
    """An officer in one line for a diff: name, role and when they resigned."""
    role = describe_officer_role(o.role)
    gone = f", resigned {o.resigned_on.isoformat()}" if o.resigned_on else ""
    return f"{o.name} ({role}{gone})" if role else f"{o.name}{gone}"


def _psc_line(p: SignificantControl) -> str:
    """A PSC in one line for a diff: name and when their control ceased."""
    return p.name + (f" (ceased {p.ceased_on.isoformat()})" if p.ceased_on else "")


def profile_snapshot(profile: CompaniesHouseProfile) -> dict:
    """The profile as readable values, for a field-level diff between two syncs."""
    day, month = profile.accounting_reference_day, profile.accounting_reference_month
    plain = {n: (v.isoformat() if isinstance(v, date) else v)
             for n in COPIED for v in [getattr(profile, n)]}
    plain.update({
        "company_status": describe_company_status(profile.company_status) or None,
        "company_type": describe_company_type(profile.company_type) or None,
        "accounting_reference_date": f"{day:02d}/{month:02d}" if day and month else None,
        "previous_names": [p.get("name") for p in profile.previous_names or []],
        "officers": sorted(_officer_line(o) for o in profile.officers),
        "pscs": sorted(_psc_line(p) for p in profile.significant_controls),
    })
    return {n: plain[n] for n in PROFILE_LABELS}
