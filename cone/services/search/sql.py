"""The SQL pieces of the client list: text match, filters, sort keys and joins, per engine.

search.py puts them together into the page query; export.py into the CSV's.
"""
from __future__ import annotations

import dataclasses
import re
import unicodedata
from datetime import date, timedelta

from sqlalchemy import (ARRAY, Integer, and_, bindparam, case, column, exists, false, func,
                        literal_column, or_, select, table, text)
from sqlalchemy.orm import aliased

from cone.services.models import (Client, ClientContact, CompaniesHouseProfile,
                                  Contact, ExternalLink, Tag, User, client_tags, db)
from cone.services.search.index import SPELLED_OUT, TABLE
from cone.services.search.pg_sort import COLUMN as NAME_COLUMN
from cone.services.search.query import ClientQuery
from cone.services.sources import PROVIDER_NAMES


MAX_WORDS = 8

Manager = aliased(User)
Primary = aliased(ClientContact)
PrimaryContact = aliased(Contact)
ActiveLink = aliased(ExternalLink)
Profile = CompaniesHouseProfile
SEARCH = table(TABLE, column("client_id"), column(NAME_COLUMN)).alias("s")


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


def _by_trigram(terms: list[str]) -> bool:
    """Whether PostgreSQL finds q's documents through the trigram index, not the tsvector's.

    A tsvector prefix unions the posting lists of every word under it before anything else:
    thousands for one character, and for each word of several ("jo sm", "07700 9"), where
    the trigram index intersects a few lists in one pass. The planner also misjudges those
    prefixes (numbers make a distinct word per client), and the trigrams' estimate, from a
    sample of documents, is close.
    """
    return len(terms) > 1 or len(terms[0]) == 1


def _pg_match(alias: str, q: str, *, probe: bool = False) -> tuple[str, dict]:
    """PostgreSQL condition on the search table alias for q, and its parameters.

    probe: for one row at a time, where no index is used and the tsvector is quickest.
    The trigram form matches the same documents: the tsvector's words are only letters and
    digits, so in its text form ('sw1a1aa' 'smith') a word starting with w is a quote then w.
    It still tests the tsvector first, within coalesce() which hides that test from the
    index and from the estimate: a scan then rechecks the text only of documents that match.
    """
    terms, tsq = words(q), _index_query(q, "postgresql")
    ts = f"{alias}.doc @@ to_tsquery('simple', :tsq)"
    if probe or not _by_trigram(terms):
        return ts, {"tsq": tsq}
    doc = f"strip({alias}.doc)::text"
    patterns = [*terms, "".join(terms)] if len(terms) > 1 else terms
    params = {f"w{i}": f"%'{term}%" for i, term in enumerate(patterns)}
    likes = [f"{doc} LIKE :w{i}" for i in range(len(patterns))]
    expr = likes[0] if len(terms) == 1 else f"(({' AND '.join(likes[:-1])}) OR {likes[-1]})"
    return f"coalesce({ts}, false) AND {expr}", {"tsq": tsq, **params}


def _pg_text(sql: str, params: dict):
    """PostgreSQL's sql with q's words written into it when it runs, not sent as parameters.

    psycopg prepares a statement once a connection has run it five times, and from the tenth
    run PostgreSQL may keep a generic plan, made without the values: it cannot tell a word
    matching ten documents from one matching ten thousand ("07700 9" then counted in 11 ms,
    not 4.5). Written in, every plan sees them: a statement repeats, and is prepared, only
    for the same words. They are safe as literals: letters, digits and the query's operators.
    """
    return text(sql).bindparams(*(bindparam(name, value, literal_execute=True)
                                  for name, value in params.items()))


