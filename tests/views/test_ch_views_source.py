"""A mapped client's source on the workspace: Resync, Switch to manual, link a manual client,
officers and PSCs as contacts, and the read-only rule for fetched fields."""
import pytest
from sqlalchemy import select

from cone import wiring
from cone.services import clients
from cone.services import companies_house as ch_service
from cone.services.models import (ActivityEvent, Address, ClientContact,
                                  CompaniesHouseProfile, Contact, Officer, SignificantControl, db)
from tests.helpers import FAILURES, break_provider, hx

NORTHWIND = "09876543"
GREENFIELD = "11223344"


@pytest.fixture
def mapped(ch_app, staff):
    """Northwind Analytics, created from Companies House."""
    return ch_service.create_from_companies_house(NORTHWIND, wiring.companies_house(ch_app),
                                                  {}, None, user=staff)


def manual_client(user, name="Northwind Analytics", **data):
    contacts = clients.ContactsInput(new=[clients.NewContact(first_name="Nadia")], existing=[],
                                     primary="new:0")
    return clients.create_client("business", {"legal_name": name, **data}, contacts, user=user)


def events(client, action):
    return list(db.session.scalars(select(ActivityEvent).where(
        ActivityEvent.client_id == client.id, ActivityEvent.action == action)))


def test_source_partial_shows_badge_and_last_synced(staff_client, mapped):
    page = staff_client.get(f"/clients/{mapped.id}").text
    assert 'id="sync-status"' in page and "Companies House" in page and "Last synced" in page
    assert f"/clients/{mapped.id}/resync" in page and f"/clients/{mapped.id}/unlink" in page


def test_resync_unchanged_fragment_has_no_event_trigger(staff_client, mapped):
    r = staff_client.post(f"/clients/{mapped.id}/resync", headers=hx("sync-status"))
    assert r.status_code == 200 and "<html" not in r.text and 'id="sync-status"' in r.text
    assert "nothing has changed" in r.text and "HX-Trigger" not in r.headers


def test_resync_shows_the_diff_and_records_it(staff_client, mapped, ch_emulator):
    ch_emulator.update_company(NORTHWIND, {"company_name": "NORTHWIND DATA LTD",
                                           "company_status": "dissolved",
                                           "date_of_cessation": "2026-01-31"})
    r = staff_client.post(f"/clients/{mapped.id}/resync", headers=hx("sync-status"))
    assert r.status_code == 200 and r.headers["HX-Trigger"] == "client-updated"
    assert "NORTHWIND DATA LTD" in r.text and "now called" in r.text
    assert "Dissolved" in r.text and "Legal name" in r.text
    db.session.refresh(mapped)
    assert mapped.legal_name == "NORTHWIND DATA LTD"
    [event] = events(mapped, "resynced")
    assert any(c["field"] == "legal_name" for c in event.changes)


def test_resync_without_js_redirects_with_a_flash(staff_client, mapped, ch_emulator):
    ch_emulator.update_company(NORTHWIND, {"company_name": "NORTHWIND DATA LTD"})
    r = staff_client.post(f"/clients/{mapped.id}/resync")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/clients/{mapped.id}")
    page = staff_client.get(r.headers["Location"]).text
    assert "The company is now called NORTHWIND DATA LTD" in page


@pytest.mark.parametrize("how,words", FAILURES)
def test_resync_failure_changes_nothing(staff_client, ch_app, ch_emulator, mapped, how, words):
    before = (mapped.version, mapped.active_link.last_synced_at)
    ch_emulator.update_company(NORTHWIND, {"company_name": "SHOULD NOT ARRIVE"})
    break_provider(ch_app, ch_emulator, how, f"/company/{NORTHWIND}")
    r = staff_client.post(f"/clients/{mapped.id}/resync", headers=hx("sync-status"))
    assert r.status_code == 200 and words in r.text and "Nothing was changed" in r.text
    assert "HX-Trigger" not in r.headers
    r = staff_client.post(f"/clients/{mapped.id}/resync")
    assert r.status_code == 303
    assert words in staff_client.get(r.headers["Location"]).text
    db.session.expire_all()
    assert (mapped.version, mapped.active_link.last_synced_at) == before
    assert mapped.legal_name == "NORTHWIND ANALYTICS LTD" and not events(mapped, "resynced")


def test_unlink_asks_first_then_makes_fields_editable(staff_client, mapped):
    page = staff_client.get(f"/clients/{mapped.id}/unlink")
    assert page.status_code == 200 and "Switch <bdi>NORTHWIND ANALYTICS LTD</bdi> to manual?" in page.text
    assert mapped.active_link is not None  # a GET changes nothing
    r = staff_client.post(f"/clients/{mapped.id}/unlink")
    assert r.status_code == 303
    db.session.expire_all()
    assert mapped.active_link is None and mapped.legal_name == "NORTHWIND ANALYTICS LTD"
    assert events(mapped, "unlinked")
    edit = staff_client.get(f"/clients/{mapped.id}/edit").text
    assert "readonly" not in edit.split('name="legal_name"')[1].split(">")[0]


def test_unlink_of_a_manual_client_says_so(staff_client, staff):
    client = manual_client(staff)
    r = staff_client.post(f"/clients/{client.id}/unlink")
    assert r.status_code == 303
    assert "not linked to any source" in staff_client.get(r.headers["Location"]).text


