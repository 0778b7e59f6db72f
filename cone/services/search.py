"""The client list query: text search, filters, sort and paging on each engine's index.

Text search goes through the search index of search_index.py (FTS5 on SQLite, tsvector on
PostgreSQL): every word is a prefix, case and accents are ignored, and a query's words are
also tried run together so "SC 123456" finds SC123456. One query fetches the page's rows
with everything the table shows (contact, manager, source, deadline): no per-row queries.
"""
from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from sqlalchemy import (Date, and_, case, cast, column, exists, false, func, literal,
                        literal_column, null, or_, select, table, text, union_all)
from sqlalchemy.orm import aliased

from cone.services.search_index import SPELLED_OUT
from cone.services.models import (PROVIDERS, Client, ClientContact, CompaniesHouseProfile,
                                  Contact, ExternalLink, Tag, User, client_tags, db)

SORTS = {"name": "Name", "created": "Newest first", "updated": "Recently updated",
         "deadline": "Next deadline"}
SOURCES = {"manual": "Manual", "companies_house": "Companies House", "xero": "Xero",
           "quickbooks": "QuickBooks", "freeagent": "FreeAgent", "sage": "Sage"}
DUE = {"accounts_30d": "Accounts due in 30 days", "cs_30d": "Confirmation statement due in 30 days",
       "overdue": "Anything overdue"}
PER_PAGE = (25, 50, 100)
# Counting stops this far past the current page: "1,000+ clients" costs the same at any size
COUNT_CAP = 1000
MAX_WORDS = 8

Manager = aliased(User)
Primary = aliased(ClientContact)
PrimaryContact = aliased(Contact)
ActiveLink = aliased(ExternalLink)
Profile = CompaniesHouseProfile


@dataclasses.dataclass(frozen=True)
class ClientQuery:
    """What the list shows: every field is one GET parameter of /clients."""
    q: str = ""
    kind: str = ""
    status: str = ""
    source: str = ""
    manager: str = ""  # a user id, or "none" for clients without a manager
    tag: str = ""
    ch_status: str = ""
    due: str = ""
    archived: bool = False
    sort: str = "name"
    page: int = 1
    per_page: int = 25


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


def fold(value: str) -> str:
    """Lower case without accents: the form both indexes store words in."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    plain = "".join(SPELLED_OUT.get(ch, ch) for ch in decomposed if not unicodedata.combining(ch))
    return plain.lower()


def words(q: str) -> list[str]:
    """The search words of q: runs of letters and digits, punctuation dropped."""
    return re.findall(r"[^\W_]+", fold(q))[:MAX_WORDS]


def _index_query(q: str, dialect: str) -> str | None:
    """The index's query for q: every word as a prefix, or all of them run together."""
    terms = words(q)
    if not terms:
        return None
    joined = "".join(terms)
    if dialect == "postgresql":
        expr = " & ".join(f"{t}:*" for t in terms)
        return f"({expr}) | {joined}:*" if len(terms) > 1 else expr
    expr = " AND ".join(f'"{t}"*' for t in terms)
    return f'({expr}) OR "{joined}"*' if len(terms) > 1 else expr


def _index(dialect: str):
    """The index table (its key column is the client id) and the condition for a query."""
    if dialect == "postgresql":
        return (table("client_search", column("client_id")).c.client_id,
                text("client_search.doc @@ to_tsquery('simple', :tsq)"), "tsq")
    return table("client_search", column("rowid")).c.rowid, text("client_search MATCH :fts"), "fts"


def _match_ids(q: str, dialect: str):
    """A subquery of the ids of clients whose search document matches every word of q."""
    if (query := _index_query(q, dialect)) is None:
        return None
    key, match, name = _index(dialect)
    return select(key).where(match.bindparams(**{name: query}))


def _matching(stmt, q: str, dialect: str, *, walk: bool):
    """Restrict stmt to the clients matching q, the index driving or probed.

    Few matches: the index drives the join and the matches are sorted. Many: the sort
    order's own index is walked and each row looked up among the matches, so the walk
    stops after one page instead of sorting every match (unary + hides client.id from
    SQLite's planner, which would otherwise start from the matches).
    """
    if (query := _index_query(q, dialect)) is None:
        return stmt
    if walk:
        key = literal_column("+client.id") if dialect == "sqlite" else Client.id
        return stmt.where(key.in_(_match_ids(q, dialect)))
    key, match, name = _index(dialect)
    return stmt.join(key.table, key == Client.id).where(match.bindparams(**{name: query}))


def next_deadline():
    """The earlier of the two Companies House due dates (either may be missing)."""
    acc, cs = Profile.accounts_next_due, Profile.confirmation_statement_next_due
    return case((acc.is_(None), cs), (cs.is_(None), acc), (acc <= cs, acc), else_=cs)


def _overdue(today: date):
    deadline = next_deadline()
    return or_(Profile.accounts_overdue, Profile.confirmation_statement_overdue, deadline < today)