def _match_ids(q: str, dialect: str):
    """A subquery of the ids of clients whose search document matches every word of q."""
    if (query := _index_query(q, dialect)) is None:
        return None
    if dialect == "postgresql":
        match, params = _pg_match(TABLE, q)
        return select(column("client_id")).select_from(table(TABLE)).where(
            _pg_text(match, params))
    return select(table(TABLE, column("rowid")).c.rowid).where(
        text(f"{TABLE} MATCH :fts").bindparams(fts=query))


def matching(stmt, q: str, dialect: str, *, many: bool, among: list[int] | None = None):
    """Restrict stmt to the clients matching q, with the index driving or probed.

    Counting, or few matches: the index drives and the matches are sorted. Many: the sort
    order's own index is walked and each row looked up among the matches, so the walk
    stops after one page instead of sorting every match (unary + hides client.id from
    SQLite's planner, which would otherwise start from the matches; PostgreSQL probes its
    index row by row). PostgreSQL gets few matches as an array: joined to them, it would
    walk the name index hoping for a quick page. among: those matches' ids, already fetched
    by the count (PostgreSQL), so the index is not read twice; behind ARRAY(SELECT ...), as a
    list of known length it would walk the name index again.
    """
    if (query := _index_query(q, dialect)) is None:
        return stmt
    if among is not None:
        return stmt.where(text("client.id = ANY(ARRAY(SELECT unnest(CAST(:among AS integer[]))))")
                          .bindparams(bindparam("among", among, type_=ARRAY(Integer))))
    if many and dialect == "sqlite":
        return stmt.where(literal_column("+client.id").in_(_match_ids(q, dialect)))
    if dialect == "sqlite":
        rowid = table(TABLE, column("rowid")).c.rowid
        return stmt.join(rowid.table, rowid == Client.id).where(
            text(f"{TABLE} MATCH :fts").bindparams(fts=query))
    if many:  # OFFSET 0 keeps EXISTS a probe per row: as a (hashed) join it fetches every match
        probe, params = _pg_match("s", q, probe=True)
        return stmt.where(_pg_text(f"EXISTS (SELECT 1 FROM {TABLE} s WHERE s.client_id = client.id"
                                   f" AND {probe} OFFSET 0)", params))
    match, params = _pg_match(TABLE, q)
    return stmt.where(_pg_text(f"client.id = ANY(ARRAY(SELECT client_id FROM {TABLE}"
                               f" WHERE {match}))", params))


def counted(params: ClientQuery, q: str, conds: list, *, today: date, limit: int):
    """The ids the list's count counts: at most limit clients matching q and conds.

    conds are params' filters (and the benchmark's naive match, q then being empty). With
    words on PostgreSQL the search table drives (searched).
    """
    dialect, profile = db.engine.dialect.name, params.needs_profile
    if dialect == "sqlite" or _index_query(q, dialect) is None:
        stmt = joined(select(Client.id), profile=profile)
        return matching(stmt, q, dialect, many=False).where(*conds).limit(limit)
    return searched(params, q, today, walk=False).limit(limit)


def searched(params: ClientQuery, q: str, today: date, *, walk: bool):
    """The ids (as id) in the search table (SEARCH) matching q and params' filters (PostgreSQL).

    The archive is checked on the small index of archived clients, and any other filter by
    looking the match up in client by its key (OFFSET 0 keeps that a probe). Joined instead,
    the planner hashes or merges the whole client table to find the first thousand matches.
    """
    match, values = _pg_match("s", q, probe=walk)
    stmt = select(SEARCH.c.client_id.label("id")).where(
        _pg_text(f"coalesce({match}, false)" if walk else match, values))
    if not params.archived:
        stmt = stmt.where(~select(Client.id).where(Client.id == SEARCH.c.client_id,
                                                   Client.archived_at.is_not(None)).exists())
    if others := filters(dataclasses.replace(params, archived=True), "postgresql", today):
        stmt = stmt.where(joined(select(literal_column("1")), profile=params.needs_profile)
                          .where(Client.id == SEARCH.c.client_id, *others).offset(0).exists())
    return stmt


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
