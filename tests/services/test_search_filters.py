"""Client list filters (alone and combined), sort stability, paging edges, no N+1."""
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from cone.services.models import (Client, ClientContact, CompaniesHouseProfile, Contact,
                                  ExternalLink, Tag, db, utcnow)
from cone.services.search.query import COUNT_CAP
from cone.services.search import ClientQuery, search_clients
from tests.helpers import add_user, bulk_clients

TODAY = date(2025, 6, 1)


def add(name, kind="business", **fields):
    client = Client(kind=kind, status=fields.pop("status", "customer"), display_name=name, **fields)
    db.session.add(client)
    db.session.flush()
    return client


def profile(client, status="active", accounts=None, cs=None, **flags):
    db.session.add(CompaniesHouseProfile(client_id=client.id, company_number="01234567",
                                         company_name=client.display_name, company_status=status,
                                         accounts_next_due=accounts,
                                         confirmation_statement_next_due=cs, **flags))


@pytest.fixture
def firm(app_ctx):
    ann, bob = add_user("ann@example.com", "staff", "Ann"), add_user("bob@example.com", "staff", "Bob")
    vip = Tag(name="VIP")
    a = add("Alpha Ltd", manager_id=ann.id, tags=[vip])
    b = add("Bravo Ltd", status="prospect", manager_id=bob.id)
    c = add("Charlie Smith", kind="individual")
    d = add("Delta Ltd", manager_id=ann.id, archived_at=utcnow())
    db.session.add_all([ExternalLink(client_id=a.id, provider="companies_house", external_id="1"),
                        ExternalLink(client_id=b.id, provider="xero", external_id="x"),
                        ExternalLink(client_id=c.id, provider="xero", external_id="y", active=False)])
    profile(a, accounts=TODAY + timedelta(days=10), cs=TODAY + timedelta(days=200))
    profile(b, status="liquidation", accounts=TODAY + timedelta(days=90), cs=TODAY + timedelta(days=20))
    profile(d, accounts=TODAY - timedelta(days=3))
    db.session.commit()
    return {"ann": ann, "bob": bob}


def names(**params) -> list[str]:
    return [r.display_name for r in search_clients(ClientQuery(**params), today=TODAY).rows]


@pytest.mark.parametrize("params, expected", [
    ({}, ["Alpha Ltd", "Bravo Ltd", "Charlie Smith"]),
    ({"kind": "individual"}, ["Charlie Smith"]),
    ({"kind": "business"}, ["Alpha Ltd", "Bravo Ltd"]),
    ({"status": "prospect"}, ["Bravo Ltd"]),
    ({"source": "manual"}, ["Charlie Smith"]),  # an inactive link is no source
    ({"source": "companies_house"}, ["Alpha Ltd"]),
    ({"source": "xero"}, ["Bravo Ltd"]),
    ({"source": "sage"}, []),
    ({"source": "nonsense"}, []),
    ({"manager": "none"}, ["Charlie Smith"]),
    ({"manager": "abc"}, []),
    ({"tag": "VIP"}, ["Alpha Ltd"]),
    ({"tag": "nope"}, []),
    ({"ch_status": "liquidation"}, ["Bravo Ltd"]),
    ({"ch_status": "active"}, ["Alpha Ltd"]),
    ({"due": "accounts_30d"}, ["Alpha Ltd"]),
    ({"due": "cs_30d"}, ["Bravo Ltd"]),
    ({"due": "overdue"}, []),
    ({"due": "overdue", "archived": True}, ["Delta Ltd"]),
    ({"due": "whenever"}, []),
    ({"archived": True}, ["Alpha Ltd", "Bravo Ltd", "Charlie Smith", "Delta Ltd"]),
    ({"kind": "business", "status": "customer", "source": "companies_house", "tag": "VIP",
      "due": "accounts_30d", "ch_status": "active", "q": "alp"}, ["Alpha Ltd"]),
    ({"kind": "business", "status": "prospect", "source": "companies_house"}, []),
])
def test_filters_alone_and_combined(firm, params, expected):
    assert names(**params) == expected


def test_manager_filter(firm):
    assert names(manager=str(firm["ann"].id)) == ["Alpha Ltd"]
    assert names(manager=str(firm["ann"].id), archived=True) == ["Alpha Ltd", "Delta Ltd"]


def test_deadline_column_and_overdue_flag(firm):
    rows = {r.display_name: r for r in search_clients(ClientQuery(archived=True), today=TODAY).rows}
    assert rows["Alpha Ltd"].next_deadline == TODAY + timedelta(days=10)
    assert rows["Bravo Ltd"].next_deadline == TODAY + timedelta(days=20)
    assert rows["Delta Ltd"].overdue and not rows["Alpha Ltd"].overdue
    assert rows["Charlie Smith"].next_deadline is None
    assert rows["Alpha Ltd"].source == "companies_house" and rows["Charlie Smith"].source == "manual"
    assert rows["Alpha Ltd"].manager == "Ann"


def test_overdue_flag_from_companies_house(firm):
    client = add("Echo Ltd")
    profile(client, accounts=TODAY + timedelta(days=100), confirmation_statement_overdue=True)
    db.session.commit()
    assert names(due="overdue") == ["Echo Ltd"]


@pytest.mark.parametrize("sort, expected", [
    ("name", ["Alpha Ltd", "Bravo Ltd", "Charlie Smith"]),
    ("deadline", ["Alpha Ltd", "Bravo Ltd", "Charlie Smith"]),
    ("created", ["Charlie Smith", "Bravo Ltd", "Alpha Ltd"]),
    ("bogus", ["Alpha Ltd", "Bravo Ltd", "Charlie Smith"]),
])
def test_sorts(firm, sort, expected):
    assert names(sort=sort) == expected


