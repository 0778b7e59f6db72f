"""The SQL pieces of the client list: text match, filters, sort keys and joins, per engine.

search.py puts them together into the page query; export.py into the CSV's.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from sqlalchemy import (and_, case, column, exists, false, func, literal_column, or_, select,
                        table, text)
from sqlalchemy.orm import aliased

from cone.services.models import (Client, ClientContact, CompaniesHouseProfile,
                                  Contact, ExternalLink, Tag, User, client_tags, db)
from cone.services.search.index import SPELLED_OUT
from cone.services.search.query import ClientQuery
from cone.services.sources import PROVIDER_NAMES


MAX_WORDS = 8

Manager = aliased(User)
Primary = aliased(ClientContact)
PrimaryContact = aliased(Contact)
ActiveLink = aliased(ExternalLink)
Profile = CompaniesHouseProfile


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


def matching(stmt, q: str, dialect: str, *, many: bool, count: bool = False):
    """Restrict stmt to the clients matching q, with the index driving or probed.

    Counting, or few matches: the index drives and the matches are sorted. Many: the sort
    order's own index is walked and each row looked up among the matches, so the walk
    stops after one page instead of sorting every match (unary + hides client.id from
    SQLite's planner, which would otherwise start from the matches; PostgreSQL probes its
    index row by row). PostgreSQL gets few matches as an array: joined to them, it would
    walk the name index hoping for a quick page.
    """
    if (query := _index_query(q, dialect)) is None:
        return stmt
    if many and dialect == "sqlite":
        return stmt.where(literal_column("+client.id").in_(_match_ids(q, dialect)))
    if many:  # OFFSET 0 keeps EXISTS a probe per row: as a (hashed) join it fetches every match
        probe = ("EXISTS (SELECT 1 FROM client_search s WHERE s.client_id = client.id"
                 " AND s.doc @@ to_tsquery('simple', :tsq) OFFSET 0)")
        return stmt.where(text(probe).bindparams(tsq=query))
    key, match, name = _index(dialect)
    if dialect == "postgresql" and not count:
        among = ("client.id = ANY(ARRAY(SELECT client_id FROM client_search"
                 " WHERE client_search.doc @@ to_tsquery('simple', :tsq)))")
        return stmt.where(text(among).bindparams(tsq=query))
    return stmt.join(key.table, key == Client.id).where(match.bindparams(**{name: query}))


def next_deadline():
    """The earlier of the two Companies House due dates (either may be missing)."""
    acc, cs = Profile.accounts_next_due, Profile.confirmation_statement_next_due
    return case((acc.is_(None), cs), (cs.is_(None), acc), (acc <= cs, acc), else_=cs)


def overdue(today: date):
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


def conditions(params: ClientQuery, dialect: str, today: date, matcher=None) -> list:
    """WHERE clauses for the text search (indexed, or matcher's) and the filters."""
    conds = filters(params, dialect, today)
    if matcher is not None:
        naive = matcher(params.q, dialect)
        conds += [naive] if naive is not None else []
    elif (matched := _match_ids(params.q, dialect)) is not None:
        conds.append(Client.id.in_(matched))
    return conds


def filters(params: ClientQuery, dialect: str, today: date) -> list:
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
                     if params.source in PROVIDER_NAMES else false())
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
        conds.append(overdue(today))
    elif params.due:
        conds.append(false())
    return conds


def name_key(dialect: str):
    """Case-insensitive name order, matching the sort index search_index creates."""
    if dialect == "postgresql":
        return func.lower(Client.display_name)
    return Client.display_name.collate("NOCASE")


def sort_order(params: ClientQuery, dialect: str) -> list:
    """ORDER BY for the sort; the id breaks ties so pages never overlap or skip."""
    name = name_key(dialect)
    if params.sort == "created":
        return [Client.created_at.desc(), Client.id.desc()]
    if params.sort == "updated":
        return [Client.updated_at.desc(), Client.id.desc()]
    if params.sort == "deadline":
        deadline = next_deadline()
        return [deadline.is_(None), deadline, name, Client.id]
    return [name, Client.id]


def joined(stmt, *, profile: bool | str = True, people: bool = False):
    """Outer joins to the one-per-client rows the table shows (profile="inner": only linked)."""
    stmt = stmt.select_from(Client)
    if profile == "inner" and db.engine.dialect.name == "sqlite":
        # + keeps SQLite from scanning every client and looking up its profile: it starts
        # from the profiles, the few linked clients, even with no statistics for them yet
        stmt = stmt.join(Profile, literal_column("+companies_house_profile.client_id") == Client.id)
    elif profile == "inner":
        stmt = stmt.join(Profile, Profile.client_id == Client.id)
    elif profile:
        stmt = stmt.outerjoin(Profile, Profile.client_id == Client.id)
    if people:
        stmt = (stmt.outerjoin(Primary, and_(Primary.client_id == Client.id, Primary.is_primary))
                .outerjoin(PrimaryContact, PrimaryContact.id == Primary.contact_id)
                .outerjoin(Manager, Manager.id == Client.manager_id)
                .outerjoin(ActiveLink, and_(ActiveLink.client_id == Client.id, ActiveLink.active)))
    return stmt
