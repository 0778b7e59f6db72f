"""The client workspace: header, tabs as pages and panels, overview, deadlines, activity."""
from datetime import date, datetime, timedelta, timezone

import pytest

from cone.services import clients as cs
from cone.services import workspace
from cone.services.models import (ActivityEvent, CompaniesHouseProfile, ExternalLink, Officer,
                                  SignificantControl, db)
from tests.helpers import TABS, add_user, hx

PANEL = hx("workspace-panel")


def business(user, name="Acme Widgets Ltd", **data):
    return cs.create_client("business", {"legal_name": name, **data},
                            cs.ContactsInput(new=[cs.NewContact("Ann", "Archer",
                                                                email="ann@acme.example")],
                                             existing=[], primary="new:0"), user=user)


def individual(user, first="Jane", last="Doe", **data):
    return cs.create_client("individual", {"first_name": first, "last_name": last, **data},
                            cs.ContactsInput(new=[], existing=[], primary="self"), user=user)


def profile_for(client, **fields):
    profile = CompaniesHouseProfile(client_id=client.id, company_number="01234567",
                                    company_name=client.display_name, company_status="active",
                                    **fields)
    db.session.add(profile)
    db.session.commit()
    return profile


@pytest.fixture
def acme(staff):
    return business(staff, company_number="01234567", vat_number="GB 980 7806 84")


# ---- header and tabs ------------------------------------------------------------------------

def test_header_shows_name_kind_status_people_source_and_actions(staff_client, staff):
    mo = add_user("mo@example.com", "staff", "Mo Manager")
    acme = business(staff, manager_id=mo.id, tags=["VIP"], status="prospect")
    page = staff_client.get(f"/clients/{acme.id}")
    head = page.text.split('id="workspace-panel"', 1)[0]
    for text in ("Acme Widgets Ltd", "Business", "Prospect", "VIP", "Mo Manager",
                 "Ann Archer", 'href="mailto:ann@acme.example"', "Manual", ">Edit<", ">Archive<"):
        assert text in head, text


@pytest.mark.parametrize("tab", TABS)
def test_every_tab_is_a_page_and_a_panel(staff_client, acme, tab):
    page = staff_client.get(f"/clients/{acme.id}?tab={tab}")
    assert page.status_code == 200 and "<html" in page.text
    assert f'?tab={tab}"' in page.text or tab == "overview"
    current = page.text.split('aria-current="page">', 2)[2].split("<", 1)[0]  # [1] is the nav
    assert current == workspace.TABS[tab]
    frag = staff_client.get(f"/clients/{acme.id}?tab={tab}", headers=PANEL)
    assert frag.status_code == 200 and "<html" not in frag.text and "<h1>" not in frag.text
    assert f'aria-current="page">{workspace.TABS[tab]}<' in frag.text
    assert "HX-Target" in frag.headers["Vary"]
    boosted = staff_client.get(f"/clients/{acme.id}?tab={tab}",
                               headers=hx("workspace-panel", **{"HX-Boosted": "true"}))
    assert "<html" in boosted.text


def test_tab_links_have_real_hrefs_and_htmx(staff_client, acme):
    page = staff_client.get(f"/clients/{acme.id}")
    nav = page.text.split('class="tabs"', 1)[1].split("</nav>", 1)[0]
    url = f"/clients/{acme.id}?tab=deadlines"
    assert f'href="{url}" hx-get="{url}"' in nav
    assert nav.count('hx-target="#workspace-panel"') == len(TABS)
    assert nav.count('hx-push-url="true"') == len(TABS)


def test_unknown_tab_and_companies_house_for_individuals_fall_back_to_overview(staff_client, staff):
    jane = individual(staff)
    assert 'aria-current="page">Overview<' in staff_client.get(f"/clients/{jane.id}?tab=nope").text
    page = staff_client.get(f"/clients/{jane.id}?tab=companies-house")
    assert 'aria-current="page">Overview<' in page.text and "Companies House<" not in page.text
    assert staff_client.get("/clients/4242?tab=notes").status_code == 404


