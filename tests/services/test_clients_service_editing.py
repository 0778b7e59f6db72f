"""clients service: optimistic locking, source-owned fields, archive/restore and the list."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from cone.services import search
from cone.services import sources
from cone.services import clients as cs
from cone.services.models import ActivityEvent, Address, Client, ExternalLink, db, utcnow
from tests.helpers import add_user


def business(user, **data):
    contacts = cs.ContactsInput(new=[cs.NewContact("Jane", "Doe")], existing=[], primary="new:0")
    return cs.create_client("business", {"legal_name": "Acme Ltd", **data}, contacts, user=user)


def actions(client):
    return list(db.session.scalars(select(ActivityEvent.action).where(
        ActivityEvent.client_id == client.id).order_by(ActivityEvent.id)))


def test_two_editors_on_version_1_the_second_gets_stale_client(admin, staff):
    client = business(admin, phone="020 7946 0000", email="office@acme.example")
    form_a = form_b = client.version  # both forms were rendered from version 1
    cs.update_client(client, {"phone": "0161 496 0000", "email": "office@acme.example"},
                     expected_version=form_a, user=staff)
    with pytest.raises(cs.StaleClient) as err:
        cs.update_client(client, {"phone": "020 7946 0000", "email": "hello@acme.example",
                                  "legal_name": "Acme Ltd"},
                         expected_version=form_b, user=admin)
    stale = err.value
    assert stale.client is client and stale.updated_by.id == staff.id
    assert stale.updated_at == client.updated_at
    assert "changed by Sam Staff" in str(stale)
    assert stale.differences == [
        {"field": "phone", "label": "Phone", "saved": "0161 496 0000", "yours": "020 7946 0000"},
        {"field": "email", "label": "E-mail", "saved": "office@acme.example",
         "yours": "hello@acme.example"},
    ]
    db.session.expire_all()
    assert (client.phone, client.email, client.version) == (
        "0161 496 0000", "office@acme.example", 2)
    assert actions(client).count("updated") == 1


def test_a_stale_form_that_matches_what_is_saved_is_no_conflict(admin, staff):
    client = business(admin)
    cs.update_client(client, {"phone": "0161 496 0000"}, expected_version=1, user=staff)
    cs.update_client(client, {"phone": "0161 496 0000", "legal_name": "Acme Ltd"},
                     expected_version=1, user=admin)
    assert client.version == 2 and client.updated_by_id == staff.id


def test_a_race_at_the_database_becomes_stale_client(app_ctx, admin, staff):
    client = business(admin, phone="020 7946 0000")
    assert client.version == 1
    # Another worker commits between our read and our UPDATE, on its own connection
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE client SET phone = :p, version = version + 1, "
                          "updated_by_id = :u WHERE id = :id"),
                     {"p": "0161 496 0000", "u": staff.id, "id": client.id})
    with pytest.raises(cs.StaleClient) as err:
        cs.update_client(client, {"phone": "0113 496 0000", "legal_name": "Acme Ltd"},
                         expected_version=1, user=admin)
    assert err.value.differences == [{"field": "phone", "label": "Phone",
                                      "saved": "0161 496 0000", "yours": "0113 496 0000"}]
    assert err.value.updated_by.id == staff.id
    db.session.expire_all()
    assert (client.phone, client.version) == ("0161 496 0000", 2)
    assert actions(client).count("updated") == 0


CH_FIELDS = {
    "legal_name": ("ACME LIMITED", "Acme Ltd"),
    "company_number": ("01234567", "SC123456"),
    "entity_type": ("limited_company", "llp"),
    "incorporation_date": (date(2001, 2, 3), date(2002, 2, 3)),
    "registered_address": (Address("1 High St", town="Leeds", postcode="LS1 4AP"),
                           Address("2 Low St", town="Leeds", postcode="LS1 4AP")),
    "sic_codes": (["62020"], ["70229"]),
}


def linked(admin, provider, **data):
    client = business(admin, **data)
    client.external_links.append(ExternalLink(provider=provider, external_id="X1"))
    db.session.commit()
    return client


def test_companies_house_owns_its_fields(admin):
    client = linked(admin, "companies_house", **{k: v[0] for k, v in CH_FIELDS.items()})
    assert sources.owned_fields(client) == frozenset(CH_FIELDS)


@pytest.mark.parametrize("field", CH_FIELDS)
def test_a_companies_house_field_cannot_be_changed(admin, field):
    client = linked(admin, "companies_house", **{k: v[0] for k, v in CH_FIELDS.items()})
    with pytest.raises(cs.ClientInvalid) as err:
        cs.update_client(client, {field: CH_FIELDS[field][1]}, expected_version=client.version,
                         user=admin)
    assert err.value.errors[field] == [
        f"{cs.FIELD_LABELS[field]} comes from Companies House: it cannot be changed here."]
    db.session.expire_all()
    assert getattr(client, field) == CH_FIELDS[field][0]


def test_unchanged_owned_values_are_accepted_with_other_changes(admin):
    client = linked(admin, "companies_house", **{k: v[0] for k, v in CH_FIELDS.items()})
    submitted = {k: v[0] for k, v in CH_FIELDS.items()}
    submitted.update(company_number="1234567", legal_name=" ACME LIMITED ", sic_codes="62020",
                     phone="020 7946 0000", trading_name="Acme")
    cs.update_client(client, submitted, expected_version=client.version, user=admin)
    assert (client.phone, client.trading_name, client.company_number) == (
        "020 7946 0000", "Acme", "01234567")


@pytest.mark.parametrize("provider", ["xero", "quickbooks", "freeagent", "sage"])
def test_accounting_sources_own_name_contact_details_address_and_vat(admin, provider):
    client = linked(admin, provider, email="books@acme.example")
    assert sources.owned_fields(client) == frozenset(
        {"legal_name", "email", "phone", "registered_address", "vat_number"})
    with pytest.raises(cs.ClientInvalid) as err:
        cs.update_client(client, {"email": "other@acme.example", "company_number": "1234567"},
                         expected_version=client.version, user=admin)
    assert list(err.value.errors) == ["email"]
    cs.update_client(client, {"email": "books@acme.example", "company_number": "1234567"},
                     expected_version=client.version, user=admin)
    assert client.company_number == "01234567"


def test_manual_and_inactive_sources_own_nothing(admin):
    client = business(admin)
    assert sources.owned_fields(client) == frozenset()
    client.external_links.append(ExternalLink(provider="xero", external_id="X1", active=False))
    db.session.commit()
    assert sources.owned_fields(client) == frozenset()
    cs.update_client(client, {"legal_name": "Renamed Ltd"}, expected_version=1, user=admin)
    assert client.display_name == "Renamed Ltd"


def test_an_inactive_manager_stays_when_the_form_is_saved_unchanged(admin):
    manager = add_user("leaver@example.com", "staff")
    client = business(admin, manager_id=manager.id)
    manager.active = False
    db.session.commit()
    cs.update_client(client, {"manager_id": manager.id, "phone": "020 7946 0000"},
                     expected_version=1, user=admin)
    assert client.manager_id == manager.id and client.version == 2


def test_year_end_is_checked_against_the_saved_half(admin):
    client = business(admin, year_end_day=31, year_end_month=3)
    with pytest.raises(cs.ClientInvalid) as err:
        cs.update_client(client, {"year_end_month": 4}, expected_version=1, user=admin)
    assert "April has 30 days" in err.value.errors["year_end_day"][0]


def test_kind_cannot_change(admin):
    client = business(admin)
    with pytest.raises(cs.ClientInvalid) as err:
        cs.update_client(client, {"kind": "individual"}, expected_version=1, user=admin)
    assert err.value.errors["kind"]


def test_archive_and_restore_record_events(admin, staff):
    client = business(admin)
    cs.archive_client(client, user=staff)
    assert client.archived_at is not None and client.updated_by_id == staff.id
    cs.archive_client(client, user=staff)  # already archived: nothing more happens
    assert search.search_clients(search.ClientQuery()).rows == []
    assert len(search.search_clients(search.ClientQuery(archived=True)).rows) == 1
    cs.restore_client(client, user=admin)
    assert client.archived_at is None
    assert actions(client) == ["created", "contact_added", "archived", "restored"]
    archived = db.session.scalar(select(ActivityEvent).where(ActivityEvent.action == "archived"))
    assert archived.summary == "Archived Acme Ltd" and archived.user_id == staff.id


def test_get_client(admin):
    client = business(admin)
    assert cs.get_client(client.id) is client
    assert cs.get_client(client.id + 100) is None


