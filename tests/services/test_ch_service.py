"""Companies House services against the emulator: create, read-only rule, resync, link, unlink,
people as contacts, bulk import and the resync-all job."""
from datetime import date

import pytest

from tests.helpers import resync_all
from cone.services import sources
from cone import wiring
from cone.services import clients
from cone.services import companies_house as ch
from cone.services.models import (ActivityEvent, Address, Client, CompaniesHouseProfile,
                                 ExternalLink, ImportRun, Officer, SignificantControl, db)
from cone.services.providers.base import ProviderNotFound, ProviderUnavailable


@pytest.fixture
def provider(ch_app):
    with ch_app.app_context():  # its rate budget is kept in this app's database
        return wiring.companies_house(ch_app)


def make(provider, admin, number="09876543", data=None, contacts=None):
    return ch.create_from_companies_house(number, provider, data or {}, contacts, user=admin)


def events(client, action):
    return list(db.session.scalars(db.select(ActivityEvent).where(
        ActivityEvent.client_id == client.id, ActivityEvent.action == action)))


def test_create_mapped_client(provider, admin):
    contacts = clients.ContactsInput(new=[clients.NewContact(first_name="Jo", last_name="Bloggs")],
                                     primary="new:0")
    client = make(provider, admin, "9876543", {"legal_name": "Typed Over", "vat_number":
                                               "GB 123 4567 82", "trading_name": "Northwind"},
                  contacts)
    assert client.legal_name == "NORTHWIND ANALYTICS LTD"  # the fetched value wins
    assert client.display_name == "NORTHWIND ANALYTICS LTD"
    assert (client.company_number, client.entity_type) == ("09876543", "limited_company")
    assert client.incorporation_date == date(2015, 3, 2)
    assert client.registered_address == Address("12 Canal Street", None, "Manchester", None,
                                                "M1 3HE", "England")
    assert client.sic_codes == ["62020", "62090"]
    assert client.vat_number == "GB123456782" and client.trading_name == "Northwind"
    assert (client.year_end_day, client.year_end_month) == (31, 3)
    assert client.primary_contact.first_name == "Jo"
    link = client.active_link
    assert (link.provider, link.external_id, link.active) == ("companies_house", "09876543", True)
    assert link.last_synced_at is not None and link.payload["company_name"] == client.legal_name
    profile = db.session.scalars(db.select(CompaniesHouseProfile)).one()
    assert profile.client_id == client.id and profile.accounts_next_due == date(2026, 12, 31)
    assert len(profile.officers) == 3 and len(profile.significant_controls) == 1
    [created] = events(client, "created")
    assert "from Companies House" in created.summary
    assert sources.owned_fields(client) == frozenset(ch.OWNED)


@pytest.mark.parametrize("number, entity", [("OC412345", "llp"), ("03456789", "plc"),
                                            ("CE000123", "charity")])
def test_create_maps_entity_types(provider, admin, number, entity):
    client = make(provider, admin, number)
    assert client.entity_type == entity and client.contact_links == []


def test_duplicate_company_even_when_archived(provider, admin):
    first = make(provider, admin)
    clients.archive_client(first, user=admin)
    with pytest.raises(ch.DuplicateCompany) as e:
        make(provider, admin, "9876543")
    assert e.value.client.id == first.id and "archived" in str(e.value)
    assert db.session.scalar(db.select(db.func.count(Client.id))) == 1


def test_invalid_typed_fields_refuse_and_store_nothing(provider, admin):
    with pytest.raises(clients.ClientInvalid) as e:
        make(provider, admin, data={"vat_number": "nonsense"})
    assert "vat_number" in e.value.errors
    assert db.session.scalar(db.select(db.func.count(Client.id))) == 0
    assert db.session.scalar(db.select(db.func.count(ExternalLink.id))) == 0


def test_unknown_company_creates_nothing(provider, admin):
    with pytest.raises(ProviderNotFound):
        make(provider, admin, "12345678")
    assert db.session.scalar(db.select(db.func.count(Client.id))) == 0


OWNED_CHANGES = {
    "legal_name": "Something Else Ltd", "company_number": "01234567",
    "entity_type": "partnership", "incorporation_date": "2001-01-01",
    "registered_address": Address(line1="1 Other Road", town="Leeds", postcode="LS1 1AA"),
    "sic_codes": "01110",
}


@pytest.mark.parametrize("field", sorted(OWNED_CHANGES))
def test_update_cannot_change_an_owned_field(provider, admin, field):
    client = make(provider, admin)
    before = getattr(client, field)
    with pytest.raises(clients.ClientInvalid) as e:
        clients.update_client(client, {field: OWNED_CHANGES[field], "website": "x.example"},
                              expected_version=client.version, user=admin)
    assert "comes from Companies House" in e.value.errors[field][0]
    db.session.expire_all()
    assert getattr(db.session.get(Client, client.id), field) == before
    assert db.session.get(Client, client.id).website is None


