"""What templates use besides their context: dates as people read them, codes put into words,
names isolated from the text around them, the provider names and the workspace tabs."""
import calendar
import re
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask
from markupsafe import Markup

from cone.services import workspace
from cone.services.imports.run import state as run_state
from cone.services.models import ENTITY_TYPES
from cone.services.providers.codes import (
    describe_company_status, describe_company_type, describe_nature_of_control,
    describe_officer_role, sic_description)
from cone.services.sources import PROVIDER_NAMES, SOURCE_NAMES

try:
    LOCAL = ZoneInfo("Europe/London")  # the firm's clock, whatever the server's
except ZoneInfoNotFoundError:
    LOCAL = timezone.utc

ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d")

PSC_KINDS = {
    "individual-person-with-significant-control": "Individual",
    "corporate-entity-person-with-significant-control": "Corporate entity",
    "legal-person-person-with-significant-control": "Legal person",
    "super-secure-person-with-significant-control": "Protected (details withheld)",
    "individual-beneficial-owner": "Individual beneficial owner",
    "corporate-entity-beneficial-owner": "Corporate beneficial owner",
    "legal-person-beneficial-owner": "Legal person beneficial owner",
    "super-secure-beneficial-owner": "Protected beneficial owner",
}


def long_date(value: date | datetime | str | None) -> str:
    """"5 March 2020" for a date or ISO text; a stored UTC time adds the UK clock: "… 14:05"."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime):
        t = value.astimezone(LOCAL)
        return f"{t.day} {t:%B %Y %H:%M}"
    return f"{value.day} {value:%B %Y}" if value else ""


def month_name(value: int | None) -> str:
    """1 -> "January"; anything else -> ""."""
    return calendar.month_name[value] if value and 1 <= value <= 12 else ""


def birth(month: int | None, year: int | None) -> str:
    """Month and year of birth ("March 1970"): Companies House never publishes the day."""
    if year and month and 1 <= month <= 12:
        return f"{calendar.month_name[month]} {year}"
    return str(year) if year else ""


def field_value(value, field: str):
    """A value from a field-level change as people read it (labels, long dates, months)."""
    if field == "entity_type" and isinstance(value, str):
        return ENTITY_TYPES.get(value, value)
    if field in ("status", "kind") and isinstance(value, str):
        return value.capitalize()
    if field == "year_end_month" and isinstance(value, int):
        return month_name(value)
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        return long_date(value)
    return value


def psc_kind(code: str | None) -> str:
    """A PSC's kind in words; unknown kinds are made readable rather than hidden."""
    return PSC_KINDS.get(code or "") or (code or "").replace("-", " ").capitalize()


def is_person(row) -> bool:
    """Whether an officer or PSC row is a natural person, who can become a contact."""
    kind = getattr(row, "kind", None)
    if kind is not None:
        return kind.startswith("individual")
    return not (row.role or "").startswith("corporate")


def bdi(value) -> Markup:
    """A name typed by someone, in <bdi>: its direction (a bidi override, right-to-left text)
    cannot reach the words around it."""
    return Markup("<bdi>%s</bdi>") % ("" if value is None else value)


def fsi(value) -> str:
    """The same isolation where text is drawn but no markup may go (<title>, <option>): the
    name between U+2068 FIRST STRONG ISOLATE and U+2069 POP DIRECTIONAL ISOLATE."""
    return "" if value in (None, "") else f"\u2068{value}\u2069"


def init_app(app: Flask) -> None:
    """Register the filters, tests and globals every template may use."""
    for name, function in {
        "long_date": long_date, "month_name": month_name, "field_value": field_value,
        "ch_status": describe_company_status, "ch_type": describe_company_type,
        "ch_role": describe_officer_role, "ch_control": describe_nature_of_control,
        "sic_description": sic_description, "psc_kind": psc_kind, "bdi": bdi, "fsi": fsi,
        "run_state": run_state,
    }.items():
        app.add_template_filter(function, name)
    app.add_template_test(is_person, "person")
    app.add_template_global(birth, "birth_month_year")
    # Templates rendered by views other than the workspace's need the tabs too
    app.add_template_global(workspace.tabs_for, "workspace_tabs")
    app.add_template_global(PROVIDER_NAMES, "provider_names")
    app.add_template_global(SOURCE_NAMES, "source_names")