def test_name_sort_ignores_case_and_ties_break_on_id(app_ctx):
    for name in ["beta", "Alpha", "alpha", "Beta", "Alpha"]:
        add(name)
    db.session.commit()
    rows = search_clients(ClientQuery()).rows
    assert [r.display_name.lower() for r in rows] == ["alpha"] * 3 + ["beta"] * 2
    alphas = [r.id for r in rows[:3]]
    assert alphas == sorted(alphas)


def test_same_timestamps_page_without_overlap_or_gaps(app_ctx):
    stamp = utcnow()
    for i in range(60):
        add(f"Same {i}", created_at=stamp, updated_at=stamp)
    db.session.commit()
    for sort in ("created", "updated", "name", "deadline"):
        seen = []
        for page in (1, 2, 3):
            seen += [r.id for r in search_clients(ClientQuery(sort=sort, page=page)).rows]
        assert sorted(seen) == sorted(set(seen)) and len(seen) == 60, sort


def test_paging_edges(app_ctx):
    for i in range(51):
        add(f"Client {i:02}")
    db.session.commit()
    first = search_clients(ClientQuery(per_page=25))
    assert (first.total, first.exact, first.pages, first.has_prev, first.has_next) == (51, True, 3, False, True)
    last = search_clients(ClientQuery(page=3))
    assert [r.display_name for r in last.rows] == ["Client 50"] and not last.has_next
    beyond = search_clients(ClientQuery(page=99))
    assert beyond.page == 3 and len(beyond.rows) == 1
    assert search_clients(ClientQuery(page=-4)).page == 1
    assert search_clients(ClientQuery(per_page=50)).pages == 2
    assert search_clients(ClientQuery(per_page=7)).per_page == 25  # only 25, 50 or 100
    assert search_clients(ClientQuery(q="zzz", page=5)).rows == []


def test_count_stops_at_the_cap(app_ctx):
    db.session.execute(Client.__table__.insert(), [
        {"kind": "business", "status": "customer", "display_name": f"Bulk {i}",
         "created_at": utcnow(), "updated_at": utcnow(), "version": 1}
        for i in range(COUNT_CAP + 40)])
    db.session.commit()
    result = search_clients(ClientQuery())
    assert not result.exact and result.total == COUNT_CAP + 25 and result.has_next
    deeper = search_clients(ClientQuery(q="bulk", per_page=100, page=2))  # the cap moves with the page
    assert deeper.exact and deeper.total == COUNT_CAP + 40


@pytest.mark.parametrize("size", [5, 60])
def test_fixed_number_of_queries_whatever_the_page_size(app_ctx, size):
    ann = add_user("ann@example.com", "staff", "Ann")
    for i in range(size):
        client = add(f"Client {i}", manager_id=ann.id, tags=[])
        db.session.add(ClientContact(client=client, contact=Contact(first_name=f"P{i}"), is_primary=True))
        db.session.add(ExternalLink(client_id=client.id, provider="xero", external_id=str(i)))
        profile(client, accounts=TODAY)
    db.session.commit()
    db.session.expunge_all()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        result = search_clients(ClientQuery(q="client", per_page=100, tag="", sort="deadline"))
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(result.rows) == size and all(r.primary_contact and r.manager for r in result.rows)
    assert len(statements) == 2


@pytest.mark.parametrize("sort", ["name", "created", "deadline"])
def test_many_matches_walk_the_sort_order_and_agree_with_few(app_ctx, sort):
    """Past the count cap the sort index is walked; the rows must be those a full sort gives."""
    bulk_clients(COUNT_CAP + 100)
    walked = search_clients(ClientQuery(q="bulk", sort=sort, page=3))  # counted to 1,075 only
    sorted_all = search_clients(ClientQuery(q="bulk", sort=sort, per_page=100))  # 1,100: exact
    assert not walked.exact and sorted_all.exact
    assert [r.id for r in walked.rows] == [r.id for r in sorted_all.rows[50:75]]
    if sort == "name":
        assert [r.display_name for r in walked.rows][:2] == ["Bulk 0050", "Bulk 0051"]


def test_deadline_sort_pages_across_dated_and_undated_clients(app_ctx):
    bulk_clients(30, name="Plain")
    dated = [add(f"Dated {i}") for i in range(30)]
    for i, client in enumerate(dated):
        profile(client, accounts=TODAY + timedelta(days=(i * 11) % 30),
                cs=None if i % 3 else TODAY + timedelta(days=400))
    profile(add("Profile Without Dates"))
    db.session.commit()
    seen = []
    for page in (1, 2, 3):
        seen += search_clients(ClientQuery(sort="deadline", page=page), today=TODAY).rows
    deadlines = [r.next_deadline for r in seen if r.next_deadline]
    assert len(seen) == 61 and len({r.id for r in seen}) == 61
    assert deadlines == sorted(deadlines) and len(deadlines) == 30
    assert all(r.next_deadline for r in seen[:30]) and not any(r.next_deadline for r in seen[30:])
    undated = [r.display_name for r in seen[30:]]
    assert undated == sorted(undated, key=str.lower) and "Profile Without Dates" in undated


def test_no_manager_filter_with_many_clients(app_ctx):
    ann = add_user("ann@example.com", "staff", "Ann")
    bulk_clients(300, manager_id=ann.id)
    bulk_clients(3, name="Orphan")
    result = search_clients(ClientQuery(manager="none"))
    assert [r.display_name for r in result.rows] == ["Orphan 0000", "Orphan 0001", "Orphan 0002"]
    assert search_clients(ClientQuery(manager="none", sort="created")).total == 3