def naive_match(q: str, dialect: str):
    """The unindexed way, LIKE '%word%' over the same columns: the benchmark's baseline."""
    conds = []
    for word in words(q):
        like = f"%{word}%"
        contact = exists().where(ClientContact.client_id == Client.id,
                                 Contact.id == ClientContact.contact_id,
                                 or_(*(c.ilike(like) for c in (Contact.first_name, Contact.last_name,
                                                                Contact.email))))
        columns = (Client.display_name, Client.legal_name, Client.trading_name, Client.first_name,
                   Client.last_name, Client.company_number, Client.email, Client.phone,
                   Client.vat_number, Client.ct_utr, Client.sa_utr, Client.registered_postcode,
                   Client.trading_postcode, Client.home_postcode)
        conds.append(or_(*(c.ilike(like) for c in columns), contact))
    return and_(*conds) if conds else None


def _conditions(params: ClientQuery, dialect: str, today: date, matcher=None) -> list:
    """WHERE clauses for the text search (indexed, or matcher's) and the filters."""
    conds = _filters(params, dialect, today)
    if matcher is not None:
        naive = matcher(params.q, dialect)
        conds += [naive] if naive is not None else []
    elif (matched := _match_ids(params.q, dialect)) is not None:
        conds.append(Client.id.in_(matched))
    return conds


def _filters(params: ClientQuery, dialect: str, today: date) -> list:
    """WHERE clauses for the filters; any value outside the known choices matches nothing."""
    conds = []
    if not params.archived and dialect == "sqlite":
        # unary + keeps SQLite off ix_client_archived_at (nearly every row is live), so it walks
        # the sort index and stops after one page instead of sorting every client
        conds.append(text("+client.archived_at IS NULL"))
    elif not params.archived:
        conds.append(Client.archived_at.is_(None))
    for name in ("kind", "status"):
        value = getattr(params, name)
        if value and dialect == "sqlite":  # + again: few values, so walking the sort index wins
            conds.append(text(f"+client.{name} = :{name}").bindparams(**{name: value}))
        elif value:
            conds.append(getattr(Client, name) == value)
    if params.source == "manual":
        conds.append(~exists().where(ExternalLink.client_id == Client.id, ExternalLink.active))
    elif params.source:
        conds.append(exists().where(ExternalLink.client_id == Client.id, ExternalLink.active,
                                    ExternalLink.provider == params.source)
                     if params.source in PROVIDERS else false())
    if params.manager == "none":
        conds.append(Client.manager_id.is_(None))
    elif params.manager:
        conds.append(Client.manager_id == int(params.manager) if params.manager.isdigit() else false())
    if params.tag:
        conds.append(exists().where(client_tags.c.client_id == Client.id,
                                    client_tags.c.tag_id == Tag.id, Tag.name == params.tag))
    if params.ch_status:
        conds.append(Profile.company_status == params.ch_status)
    soon = today + timedelta(days=30)
    if params.due == "accounts_30d":
        conds.append(Profile.accounts_next_due.between(today, soon))
    elif params.due == "cs_30d":
        conds.append(Profile.confirmation_statement_next_due.between(today, soon))
    elif params.due == "overdue":
        conds.append(_overdue(today))
    elif params.due:
        conds.append(false())
    return conds


def _name_key(dialect: str):
    """Case-insensitive name order, matching the sort index search_index creates."""
    if dialect == "postgresql":
        return func.lower(Client.display_name)
    return Client.display_name.collate("NOCASE")


def _order(params: ClientQuery, dialect: str) -> list:
    """ORDER BY for the sort; the id breaks ties so pages never overlap or skip."""
    name = _name_key(dialect)
    if params.sort == "created":
        return [Client.created_at.desc(), Client.id.desc()]
    if params.sort == "updated":
        return [Client.updated_at.desc(), Client.id.desc()]
    if params.sort == "deadline":
        deadline = next_deadline()
        return [deadline.is_(None), deadline, name, Client.id]
    return [name, Client.id]


def _joined(stmt, *, profile: bool | str = True, people: bool = False):
    """Outer joins to the one-per-client rows the table shows (profile="inner": only linked)."""
    stmt = stmt.select_from(Client)
    if profile == "inner":
        stmt = stmt.join(Profile, Profile.client_id == Client.id)
    elif profile:
        stmt = stmt.outerjoin(Profile, Profile.client_id == Client.id)
    if people:
        stmt = (stmt.outerjoin(Primary, and_(Primary.client_id == Client.id, Primary.is_primary))
                .outerjoin(PrimaryContact, PrimaryContact.id == Primary.contact_id)
                .outerjoin(Manager, Manager.id == Client.manager_id)
                .outerjoin(ActiveLink, and_(ActiveLink.client_id == Client.id, ActiveLink.active)))
    return stmt


