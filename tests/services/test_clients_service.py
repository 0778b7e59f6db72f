"""clients service: creating clients by hand, refusals, stored text, edits and their diffs."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from cone.services import clients as cs
from cone.services.models import (ActivityEvent, Address, Client, ClientContact, Contact, Tag,
                                  db)
from tests.helpers import add_user

JANE = cs.NewContact("Jane", "Doe", email="jane@example.com", phone="020 7946 0000",
                     role="Director")


def counts() -> dict[str, int]:
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
            for m in (Client, Contact, ClientContact, ActivityEvent, Tag)}


def one_contact(primary="new:0"):
    return cs.ContactsInput(new=[JANE], existing=[], primary=primary)


def business(user, **data):
    return cs.create_client("business", {"legal_name": "Acme Ltd", **data}, one_contact(),
                            user=user)


def events(client, action=None):
    stmt = select(ActivityEvent).where(ActivityEvent.client_id == client.id)
    if action:
        stmt = stmt.where(ActivityEvent.action == action)
    return list(db.session.scalars(stmt.order_by(ActivityEvent.id)))


def test_create_business_with_a_new_primary_contact(admin):
    client = business(admin, company_number="sc 12345", vat_number="980780684",
                      registered_address=Address("1 High St", None, "Leeds", None, "ls1 4ap", None),
                      sic_codes=["6202", "62020"], website="acme.example", tags=["VIP", "vip "],
                      year_end_day=31, year_end_month=3, status="prospect",
                      incorporation_date=date(2001, 2, 3), manager_id=admin.id)
    assert client.id and client.version == 1 and client.kind == "business"
    assert client.display_name == "Acme Ltd" and client.status == "prospect"
    assert client.company_number == "SC012345" and client.vat_number == "GB980780684"
    assert client.registered_address.postcode == "LS1 4AP"
    assert client.sic_codes == ["06202", "62020"] and client.website == "https://acme.example"
    assert [t.name for t in client.tags] == ["VIP"]
    assert client.created_by_id == client.updated_by_id == admin.id
    links = client.contact_links
    assert len(links) == 1 and links[0].is_primary and links[0].role == "Director"
    assert client.primary_contact.email == "jane@example.com"
    created, added = events(client)
    assert (created.action, created.summary) == ("created", "Created business client Acme Ltd")
    changed = {c["field"]: c["after"] for c in created.changes}
    assert changed["company_number"] == "SC012345" and changed["tags"] == ["VIP"]
    assert changed["registered_address"] == "1 High St, Leeds, LS1 4AP"
    assert set(changed) <= set(cs.FIELD_LABELS)
    assert added.action == "contact_added" and added.contact_id == links[0].contact_id
    assert "Jane Doe (Director) as the primary contact" in added.summary


def test_create_with_an_existing_contact_as_primary(admin):
    other = business(admin, legal_name="Other Ltd")
    jane_id = other.primary_contact.id
    choice = cs.ContactChoice(jane_id, role="Company secretary")
    client = cs.create_client(
        "business", {"legal_name": "Beta LLP", "entity_type": "llp"},
        cs.ContactsInput(new=[cs.NewContact("Raj", "Patel")], existing=[choice],
                         primary="existing:0"), user=admin)
    assert client.primary_contact.id == jane_id
    roles = {cc.contact.first_name: (cc.role, cc.is_primary) for cc in client.contact_links}
    assert roles == {"Jane": ("Company secretary", True), "Raj": (None, False)}
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 2
    assert [e.action for e in events(client)] == ["created", "contact_added", "contact_linked"]


def test_same_contact_picked_twice_is_linked_once(admin):
    jane_id = business(admin).primary_contact.id
    client = cs.create_client(
        "business", {"legal_name": "Gamma Ltd"},
        cs.ContactsInput(new=[], existing=[cs.ContactChoice(jane_id), cs.ContactChoice(jane_id)],
                         primary="existing:1"), user=admin)
    assert len(client.contact_links) == 1 and client.primary_contact.id == jane_id


def test_individual_self_primary_makes_a_contact_of_the_client(admin):
    client = cs.create_client(
        "individual", {"title": "Dr", "first_name": "Zoë", "middle_name": "Anne",
                       "last_name": "O'Brien", "email": "zoe@example.com", "phone": "07700 900123",
                       "ni_number": "ab 12 34 56 c", "sa_utr": "19558 39661",
                       "date_of_birth": date(1980, 1, 2)},
        cs.ContactsInput(new=[JANE], existing=[], primary="self"), user=admin)
    assert client.display_name == "Zoë Anne O'Brien"
    assert client.ni_number == "AB123456C" and client.sa_utr == "1955839661"
    me = client.primary_contact
    assert (me.title, me.first_name, me.last_name, me.email, me.phone) == (
        "Dr", "Zoë", "O'Brien", "zoe@example.com", "07700 900123")
    assert sum(cc.is_primary for cc in client.contact_links) == 1
    assert len(client.contact_links) == 2


def test_self_primary_is_refused_for_a_business(admin):
    before = counts()
    with pytest.raises(cs.ClientInvalid) as err:
        cs.create_client("business", {"legal_name": "Acme Ltd"},
                         cs.ContactsInput(new=[JANE], existing=[], primary="self"), user=admin)
    assert "cannot be its own contact" in err.value.errors["contacts"][0]
    assert counts() == before


@pytest.mark.parametrize("contacts", [
    cs.ContactsInput(new=[JANE], existing=[], primary=""),
    cs.ContactsInput(new=[], existing=[], primary=""),
    cs.ContactsInput(new=[JANE], existing=[], primary="new:1"),
    cs.ContactsInput(new=[JANE], existing=[], primary="existing:0"),
    cs.ContactsInput(new=[JANE], existing=[], primary="nonsense"),
])
def test_a_primary_contact_is_required(admin, contacts):
    before = counts()
    with pytest.raises(cs.ClientInvalid) as err:
        cs.create_client("business", {"legal_name": "Acme Ltd"}, contacts, user=admin)
    assert "primary contact" in err.value.errors["contacts"][0]
    assert counts() == before


def test_unknown_contact_writes_nothing(admin):
    business(admin, tags=["Existing"])
    before = counts()
    with pytest.raises(cs.UnknownContact) as err:
        cs.create_client("business", {"legal_name": "Beta Ltd", "tags": ["Brand new tag"]},
                         cs.ContactsInput(new=[JANE], existing=[cs.ContactChoice(9999)],
                                          primary="new:0"), user=admin)
    assert isinstance(err.value, cs.ClientInvalid)
    assert "no longer exists" in err.value.errors["contacts"][0]
    assert counts() == before


def test_an_invalid_new_contact_is_keyed_by_its_form_field(admin):
    contacts = cs.ContactsInput(new=[cs.NewContact("Jane"), cs.NewContact("", email="nope")],
                                existing=[], primary="new:0")
    with pytest.raises(cs.ClientInvalid) as err:
        cs.create_client("business", {"legal_name": "Acme Ltd"}, contacts, user=admin)
    assert set(err.value.errors) == {"contacts-1-first_name", "contacts-1-email"}


@pytest.mark.parametrize("kind, field, value, words", [
    ("business", "company_number", "XX123456", "prefix"),
    ("business", "vat_number", "GB123456789", "VAT number"),
    ("business", "ct_utr", "2134567890", "UTR is not valid"),
    ("business", "paye_reference", "123AB", "PAYE reference"),
    ("business", "accounts_office_reference", "123PA1", "Accounts Office reference"),
    ("business", "ch_auth_code", "ABC", "6 letters"),
    ("business", "website", "localhost", "web address"),
    ("business", "sic_codes", ["620"], "SIC code"),
    ("business", "entity_type", "empire", "entity type"),
    ("business", "incorporation_date", date.today() + timedelta(days=1), "in the future"),
    ("business", "email", "not-an-email", "e-mail"),
    ("business", "phone", "call me", "phone number"),
    ("business", "status", "friend", "customer or prospect"),
    ("individual", "ni_number", "QQ123456C", "National Insurance"),
    ("individual", "sa_utr", "12345", "10 digits"),
    ("individual", "date_of_birth", date.today() + timedelta(days=3),
     "Date of birth cannot be in the future."),
    ("individual", "date_of_birth", "31/02/1990", "not a date"),
    ("individual", "manager_id", 9999, "manager"),
    ("individual", "year_end_month", "March", "must be a number"),
])
def test_format_refusals(admin, kind, field, value, words):
    base = {"legal_name": "Acme Ltd"} if kind == "business" else {"first_name": "Ann",
                                                                  "last_name": "Lee"}
    before = counts()
    with pytest.raises(cs.ClientInvalid) as err:
        cs.create_client(kind, {**base, field: value}, one_contact(), user=admin)
    assert words.lower() in " ".join(err.value.errors[field]).lower()
    assert counts() == before


@pytest.mark.parametrize("kind, data, field", [
    ("business", {"legal_name": "  "}, "legal_name"),
    ("business", {"trading_name": "Acme"}, "legal_name"),
    ("individual", {"first_name": "Ann"}, "last_name"),
    ("individual", {"last_name": "Lee"}, "first_name"),
    ("business", {"legal_name": "Acme", "first_name": "Ann"}, ""),
    ("robot", {"legal_name": "Acme"}, "kind"),
    ("business", {"legal_name": "Acme", "year_end_day": 31}, "year_end_month"),
    ("business", {"legal_name": "Acme", "year_end_day": 31, "year_end_month": 4}, "year_end_day"),
    ("business", {"legal_name": "Acme", "tags": ["x" * 61]}, "tags"),
    ("business", {"legal_name": "Acme",
                  "registered_address": Address(postcode="NOT A CODE")}, "registered_postcode"),
    ("business", {"legal_name": "Acme\x00"}, "legal_name"),
])
def test_required_and_structural_refusals(admin, kind, data, field):
    with pytest.raises(cs.ClientInvalid) as err:
        cs.create_client(kind, data, one_contact(), user=admin)
    assert err.value.errors[field]
    assert str(err.value)


def test_an_inactive_user_cannot_be_made_manager(admin):
    former = add_user("former@example.com", "staff", active=False)
    with pytest.raises(cs.ClientInvalid) as err:
        business(admin, partner_id=former.id)
    assert "partner" in err.value.errors["partner_id"][0]


def test_foreign_postcodes_are_kept_as_typed(admin):
    client = business(admin, registered_address=Address("Rue 1", None, "Paris", None, "75001",
                                                        "France"))
    assert client.registered_address.postcode == "75001"


def test_tags_reuse_existing_names_ignoring_case(admin):
    first = business(admin, tags="Payroll, VAT")
    second = business(admin, legal_name="Beta Ltd", tags=["  payroll  ", "Year   end"])
    assert [t.name for t in second.tags] == ["Payroll", "Year end"]
    assert second.tags[0] is first.tags[0]
    assert db.session.scalar(select(func.count()).select_from(Tag)) == 3


HOSTILE = [
    "Café Élan Sp. z o.o. – Łódź", "中文名字有限公司", "O'Brien & Sons", "<script>alert(1)</script>",
    "{{ 7*7 }} {% raw %}", "evil\u202etxt.exe", "Pizza 🍕 Ltd", "\"Quoted\" 'names' `too`",
    "Robert'); DROP TABLE client;--",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_unicode_and_hostile_text_is_stored_exactly(admin, name):
    client = business(admin, legal_name=name, trading_name=name, internal_reference=name[:60],
                      tags=[name[:60]])
    contact = cs.NewContact(name[:100], name[:100], role=name[:100])
    other = cs.create_client("individual", {"first_name": name[:100], "last_name": name[:100]},
                             cs.ContactsInput(new=[contact], existing=[], primary="new:0"),
                             user=admin)
    client_id, other_id = client.id, other.id
    db.session.expire_all()
    client, other = db.session.get(Client, client_id), db.session.get(Client, other_id)
    assert client.legal_name == client.trading_name == client.display_name == name
    assert client.tags[0].name == name[:60]
    assert other.display_name == f"{name[:100]} {name[:100]}"
    assert other.primary_contact.last_name == name[:100]
    assert other.contact_links[0].role == name[:100]


def length(column: str) -> int:
    return Client.__table__.columns[column].type.length


@pytest.mark.parametrize("kind, field", [
    ("business", "legal_name"), ("business", "trading_name"), ("business", "internal_reference"),
    ("individual", "title"), ("individual", "first_name"), ("individual", "middle_name"),
    ("individual", "last_name"),
])
def test_over_long_text_gets_a_length_message(admin, kind, field):
    limit = length(field)
    base = {"legal_name": "Acme"} if kind == "business" else {"first_name": "A", "last_name": "B"}
    with pytest.raises(cs.ClientInvalid) as err:
        cs.create_client(kind, {**base, field: "é" * (limit + 1)}, one_contact(), user=admin)
    assert err.value.errors[field] == [
        f"{cs.FIELD_LABELS[field]} can have at most {limit} characters (this has {limit + 1})."]
    ok = cs.create_client(kind, {**base, field: "é" * limit}, one_contact(), user=admin)
    assert getattr(ok, field) == "é" * limit


@pytest.mark.parametrize("field, value", [
    ("email", "a" * 250 + "@example.com"),
    ("website", "https://example.com/" + "a" * 300),
    ("registered_address", Address(line1="x" * 201)),
    ("trading_address", Address(country="y" * 81)),
])
def test_over_long_formatted_values_are_refused_not_crashed(admin, field, value):
    with pytest.raises(cs.ClientInvalid) as err:
        business(admin, **{field: value})
    message = " ".join(m for msgs in err.value.errors.values() for m in msgs)
    assert "at most" in message or "valid e-mail" in message


def test_over_long_contact_details_are_refused(admin):
    contacts = cs.ContactsInput(new=[cs.NewContact("x" * 101, role="r" * 101)], existing=[],
                                primary="new:0")
    with pytest.raises(cs.ClientInvalid) as err:
        cs.create_client("business", {"legal_name": "Acme"}, contacts, user=admin)
    assert "at most 100 characters" in err.value.errors["contacts-0-first_name"][0]
    assert "at most 100 characters" in err.value.errors["contacts-0-role"][0]


def test_edit_records_a_field_level_diff(admin, staff):
    client = business(admin, phone="020 7946 0000", tags=["VIP"])
    cs.update_client(client, {"legal_name": "Acme Holdings Ltd", "phone": "", "tags": "vip, New",
                              "vat_number": "GB 980 7806 84", "manager_id": staff.id},
                     expected_version=1, user=staff)
    assert client.version == 2 and client.updated_by_id == staff.id
    assert client.display_name == "Acme Holdings Ltd" and client.phone is None
    event = events(client, "updated")[0]
    assert event.user_id == staff.id
    assert event.summary.startswith("Updated Acme Holdings Ltd:")
    assert {c["field"]: (c["before"], c["after"]) for c in event.changes} == {
        "legal_name": ("Acme Ltd", "Acme Holdings Ltd"),
        "phone": ("020 7946 0000", None),
        "tags": (["VIP"], ["New", "VIP"]),
        "vat_number": (None, "GB980780684"),
        "manager_id": (None, staff.id),
    }


def test_saving_without_changes_writes_nothing(admin):
    client = business(admin, tags=["VIP"], website="https://acme.example")
    before = counts()
    cs.update_client(client, {"legal_name": " Acme Ltd ", "tags": ["vip"], "website": "acme.example"},
                     expected_version=1, user=admin)
    assert client.version == 1 and counts() == before


def test_edit_refuses_bad_values_and_keeps_the_saved_ones(admin):
    client = business(admin)
    with pytest.raises(cs.ClientInvalid) as err:
        cs.update_client(client, {"legal_name": "", "company_number": "ABC"},
                         expected_version=1, user=admin)
    assert set(err.value.errors) == {"legal_name", "company_number"}
    db.session.expire_all()
    assert client.legal_name == "Acme Ltd" and client.version == 1
    assert events(client, "updated") == []
