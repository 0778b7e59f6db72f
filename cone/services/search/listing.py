"""The client list query: text search, filters, sort and paging on each engine's index.

Text search goes through the search index of index.py (FTS5 on SQLite; tsvector, or
trigrams for several or one-letter words, on PostgreSQL): every word is a prefix, case
and accents are ignored, and a query's words are also tried run together so "SC 123456"
finds SC123456. One query fetches the page's rows with everything the table shows
(contact, manager, source, deadline): no per-row queries.
"""
from __future__ import annotations

import dataclasses
from datetime import date

from sqlalchemy import Date, cast, func, literal, null, select, union_all

from cone.services.models import Client, Tag, User, db
from cone.services.search.query import COUNT_CAP, ClientQuery, clean
from cone.services.search.pg_sort import COLUMN as NAME_COLUMN
from cone.services.search.sql import (SEARCH, ActiveLink, Manager, PrimaryContact, counted,
                                      filters, joined, matching, name_key, next_deadline,
                                      overdue, searched, sort_order, words)

@dataclasses.dataclass(frozen=True)
class ResultRow:
    """One line of the client table."""
    id: int
    display_name: str
    kind: str
    status: str
    reference: str
    primary_contact: str
    manager: str
    source: str
    archived: bool
    next_deadline: date | None
    overdue: bool


@dataclasses.dataclass
class ResultPage:
    """A page of rows with what the pager and the count need."""
    rows: list[ResultRow]
    page: int
    per_page: int
    total: int    # rows counted, at most the cap
    exact: bool   # False when more rows exist than were counted

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages or not self.exact


def _row_columns(today: date) -> list:
    deadline = next_deadline()
    return [Client.id, Client.display_name, Client.kind, Client.status,
            func.coalesce(Client.company_number, Client.ct_utr, Client.sa_utr, "").label("reference"),
            PrimaryContact.title, PrimaryContact.first_name, PrimaryContact.last_name,
            Manager.name.label("manager"), ActiveLink.provider, Client.archived_at,
            deadline.label("deadline"), overdue(today).label("overdue")]


def _result_row(r) -> ResultRow:
    contact = " ".join(p for p in (r.title, r.first_name, r.last_name) if p)
    return ResultRow(id=r.id, display_name=r.display_name, kind=r.kind, status=r.status,
                     reference=r.reference, primary_contact=contact, manager=r.manager or "",
                     source=r.provider or "manual", archived=r.archived_at is not None,
                     next_deadline=r.deadline, overdue=bool(r.overdue))


def search_clients(params: ClientQuery, *, today: date | None = None, matcher=None) -> ResultPage:
    """One page of the client list: a capped count, then the rows (two queries in all).

    matcher replaces the index lookup (bench/list_search.py passes naive_match).
    """
    params, today = clean(params), today or date.today()
    dialect = db.engine.dialect.name
    q = "" if matcher else params.q
    conds = filters(params, dialect, today)
    if matcher is not None and (naive := matcher(params.q, dialect)) is not None:
        conds.append(naive)
    profile = params.needs_profile
    cap = params.page * params.per_page + COUNT_CAP
    ids = counted(params, q, conds, today=today, limit=cap + 1)
    among = None
    if dialect == "postgresql" and words(q):  # the few matches' ids serve the page query too
        # as one array: a row per id cost the app 3 ms of CPU for a thousand ids, this 0.7
        among = db.session.scalar(select(func.array_agg(ids.subquery().c.id))) or []
        found = len(among)
    else:
        found = db.session.scalar(select(func.count()).select_from(ids.subquery()))
    total, exact = min(found, cap), found <= cap
    page = params.page
    if exact and total and (page - 1) * params.per_page >= total:
        page = -(-total // params.per_page)  # past the end: show the last page instead
    offset = (page - 1) * params.per_page

    def base(*columns, profile=profile):
        stmt = joined(select(*columns), profile=profile)
        among_ids = among if exact else None
        return matching(stmt, q, dialect, many=not exact, among=among_ids).where(*conds)

    # Pick the page's ids on the narrow query, then join the display columns to those rows only.
    # The rows keep the ids' order by position: sorted again by name, SQLite would walk the
    # name index over every client and its joins to meet the page's 25 (without statistics)
    if params.sort == "deadline":
        ids = _deadline_page(base, params, dialect, offset).subquery()
    elif params.sort == "name" and among is not None and not exact:
        ids = _walked(params, q, today).limit(params.per_page).offset(offset).subquery()
    else:
        order = sort_order(params, dialect)
        ids = (base(Client.id, func.row_number().over(order_by=order).label("pos"))
               .order_by(*order).limit(params.per_page).offset(offset).subquery())
    stmt = (joined(select(*_row_columns(today)), people=True).join(ids, ids.c.id == Client.id)
            .order_by(ids.c.pos))
    rows = [_result_row(r) for r in db.session.execute(stmt)]
    return ResultPage(rows=rows, page=page, per_page=params.per_page, total=total, exact=exact)


def _deadline_page(base, params: ClientQuery, dialect: str, offset: int):
    """The page's ids in deadline order without sorting every client.

    Clients with a deadline (those linked to Companies House: few) come first by date;
    the rest follow in name order, walking the name index. Each part stops at the page's
    end, and the page is cut from the two.
    """
    deadline, name, needed = next_deadline(), name_key(dialect), offset + params.per_page
    dated = (base(Client.id, literal(0).label("part"), deadline.label("due"), name.label("name"),
                  profile="inner")
             .where(deadline.is_not(None))
             .order_by(deadline, name, Client.id).limit(needed).subquery())
    undated = (base(Client.id, literal(1).label("part"), cast(null(), Date).label("due"),
                    name.label("name"), profile=True).where(deadline.is_(None))
               .order_by(name, Client.id).limit(needed).subquery())
    both = union_all(select(dated), select(undated)).subquery()
    by_name = both.c.name.collate("NOCASE") if dialect == "sqlite" else both.c.name
    order = [both.c.part, both.c.due, by_name, both.c.id]
    return (select(both.c.id, func.row_number().over(order_by=order).label("pos"))
            .order_by(*order).limit(params.per_page).offset(offset))


def _walked(params: ClientQuery, q: str, today: date):
    """PostgreSQL's ids (id, pos) of more matches than the count counts, in name order.

    The search table's own name index is walked (pg_sort.py) and each row's document tested
    in that row, stopping after one page: client's name index, probing each client's
    document in the search table, took three to four times as long. coalesce() hides the
    test from the planner, whose estimate for a prefix can be hundreds of times too low
    ("gb": 62 for 38,000): it would then fetch every match to sort them.
    """
    order = [SEARCH.c[NAME_COLUMN], SEARCH.c.client_id]
    return (searched(params, q, today, walk=True)
            .add_columns(func.row_number().over(order_by=order).label("pos")).order_by(*order))


def filter_options() -> dict[str, list[tuple[str, str]]]:
    """Choices for the manager and tag filters: every user (former ones marked) and every tag."""
    users = db.session.execute(select(User.id, User.name, User.active)
                               .order_by(func.lower(User.name), User.id))
    tags = db.session.scalars(select(Tag.name).order_by(func.lower(Tag.name)))
    return {"manager": [(str(u.id), u.name if u.active else f"{u.name} (former)") for u in users],
            "tag": [(name, name) for name in tags]}
