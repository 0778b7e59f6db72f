"""CSV export of the client list: every client of the current view, no paging, streamed."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime

from sqlalchemy import case, func, select

from cone.services.models import Client, Tag, client_tags, db
from cone.services.search.query import ClientQuery, clean
from cone.services.search.sql import (ActiveLink, Manager, PrimaryContact, Profile, conditions,
                                      joined, next_deadline, overdue, sort_order)


def _tag_names():
    """Correlated subquery: the client's tags as one comma-separated string."""
    names = (func.string_agg(Tag.name, ", ") if db.engine.dialect.name == "postgresql"
             else func.group_concat(Tag.name, ", "))
    return (select(names).select_from(client_tags).join(Tag, Tag.id == client_tags.c.tag_id)
            .where(client_tags.c.client_id == Client.id).scalar_subquery())


# A cell starting with one of these is a formula to a spreadsheet: =HYPERLINK(...) and friends
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

EXPORT_COLUMNS = [
    ("Name", Client.display_name), ("Kind", Client.kind), ("Status", Client.status),
    ("Legal name", Client.legal_name), ("Trading name", Client.trading_name),
    ("Company number", Client.company_number), ("VAT number", Client.vat_number),
    ("Corporation tax UTR", Client.ct_utr), ("Self assessment UTR", Client.sa_utr),
    ("E-mail", Client.email), ("Phone", Client.phone),
    ("Postcode", func.coalesce(Client.registered_postcode, Client.home_postcode,
                               Client.trading_postcode)),
    ("Primary contact first name", PrimaryContact.first_name),
    ("Primary contact last name", PrimaryContact.last_name),
    ("Primary contact e-mail", PrimaryContact.email), ("Manager", Manager.name),
    ("Source", func.coalesce(ActiveLink.provider, "manual")),
    ("Companies House status", Profile.company_status),
]


def export_rows(params: ClientQuery, *, today: date | None = None) -> Iterator[list]:
    """Every client matching params (no paging), header first, streamed in batches."""
    params, today = clean(params), today or date.today()
    dialect = db.engine.dialect.name
    extra = [("Next Companies House deadline", next_deadline()), ("Overdue", case((overdue(today), "yes"), else_="")),
             ("Tags", _tag_names()), ("Created", Client.created_at), ("Updated", Client.updated_at),
             ("Archived", Client.archived_at), ("Cone id", Client.id)]
    columns = EXPORT_COLUMNS + extra
    yield [label for label, _ in columns]
    stmt = (joined(select(*(col for _, col in columns)), people=True)
            .where(*conditions(params, dialect, today)).order_by(*sort_order(params, dialect)))
    # yield_per streams through a server-side cursor on PostgreSQL: memory stays flat
    for row in db.session.execute(stmt.execution_options(yield_per=1000)):
        yield [_cell(v) for v in row]


def safe_cell(value) -> str:
    """A CSV cell that Excel and LibreOffice show as text, never run as a formula."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def export_csv(params: ClientQuery, *, today: date | None = None) -> Iterator[str]:
    """export_rows as CSV text, one line at a time, after a UTF-8 BOM so Excel reads the accents.

    Every cell goes through safe_cell: a client's name must never run in a spreadsheet.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"
    for row in export_rows(params, today=today):
        writer.writerow([safe_cell(v) for v in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _cell(value):
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return "" if value is None else value