def _row_columns(today: date) -> list:
    deadline = next_deadline()
    return [Client.id, Client.display_name, Client.kind, Client.status,
            func.coalesce(Client.company_number, Client.ct_utr, Client.sa_utr, "").label("reference"),
            PrimaryContact.title, PrimaryContact.first_name, PrimaryContact.last_name,
            Manager.name.label("manager"), ActiveLink.provider, Client.archived_at,
            deadline.label("deadline"), _overdue(today).label("overdue")]


def _result_row(r) -> ResultRow:
    contact = " ".join(p for p in (r.title, r.first_name, r.last_name) if p)
    return ResultRow(id=r.id, display_name=r.display_name, kind=r.kind, status=r.status,
                     reference=r.reference, primary_contact=contact, manager=r.manager or "",
                     source=r.provider or "manual", archived=r.archived_at is not None,
                     next_deadline=r.deadline, overdue=bool(r.overdue))


def clean(params: ClientQuery) -> ClientQuery:
    """Bring sort, page and page size into range."""
    return dataclasses.replace(
        params, sort=params.sort if params.sort in SORTS else "name",
        per_page=params.per_page if params.per_page in PER_PAGE else PER_PAGE[0],
        page=max(1, min(params.page, 100_000)))


def search_clients(params: ClientQuery, *, today: date | None = None, matcher=None) -> ResultPage:
    """One page of the client list: a capped count, then the rows (two queries in all).

    matcher replaces the index lookup (bench/list_search.py passes naive_match).
    """
    params, today = clean(params), today or date.today()
    dialect = db.engine.dialect.name
    q = "" if matcher else params.q
    conds = _filters(params, dialect, today)
    if matcher is not None and (naive := matcher(params.q, dialect)) is not None:
        conds.append(naive)
    profile = bool(params.ch_status or params.due)
    cap = params.page * params.per_page + COUNT_CAP
    counted = _matching(_joined(select(Client.id), profile=profile), q, dialect, walk=False)
    counted = counted.where(*conds).limit(cap + 1)
    found = db.session.scalar(select(func.count()).select_from(counted.subquery()))
    total, exact = min(found, cap), found <= cap
    page = params.page
    if exact and total and (page - 1) * params.per_page >= total:
        page = -(-total // params.per_page)  # past the end: show the last page instead
    offset = (page - 1) * params.per_page

    def base(*columns, profile=profile):
        stmt = _joined(select(*columns), profile=profile)
        return _matching(stmt, q, dialect, walk=not exact).where(*conds)

    # Pick the page's ids on the narrow query, then join the display columns to those rows only
    if params.sort == "deadline":
        ids = _deadline_page(base, params, dialect, offset).subquery()
    else:
        ids = (base(Client.id).order_by(*_order(params, dialect))
               .limit(params.per_page).offset(offset).subquery())
    stmt = (_joined(select(*_row_columns(today)), people=True).join(ids, ids.c.id == Client.id)
            .order_by(*_order(params, dialect)))
    rows = [_result_row(r) for r in db.session.execute(stmt)]
    return ResultPage(rows=rows, page=page, per_page=params.per_page, total=total, exact=exact)


def _few(condition, dialect: str):
    """Tell SQLite's planner that condition holds for few rows (it has no statistics for an
    empty table, and would otherwise scan every client to find the profiles)."""
    return func.unlikely(condition) if dialect == "sqlite" else condition


def _deadline_page(base, params: ClientQuery, dialect: str, offset: int):
    """The page's ids in deadline order without sorting every client.

    Clients with a deadline (those linked to Companies House: few) come first by date;
    the rest follow in name order, walking the name index. Each part stops at the page's
    end, and the page is cut from the two.
    """
    deadline, name, needed = next_deadline(), _name_key(dialect), offset + params.per_page
    dated = (base(Client.id, literal(0).label("part"), deadline.label("due"), name.label("name"),
                  profile="inner")
             .where(_few(deadline.is_not(None), dialect))
             .order_by(deadline, name, Client.id).limit(needed).subquery())
    undated = (base(Client.id, literal(1).label("part"), cast(null(), Date).label("due"),
                    name.label("name"), profile=True).where(deadline.is_(None))
               .order_by(name, Client.id).limit(needed).subquery())
    both = union_all(select(dated), select(undated)).subquery()
    by_name = both.c.name.collate("NOCASE") if dialect == "sqlite" else both.c.name
    return (select(both.c.id).order_by(both.c.part, both.c.due, by_name, both.c.id)
            .limit(params.per_page).offset(offset))


def filter_options() -> dict[str, list[tuple[str, str]]]:
    """Choices for the manager and tag filters: every user (former ones marked) and every tag."""
    users = db.session.execute(select(User.id, User.name, User.active)
                               .order_by(func.lower(User.name), User.id))
    tags = db.session.scalars(select(Tag.name).order_by(func.lower(Tag.name)))
    return {"manager": [(str(u.id), u.name if u.active else f"{u.name} (former)") for u in users],
            "tag": [(name, name) for name in tags]}
