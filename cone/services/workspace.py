"""The client workspace's data: the client with its header, and each tab's own queries.

Each function loads what one tab shows in a fixed number of queries, whatever the
number of contacts, officers or events (selectinload, never a lazy load per row).
"""
from __future__ import annotations

import calendar
import dataclasses
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from cone.services.models import (ActivityEvent, Client, ClientContact, CompaniesHouseProfile,
                                  User, db)

TABS: dict[str, str] = {
    "overview": "Overview", "contacts": "Contacts", "companies-house": "Companies House",
    "deadlines": "Deadlines", "notes": "Notes", "activity": "Activity",
    "related": "Related clients",
}
BUSINESS_ONLY = {"companies-house"}
ACTIVITY_PAGE = 50
RECENT = 5
SOON_DAYS = 30
PEOPLE_FIELDS = ("manager_id", "partner_id")


def tabs_for(client: Client) -> list[tuple[str, str]]:
    """The tabs a client's workspace offers, in order: (key, label)."""
    return [(key, label) for key, label in TABS.items()
            if client.kind == "business" or key not in BUSINESS_ONLY]


def choose_tab(client: Client, requested: str | None) -> str:
    """The tab to show: the requested one if this client has it, else the overview."""
    return requested if requested in dict(tabs_for(client)) else "overview"


def load_client(client_id: int) -> Client | None:
    """The client with everything its header shows (tags, people, source, contacts) loaded."""
    stmt = (select(Client).where(Client.id == client_id)
            .options(joinedload(Client.manager), joinedload(Client.partner),
                     selectinload(Client.tags), selectinload(Client.external_links),
                     selectinload(Client.contact_links).joinedload(ClientContact.contact)))
    return db.session.scalars(stmt).first()


def companies_house_profile(client_id: int) -> CompaniesHouseProfile | None:
    """What Companies House said at the last sync, officers and PSCs loaded; None if never."""
    stmt = (select(CompaniesHouseProfile).where(CompaniesHouseProfile.client_id == client_id)
            .options(selectinload(CompaniesHouseProfile.officers),
                     selectinload(CompaniesHouseProfile.significant_controls)))
    return db.session.scalars(stmt).first()


# ---- activity -------------------------------------------------------------------------------

@dataclasses.dataclass
class ActivityPage:
    """One page of a client's timeline, newest first."""
    events: list[ActivityEvent]
    total: int
    older_than: int | None  # the cursor for the next, older page; None on the last page
    people: dict[int, str]  # user ids named in manager/partner changes -> names
    paged: bool = False  # True past the first page


def activity_page(client_id: int, *, older_than: int | None = None,
                  per_page: int = ACTIVITY_PAGE) -> ActivityPage:
    """Events for the client older than the event older_than (all when None), newest first."""
    where = [ActivityEvent.client_id == client_id]
    if older_than is not None:
        cursor = db.session.execute(select(ActivityEvent.created_at, ActivityEvent.id).where(
            ActivityEvent.id == older_than, ActivityEvent.client_id == client_id)).first()
        if cursor is not None:
            # keyset paging: stable while new events arrive at the top
            where.append(or_(ActivityEvent.created_at < cursor.created_at,
                             (ActivityEvent.created_at == cursor.created_at)
                             & (ActivityEvent.id < cursor.id)))
    stmt = (select(ActivityEvent).where(*where).options(joinedload(ActivityEvent.user))
            .order_by(ActivityEvent.created_at.desc(), ActivityEvent.id.desc())
            .limit(per_page + 1))
    events = list(db.session.scalars(stmt))
    more = len(events) > per_page
    events = events[:per_page]
    total = db.session.scalar(select(func.count()).select_from(ActivityEvent)
                              .where(ActivityEvent.client_id == client_id))
    return ActivityPage(events=events, total=total or 0,
                        older_than=events[-1].id if more else None, people=_people(events),
                        paged=older_than is not None)


def _people(events: list[ActivityEvent]) -> dict[int, str]:
    """Names for the user ids that manager and partner changes store."""
    ids = {v for e in events for ch in (e.changes or []) if ch.get("field") in PEOPLE_FIELDS
           for v in (ch.get("before"), ch.get("after")) if isinstance(v, int)}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


# ---- deadlines ------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Deadline:
    """A filing date with how far away it is."""
    label: str
    due: date
    detail: str
    days_left: int  # negative once the date has passed
    overdue: bool

    @property
    def state(self) -> str:
        """overdue, soon (within 30 days) or ok: the colour the page gives it."""
        if self.overdue:
            return "overdue"
        return "soon" if self.days_left <= SOON_DAYS else "ok"


@dataclasses.dataclass(frozen=True)
class YearEnd:
    """The client's financial year end and the next date it falls on."""
    day: int
    month: int
    next_date: date
    days_left: int
    source: str  # "client" or "companies_house"


def _long(d: date | None) -> str:
    """A date as "5 March 2025"."""
    return f"{d.day} {d:%B %Y}" if d else ""


def _deadline(label: str, due: date | None, made_up_to: date | None, flagged: bool,
              today: date) -> Deadline | None:
    """The deadline for a due date, or None when Companies House gave none."""
    if due is None:
        return None
    detail = f"For the period to {_long(made_up_to)}" if made_up_to else ""
    days = (due - today).days
    # Companies House's own flag counts, and so does a date that has passed since the last sync
    return Deadline(label, due, detail, days, bool(flagged) or days < 0)


def next_occurrence(day: int, month: int, today: date) -> date:
    """The first day-of-month on or after today; 29 February falls back to the 28th."""
    for year in (today.year, today.year + 1):
        candidate = date(year, month, min(day, calendar.monthrange(year, month)[1]))
        if candidate >= today:
            return candidate
    raise AssertionError("unreachable: next year always qualifies")


def deadlines(client: Client, profile: CompaniesHouseProfile | None,
              today: date | None = None) -> tuple[list[Deadline], YearEnd | None]:
    """Accounts and confirmation statement dates (from Companies House) and the year end."""
    today = today or date.today()
    found: list[Deadline] = []
    if profile is not None:
        found = [d for d in (
            _deadline("Accounts", profile.accounts_next_due, profile.accounts_next_made_up_to,
                      profile.accounts_overdue, today),
            _deadline("Confirmation statement", profile.confirmation_statement_next_due,
                      profile.confirmation_statement_next_made_up_to,
                      profile.confirmation_statement_overdue, today)) if d]
        found.sort(key=lambda d: d.due)
    year_end = None
    if client.year_end_day and client.year_end_month:
        day, month, source = client.year_end_day, client.year_end_month, "client"
    elif profile is not None and profile.accounting_reference_day \
            and profile.accounting_reference_month:
        day, month = profile.accounting_reference_day, profile.accounting_reference_month
        source = "companies_house"
    else:
        return found, None
    nxt = next_occurrence(day, month, today)
    year_end = YearEnd(day, month, nxt, (nxt - today).days, source)
    return found, year_end