def test_update_may_change_fields_companies_house_does_not_own(provider, admin):
    client = make(provider, admin)
    clients.update_client(client, {"vat_number": "GB123456782", "legal_name": client.legal_name},
                          expected_version=client.version, user=admin)
    assert client.vat_number == "GB123456782"


def test_resync_diff_and_event(provider, admin, ch_emulator):
    client = make(provider, admin)
    ch_emulator.update_company("09876543", {
        "company_name": "NORTHWIND DATA LTD", "company_status": "dissolved",
        "date_of_cessation": "2026-01-20", "sic_codes": ["62020"]},
        officers=[{"name": "PATEL, Priya", "officer_role": "director",
                   "appointed_on": "2018-09-10"}])
    result = ch.resync(client, provider, user=admin)
    assert result.changed and result.name_changed and result.status_changed
    assert result.status == "Dissolved" and result.name == "NORTHWIND DATA LTD"
    changes = {c["field"]: c for c in result.changes}
    assert changes["legal_name"]["before"] == "NORTHWIND ANALYTICS LTD"
    assert changes["legal_name"]["after"] == "NORTHWIND DATA LTD"
    assert changes["sic_codes"]["after"] == ["62020"]
    assert changes["ch.company_status"]["before"] == "Active"
    assert changes["ch.company_status"]["after"] == "Dissolved"
    assert changes["ch.date_of_cessation"]["after"] == "2026-01-20"
    assert changes["ch.officers"]["after"] == ["PATEL, Priya (Director)"]
    assert client.display_name == "NORTHWIND DATA LTD"
    [event] = events(client, "resynced")
    assert event.user_id == admin.id and "legal name" in event.summary
    assert {c["field"] for c in event.changes} == set(changes)
    profile = db.session.scalars(db.select(CompaniesHouseProfile)).one()
    assert profile.company_status == "dissolved" and len(profile.officers) == 1


def test_resync_without_changes(provider, admin):
    client = make(provider, admin)
    version = client.version
    officer_ids = [o.id for o in db.session.scalars(db.select(Officer))]
    result = ch.resync(client, provider, user=admin)
    assert not result.changed and result.changes == [] and result.synced_at
    assert client.version == version  # nothing to save on the client itself
    assert [o.id for o in db.session.scalars(db.select(Officer))] == officer_ids
    assert "no changes" in events(client, "resynced")[0].summary


def test_failed_resync_changes_nothing(provider, admin, ch_emulator):
    client = make(provider, admin)
    synced = client.active_link.last_synced_at
    ch_emulator.update_company("09876543", {"company_name": "CHANGED LTD"})
    ch_emulator.fail_next("/company/09876543/officers", 503, times=10)
    with pytest.raises(ProviderUnavailable):
        ch.resync(client, provider, user=admin)
    db.session.expire_all()
    client = db.session.get(Client, client.id)
    assert client.legal_name == "NORTHWIND ANALYTICS LTD"
    assert client.active_link.last_synced_at == synced
    assert events(client, "resynced") == []


def test_unlink_keeps_values_and_makes_fields_editable(provider, admin):
    client = make(provider, admin)
    ch.unlink(client, user=admin)
    assert client.active_link is None and sources.owned_fields(client) == frozenset()
    assert client.legal_name == "NORTHWIND ANALYTICS LTD"
    clients.update_client(client, {"legal_name": "Northwind (manual)"},
                          expected_version=client.version, user=admin)
    assert client.display_name == "Northwind (manual)"
    assert len(events(client, "unlinked")) == 1
    with pytest.raises(sources.NotLinked):
        ch.resync(client, provider, user=admin)


def test_link_a_manual_client_with_preview(provider, admin, make_client):
    client = make_client(legal_name="Thistle and Co", vat_number="GB123456782", user=admin)
    record = provider.fetch_company("SC123456")
    preview = {row["field"]: row for row in ch.preview_link(client, record)}
    assert preview["legal_name"]["current"] == "Thistle and Co"
    assert preview["legal_name"]["incoming"] == "THISTLE & CO. LIMITED"
    assert "vat_number" not in preview
    result = ch.link_company(client, "sc123456", provider, user=admin)
    assert {c["field"] for c in result.changes} == set(preview)
    assert client.legal_name == "THISTLE & CO. LIMITED" and client.vat_number == "GB123456782"
    assert client.active_link.external_id == "SC123456"
    assert len(events(client, "linked")) == 1
    ch.unlink(client, user=admin)
    ch.link_company(client, "SC123456", provider, user=admin)  # the old link comes back
    assert len(client.external_links) == 1 and client.active_link is not None