# ---- overview -------------------------------------------------------------------------------

def test_overview_groups_copy_buttons_and_collapsed_empty_groups(staff_client, acme):
    page = staff_client.get(f"/clients/{acme.id}")
    assert "01234567" in page.text and "GB980780684" in page.text
    assert 'data-copy="01234567"' in page.text and 'data-copy="GB980780684"' in page.text
    assert 'aria-label="Copy VAT number" hidden' in page.text  # only JavaScript reveals it
    # nothing under Addresses: one collapsed line, not an empty card
    assert '<details class="card details empty-group">\n  <summary>Addresses' in page.text
    assert "Trading name" not in page.text
    assert "Recent activity" in page.text and "Created business client" in page.text


def test_overview_recent_activity_links_to_the_full_timeline(staff_client, staff, acme):
    for i in range(7):
        db.session.add(ActivityEvent(client_id=acme.id, action="edited", summary=f"Event {i}"))
    db.session.commit()
    page = staff_client.get(f"/clients/{acme.id}")
    recent = page.text.split('id="client-activity"', 1)[1]
    assert "Event 6" in recent and "Event 1" not in recent
    total = db.session.scalar(db.select(db.func.count(ActivityEvent.id)).where(
        ActivityEvent.client_id == acme.id))
    assert f'href="/clients/{acme.id}?tab=activity">All {total} events' in recent


# ---- contacts and Companies House ---------------------------------------------------------------

def test_contacts_tab_holds_the_contacts_section(staff_client, acme):
    page = staff_client.get(f"/clients/{acme.id}?tab=contacts")
    assert 'id="client-contacts"' in page.text and "Ann Archer" in page.text
    assert 'id="client-contacts"' not in staff_client.get(f"/clients/{acme.id}").text


def test_companies_house_tab_empty_and_with_a_profile(staff_client, acme):
    r = staff_client.get(f"/clients/{acme.id}?tab=companies-house", headers=PANEL)
    assert "Not linked to Companies House" in r.text
    profile = profile_for(acme)
    db.session.add_all([Officer(profile_id=profile.id, name="ARCHER, Ann", role="director"),
                        SignificantControl(profile_id=profile.id, name="Mrs Ann Archer",
                                           kind="individual-person-with-significant-control")])
    db.session.add(ExternalLink(client_id=acme.id, provider="companies_house",
                                external_id="01234567"))
    db.session.commit()
    r = staff_client.get(f"/clients/{acme.id}?tab=companies-house", headers=PANEL)
    assert "Not linked to Companies House" not in r.text and "ARCHER, Ann" in r.text


# ---- deadlines ------------------------------------------------------------------------------

def test_deadlines_from_the_profile_with_days_left_and_overdue(staff_client, acme):
    today = date.today()
    profile_for(acme, accounts_next_due=today + timedelta(days=40),
                accounts_next_made_up_to=today - timedelta(days=200),
                confirmation_statement_next_due=today - timedelta(days=3),
                accounting_reference_day=31, accounting_reference_month=3)
    r = staff_client.get(f"/clients/{acme.id}?tab=deadlines", headers=PANEL)
    assert "40 days" in r.text and "For the period to" in r.text
    row = r.text.split('class="deadline-overdue"', 1)[1].split("</tr>", 1)[0]
    assert "Confirmation statement" in row and "Overdue by 3 days" in row
    assert r.text.index("Confirmation statement") < r.text.index("Accounts")  # soonest first
    assert "31 March" in r.text and "accounting reference date" in r.text


def test_deadlines_flag_and_soon_and_the_clients_own_year_end(acme):
    today = date(2025, 6, 1)
    profile = CompaniesHouseProfile(accounts_next_due=date(2025, 6, 20), accounts_overdue=False,
                                    confirmation_statement_next_due=date(2025, 9, 1),
                                    confirmation_statement_overdue=True)
    acme.year_end_day, acme.year_end_month = 29, 2
    found, year_end = workspace.deadlines(acme, profile, today)
    assert [(d.label, d.state, d.days_left) for d in found] == [
        ("Accounts", "soon", 19), ("Confirmation statement", "overdue", 92)]
    assert year_end.next_date == date(2026, 2, 28) and year_end.source == "client"
    assert workspace.deadlines(acme, None, date(2028, 2, 29))[1].days_left == 0


