"""The workspace stays cheap: a fixed number of queries per tab, and a small first load."""
import gzip
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from cone.services import clients as cs
from cone.services import notes
from cone.services.models import (ActivityEvent, Client, ClientContact, CompaniesHouseProfile,
                                  Contact, Officer, SignificantControl, db)
from tests.helpers import TABS, hx


@contextmanager
def counting():
    """Counts the SQL statements sent while the block runs, each request starting cold."""
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def word(i: int) -> str:
    """A name part for the number: names compare on letters only, so 3 -> "Ad", 12 -> "Abc"."""
    return "A" + "".join(chr(97 + int(d)) for d in str(i))


def build(user, name, *, contacts, officers, events, number):
    """A company with this many contacts, officers + PSCs and activity events."""
    client = cs.create_client("business", {"legal_name": name, "vat_number": "GB980780684"},
                              cs.ContactsInput(new=[cs.NewContact("Ann", f"Archer {name}")],
                                               existing=[], primary="new:0"), user=user)
    people = [Contact(first_name=f"Person{i}", last_name=f"Surname{i}", email=f"p{i}@example.com",
                      phone="020 7946 0000") for i in range(contacts - 1)]
    db.session.add_all(people)
    db.session.flush()
    db.session.add_all([ClientContact(client_id=client.id, contact_id=c.id, role="Staff")
                        for c in people])
    profile = CompaniesHouseProfile(client_id=client.id, company_number=number, company_name=name,
                                    accounts_next_due=datetime(2030, 1, 1).date(),
                                    accounting_reference_day=31, accounting_reference_month=3)
    half = officers // 2
    profile.officers = [Officer(name=f"{word(i).upper()}, Person{word(i)}", role="director",
                                birth_month=1, birth_year=1970) for i in range(half)]
    profile.significant_controls = [
        SignificantControl(name=f"Mr Person{word(i)} {word(i)}",
                           kind="individual-person-with-significant-control")
        for i in range(half - 1)] + [SignificantControl(
            name="HOLDINGS LIMITED", registration_number="09999999",
            kind="corporate-entity-person-with-significant-control")]
    db.session.add(profile)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    db.session.add_all([ActivityEvent(client_id=client.id, user_id=user.id, action="edited",
                                      summary=f"Edited {i}",
                                      created_at=start + timedelta(minutes=i),
                                      changes=[{"field": "trading_name", "before": f"T{i}",
                                                "after": f"T{i + 1}"}])
                        for i in range(events)])
    db.session.commit()
    for i in range(3):
        notes.add_note(client, f"Note {i}\nwith two lines", user=user)
    return client


@pytest.fixture
def small_and_big(staff):
    small = build(staff, "Small Ltd", contacts=1, officers=4, events=3, number="00000001")
    big = build(staff, "Big Ltd", contacts=50, officers=200, events=2000, number="00000002")
    # a second company sharing the big one's contacts and directors
    other = build(staff, "Other Ltd", contacts=1, officers=20, events=1, number="00000003")
    db.session.add_all([ClientContact(client_id=other.id, contact_id=cc.contact_id)
                        for cc in db.session.get(Client, big.id).contact_links[1:20]])
    db.session.commit()
    ids = small.id, big.id
    db.session.expunge_all()  # every request starts cold, as in production
    return ids


@pytest.mark.parametrize("tab", TABS)
def test_each_tab_runs_a_fixed_number_of_queries(staff_client, small_and_big, tab):
    counts = []
    for client_id in small_and_big:
        for headers in ({}, hx("workspace-panel")):
            with counting() as statements:
                r = staff_client.get(f"/clients/{client_id}?tab={tab}", headers=headers)
            assert r.status_code == 200
            counts.append(len(statements))
    small_page, small_panel, big_page, big_panel = counts
    assert big_page == small_page and big_panel == small_panel, counts
    assert big_page <= 14, counts


def test_older_activity_and_notes_regions_are_fixed_too(staff_client, small_and_big):
    small, big = small_and_big
    counts = []
    for client_id in (small, big):
        first_id = db.session.scalar(db.select(ActivityEvent.id).where(
            ActivityEvent.client_id == client_id).order_by(ActivityEvent.id.desc()))
        with counting() as statements:
            staff_client.get(f"/clients/{client_id}?tab=activity&older_than={first_id}",
                             headers=hx("activity-more"))
            staff_client.post(f"/clients/{client_id}/notes", data={"body": "x"},
                              headers=hx("client-notes"))
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize("tab", TABS)
def test_first_load_is_at_most_40_kb_gzipped(staff_client, small_and_big, tab):
    r = staff_client.get(f"/clients/{small_and_big[1]}?tab={tab}")
    assert r.status_code == 200
    assert len(gzip.compress(r.data)) <= 40 * 1024, len(gzip.compress(r.data))


def test_big_client_shows_everything(staff_client, small_and_big):
    big = small_and_big[1]
    contacts = staff_client.get(f"/clients/{big}?tab=contacts").text
    assert contacts.count('aria-label="Unlink: ') == 50
    activity = staff_client.get(f"/clients/{big}?tab=activity").text
    section = activity.split('id="client-activity"', 1)[1]
    total = db.session.scalar(db.select(db.func.count(ActivityEvent.id)).where(
        ActivityEvent.client_id == big))
    assert total > 2000 and f"{total} events" in section and section.count("<p><strong>") == 50
    related = staff_client.get(f"/clients/{big}?tab=related").text
    assert "Other Ltd" in related and "AD, PersonAd" in related