def test_link_refuses_a_number_another_client_has(provider, admin, make_client):
    make(provider, admin)
    manual = make_client(legal_name="Copy", user=admin)
    with pytest.raises(ch.DuplicateCompany):
        ch.link_company(manual, "09876543", provider, user=admin)
    assert manual.active_link is None


def officer(client, name):
    return db.session.scalars(db.select(Officer).join(CompaniesHouseProfile).where(
        CompaniesHouseProfile.client_id == client.id, Officer.name == name)).one()


def psc(client, name):
    return db.session.scalars(db.select(SignificantControl).join(CompaniesHouseProfile).where(
        CompaniesHouseProfile.client_id == client.id, SignificantControl.name == name)).one()


def test_add_person_as_contact_dedupes_across_clients(provider, admin):
    northwind = make(provider, admin)
    greenfield = make(provider, admin, "11223344")
    contact, created = ch.add_person_as_contact(
        northwind, "officer", officer(northwind, "SMITH, John Andrew").id, user=admin)
    assert created and (contact.first_name, contact.last_name) == ("John Andrew", "Smith")
    assert northwind.primary_contact == contact  # the first contact of a bulk client
    assert northwind.contact_links[0].role == "Director"
    same, created = ch.add_person_as_contact(
        greenfield, "officer", officer(greenfield, "SMITH, John Andrew").id, user=admin)
    assert same.id == contact.id and not created
    again, created = ch.add_person_as_contact(
        northwind, "psc", psc(northwind, "Mr John Andrew Smith").id, user=admin)
    assert again.id == contact.id and not created and len(northwind.contact_links) == 1


def test_add_psc_as_contact_with_title_and_role(provider, admin):
    client = make(provider, admin, "SC123456")
    contact, created = ch.add_person_as_contact(client, "psc",
                                                psc(client, "Mrs Fiona Macleod").id, user=admin)
    assert created and (contact.title, contact.first_name, contact.last_name) == (
        "Mrs", "Fiona", "Macleod")
    assert client.contact_links[0].role == "Person with significant control"


@pytest.mark.parametrize("kind, name, words", [
    ("officer", "TAYLOR, Mark", "resigned"), ("psc", "GREENFIELD GROUP LIMITED", "not a person"),
    ("psc", "Mr Mark Taylor", "stopped being")])
def test_add_person_refuses_companies_and_former_people(provider, admin, kind, name, words):
    client = make(provider, admin, "11223344")
    row = officer(client, name) if kind == "officer" else psc(client, name)
    with pytest.raises(ch.CannotAddPerson) as e:
        ch.add_person_as_contact(client, kind, row.id, user=admin)
    assert words in str(e.value) and client.contact_links == []


def test_add_person_refuses_another_clients_row(provider, admin):
    northwind, other = make(provider, admin), make(provider, admin, "SC123456")
    with pytest.raises(ch.CannotAddPerson):
        ch.add_person_as_contact(other, "officer", officer(northwind, "PATEL, Priya").id,
                                 user=admin)


def test_import_numbers(provider, admin):
    make(provider, admin, "SC123456")
    results = ch.import_numbers(["9876543", "09876543", "sc123456", "12345678", "ABC", "",
                                 "50000503"], provider, user=admin)
    assert [(r.number, r.status) for r in results] == [
        ("09876543", "created"), ("SC123456", "exists"), ("12345678", "not_found"),
        ("ABC", "invalid"), ("50000503", "failed")]
    assert results[0].client_id and "NORTHWIND" in results[0].message
    assert "error 503" in results[-1].message


def test_resync_all_job_summary_with_a_failing_company(provider, admin, ch_emulator, ch_app):
    a, b, c = (make(provider, admin, n) for n in ("09876543", "SC123456", "08123456"))
    clients.archive_client(c, user=admin)  # archived clients are left alone
    ch_emulator.update_company("09876543", {"company_status": "liquidation"})
    ch_emulator.fail_next("/company/SC123456", 500, times=10)
    run = resync_all(admin)
    assert (run.status, run.total, run.processed) == ("done", 2, 2)
    assert (run.updated, run.skipped, run.failed) == (1, 0, 1)
    [error] = run.errors
    assert error["client_id"] == b.id and "error 500" in error["reason"]
    assert run.finished_at is not None and run.started_by_id == admin.id
    assert len(events(a, "resynced")) == 1


def test_resync_all_without_a_key_fails_clearly(app, admin):
    app.config["COMPANIES_HOUSE_API_KEY"] = None
    run = resync_all(admin)
    assert run.status == "failed" and "No Companies House API key" in run.errors[0]["reason"]