def test_link_manual_client_search_preview_confirm(staff_client, ch_app, staff):
    client = manual_client(staff, registered_address=Address(line1="1 Old Road"))
    page = staff_client.get(f"/clients/{client.id}/link-company?q=northwind")
    assert page.status_code == 200 and "NORTHWIND ANALYTICS LTD" in page.text
    frag = staff_client.get(f"/clients/{client.id}/link-company?q=northwind",
                            headers=hx("ch-results"))
    assert "<html" not in frag.text and f"number={NORTHWIND}" in frag.text
    preview = staff_client.get(f"/clients/{client.id}/link-company?number={NORTHWIND}").text
    assert "Northwind Analytics" in preview and "NORTHWIND ANALYTICS LTD" in preview
    assert "1 Old Road" in preview and "Link to <bdi>NORTHWIND ANALYTICS LTD</bdi>" in preview
    db.session.expire_all()
    assert client.active_link is None  # the preview changes nothing
    r = staff_client.post(f"/clients/{client.id}/link-company", data={"number": NORTHWIND})
    assert r.status_code == 303
    db.session.expire_all()
    assert client.active_link.external_id == NORTHWIND
    assert client.legal_name == "NORTHWIND ANALYTICS LTD" and events(client, "linked")


def test_link_preview_shows_a_duplicate_instead_of_confirm(staff_client, mapped, staff):
    client = manual_client(staff, name="Another")
    page = staff_client.get(f"/clients/{client.id}/link-company?number={NORTHWIND}").text
    assert "already has company number" in page and f'href="/clients/{mapped.id}"' in page
    assert "Link to NORTHWIND" not in page
    r = staff_client.post(f"/clients/{client.id}/link-company", data={"number": NORTHWIND})
    assert r.status_code == 303 and "number=09876543" in r.headers["Location"]
    db.session.expire_all()
    assert client.active_link is None


def test_link_page_failure_is_explained(staff_client, ch_app, ch_emulator, staff):
    client = manual_client(staff)
    break_provider(ch_app, ch_emulator, "503", "/company/")
    r = staff_client.get(f"/clients/{client.id}/link-company?number={NORTHWIND}")
    assert r.status_code == 502 and "having problems" in r.text


def test_details_section_lists_officers_pscs_and_dates(staff_client, ch_app, staff):
    client = ch_service.create_from_companies_house(
        GREENFIELD, wiring.companies_house(ch_app), {}, None, user=staff)
    page = staff_client.get(f"/clients/{client.id}/companies-house")
    assert page.status_code == 200 and "Companies House details" in page.text
    text = page.text
    assert "TAYLOR, Mark" in text and "Corporate entity" in text and "Legal person" in text
    assert "Add <bdi>SMITH, John Andrew</bdi> as contact" in text
    assert "Add TAYLOR, Mark as contact" not in text  # resigned
    assert "Ownership of shares" in text and "April 1972" in text and "Accountant" in text
    assert "Add GREENFIELD GROUP LIMITED as contact" not in text  # a company, not a person
    frag = staff_client.get(f"/clients/{client.id}/companies-house", headers=hx("ch-details"))
    assert "<html" not in frag.text and 'id="ch-details"' in frag.text


def test_add_officer_as_contact_then_reuse_for_another_client(staff_client, ch_app, staff,
                                                              mapped):
    other = ch_service.create_from_companies_house(GREENFIELD, wiring.companies_house(ch_app),
                                                   {}, None, user=staff)
    smith = [db.session.scalars(select(Officer).join(CompaniesHouseProfile).where(
        Officer.name == "SMITH, John Andrew", CompaniesHouseProfile.client_id == c.id)).one()
        for c in (mapped, other)]
    r = staff_client.post(f"/clients/{mapped.id}/companies-house/officer/{smith[0].id}/contact",
                          headers=hx("ch-details"))
    assert r.status_code == 200 and r.headers["HX-Trigger"] == "contacts-changed"
    assert "as a new contact" in r.text and 'id="ch-details"' in r.text
    link = db.session.scalars(select(ClientContact).where(
        ClientContact.client_id == mapped.id)).one()
    assert link.role == "Director"
    # The same director of another client stays one contact (plain POST: flash and 303)
    r = staff_client.post(f"/clients/{other.id}/companies-house/officer/{smith[1].id}/contact")
    assert r.status_code == 303
    assert "already a contact" in staff_client.get(r.headers["Location"]).text
    assert db.session.scalar(select(db.func.count()).select_from(Contact)) == 1


def test_add_company_psc_is_refused_clearly(staff_client, ch_app, staff):
    client = ch_service.create_from_companies_house(
        GREENFIELD, wiring.companies_house(ch_app), {}, None, user=staff)
    psc = db.session.scalars(select(SignificantControl).where(
        SignificantControl.kind.startswith("corporate"))).first()
    r = staff_client.post(f"/clients/{client.id}/companies-house/psc/{psc.id}/contact",
                          headers=hx("ch-details"))
    assert r.status_code == 422 and "HX-Trigger" not in r.headers
    assert db.session.scalar(select(db.func.count()).select_from(Contact)) == 0
    assert staff_client.post(f"/clients/{client.id}/companies-house/nobody/1/contact"
                             ).status_code == 404


def test_profile_survives_unlink_as_history(staff_client, mapped):
    staff_client.post(f"/clients/{mapped.id}/unlink")
    page = staff_client.get(f"/clients/{mapped.id}/companies-house").text
    assert "no longer linked" in page and "PATEL, Priya" in page
    assert db.session.scalar(select(db.func.count()).select_from(CompaniesHouseProfile)) == 1