def test_deadlines_empty_state(staff_client, staff):
    jane = individual(staff)
    r = staff_client.get(f"/clients/{jane.id}?tab=deadlines", headers=PANEL)
    assert "No deadlines yet." in r.text and "set a year end" in r.text
    assert "Companies House" not in r.text


# ---- activity -------------------------------------------------------------------------------

def add_events(client, n, start=None):
    start = start or datetime(2024, 1, 1, tzinfo=timezone.utc)
    db.session.add_all([ActivityEvent(client_id=client.id, action="edited", summary=f"Event {i:04}",
                                      created_at=start + timedelta(minutes=i)) for i in range(n)])
    db.session.commit()


def test_activity_is_paged_newest_first_with_and_without_htmx(staff_client, acme):
    db.session.execute(db.delete(ActivityEvent))
    add_events(acme, 120)
    first = staff_client.get(f"/clients/{acme.id}?tab=activity")
    assert "120 events, newest first." in first.text
    assert first.text.index("Event 0119") < first.text.index("Event 0070")
    assert "Event 0069" not in first.text
    older = first.text.split('id="activity-more"', 1)[1].split('href="', 1)[1].split('"', 1)[0]
    older = older.replace("&amp;", "&")
    second = staff_client.get(older)  # no JS: the whole page, the next 50
    assert "<html" in second.text and "Event 0069" in second.text
    assert "Event 0070" not in second.text
    assert "Back to the newest" in second.text
    frag = staff_client.get(older, headers=hx("activity-more"))  # htmx: just the items
    assert "<html" not in frag.text and frag.text.lstrip().startswith("<li>")
    assert "Event 0020" in frag.text and 'id="activity-more"' in frag.text
    last_link = frag.text.split('id="activity-more"', 1)[1].split('href="', 1)[1].split('"', 1)[0]
    last = staff_client.get(last_link.replace("&amp;", "&"), headers=hx("activity-more"))
    assert "Event 0000" in last.text and "Event 0020" not in last.text
    assert 'id="activity-more"' not in last.text


def test_activity_shows_field_changes_with_labels_and_people(staff_client, staff, acme):
    mo = add_user("mo@example.com", "staff", "Mo Manager")
    cs.update_client(acme, {"legal_name": acme.legal_name, "company_number": "01234567",
                            "trading_name": "Acme", "manager_id": mo.id, "status": "customer"},
                     expected_version=acme.version, user=staff)
    r = staff_client.get(f"/clients/{acme.id}?tab=activity", headers=PANEL)
    table = r.text.split('class="table changes"', 1)[1].split("</table>", 1)[0]
    assert "Trading name" in table and "Acme" in table and "(empty)" in table
    assert "Manager" in table and "Mo Manager" in table and "manager_id" not in table


def test_activity_values_read_as_words_and_a_new_client_shows_values_only(staff_client, staff):
    client = business(staff, "Dated Ltd", entity_type="limited_company",
                      incorporation_date=date(1992, 2, 3), year_end_day=28, year_end_month=2)
    r = staff_client.get(f"/clients/{client.id}?tab=activity", headers=PANEL)
    created = r.text.split("Created business client", 1)[1].split("</table>", 1)[0]
    assert "Limited company" in created and "limited_company" not in created
    assert "3 February 1992" in created and "February" in created.split("Year end month")[1]
    assert "Before" not in created and "Tags" not in created  # nothing was tagged


def test_activity_empty_state(staff_client, acme):
    db.session.execute(db.delete(ActivityEvent))
    db.session.commit()
    r = staff_client.get(f"/clients/{acme.id}?tab=activity", headers=PANEL)
    assert "No activity yet." in r.text
