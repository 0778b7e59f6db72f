"""Imports keep every customer: values Cone cannot keep are left empty with a warning, names
are the ledger's, e-mails are shared out, and the preview says what each record will do.

The payloads are shaped like the platforms' own JSON and mapped by the real adapters.
"""
import httpx
import pytest
from sqlalchemy import select

from cone.services import clients, imports
from cone.services.imports import apply
from cone.services.imports.preview import plan_rows, preview_again, row_from_json
from cone.services.models import (ActivityEvent, Address, Client, Connection, Contact,
                                  ExternalLink, ImportRun, db)
from cone.services.providers import freeagent, sage
from cone.services.providers.accounting import ContactPerson, ExternalCustomer
from cone.services.providers.quickbooks import QuickBooks
from cone.services.providers.xero import Xero
from cone.services.tx import transaction
from tests.data import platforms
from tests.helpers import count, run_import

REALM = "9130350000000001"
TENANT = "7b1c2c2e-6f1a-4a5e-9d8f-2b0c4d5e6f70"


def adapter(cls, tenant):
    """A real adapter; mapping a payload never calls the platform."""
    return cls(httpx.Client(base_url="http://platform.invalid"), tenant, None)


def xero(**raw):
    payload = {"ContactID": "a3f1e0c2-0d6b-4a57-9c55-1f2e3d4c5b6a", "ContactStatus": "ACTIVE",
               "IsCustomer": True, "UpdatedDateUTC": "/Date(1717171717000+0000)/", **raw}
    return adapter(Xero, TENANT).to_customer(payload)


def quickbooks(**raw):
    payload = {"Id": "58", "SyncToken": "3", "Active": True, "Job": False,
               "MetaData": {"CreateTime": "2024-02-01T10:00:00-08:00",
                            "LastUpdatedTime": "2024-06-01T10:00:00-07:00"}, **raw}
    return adapter(QuickBooks, REALM).to_customer(payload)


def customer(external_id="C1", name="Acme Widgets Ltd", **kw) -> ExternalCustomer:
    values = dict(provider="xero", external_id=external_id, tenant_id="T1", name=name,
                  kind="business", first_name=None, last_name=None, email=None, phone=None,
                  address=Address(line1="1 High Street", town="Leeds", postcode="LS1 4AP"),
                  company_number=None, vat_number=None, people=(), is_customer=True,
                  archived=False, updated_at=None, raw={"ContactID": external_id})
    values.update(kw)
    return ExternalCustomer(**values)


def create(c, admin, **kw) -> Client:
    with transaction():
        client = apply.create(c, admin, **kw)
    return client


def warnings_of(client) -> dict[str, str]:
    return {w["field"]: w["message"] for w in client.active_link.warnings or []}


def test_bad_optional_values_are_left_empty_with_a_warning_each(admin):
    c = xero(Name="Hill & O’Brien Joinery Ltd", CompanyNumber="SC12345X",
             TaxNumber="DE123456789", EmailAddress="accounts@hillobrien",
             Phones=[{"PhoneType": "DEFAULT", "PhoneNumber": "0207 ABC 1234"}],
             Addresses=[{"AddressType": "POBOX"},
                        {"AddressType": "STREET", "AddressLine1": "Unit 4, Riverside",
                         "City": "Inverness", "PostalCode": "IV1 1AA", "Country": "UK"}])
    client = create(c, admin)
    assert client.display_name == client.legal_name == "Hill & O’Brien Joinery Ltd"
    assert (client.company_number, client.vat_number, client.email, client.phone) == (
        None, None, None, None)
    assert client.registered_address.postcode == "IV1 1AA"
    assert warnings_of(client) == {
        "company_number": "Company number “SC12345X” is not a UK company number: left empty.",
        "vat_number": "VAT number “DE123456789” is a foreign VAT number (DE), not a UK one: "
                      "left empty.",
        "email": "E-mail “accounts@hillobrien” is not a valid e-mail address: left empty.",
        "phone": "Phone “0207 ABC 1234” is not a phone number: left empty."}
    warning = client.active_link.warnings[0]
    assert warning == {"field": "company_number", "label": "Company number", "value": "SC12345X",
                       "message": warnings_of(client)["company_number"]}
    assert client.active_link.payload["CompanyNumber"] == "SC12345X"  # the raw record kept


@pytest.mark.parametrize("number, vat, field, message", [
    ("1234567890", None, "company_number",
     "Company number “1234567890” looks like a UTR, not a UK company number: left empty."),
    (None, "GB 123 4567 88", "vat_number",
     "VAT number “GB 123 4567 88” is not a valid UK VAT number: left empty."),
])
def test_a_utr_in_the_company_box_and_a_bad_checksum_are_warned(admin, number, vat, field,
                                                                  message):
    raw = {"Name": "Brontë Bakery Ltd"}
    raw.update({k: v for k, v in (("CompanyNumber", number), ("TaxNumber", vat)) if v})
    client = create(xero(**raw), admin)
    assert getattr(client, field) is None and warnings_of(client) == {field: message}


def test_a_too_long_name_is_cut_and_a_too_long_address_line_left_empty(admin):
    long_name, long_line = "Very Long Name " * 25 + "Ltd", "Flat 1, " + "x" * 250
    client = create(customer(name=long_name.strip(), address=Address(
        line1=long_line, town="Leeds", postcode="see notes: call first", country="UK")), admin)
    assert client.legal_name == long_name.strip()[:300].strip()
    assert client.registered_address.line1 is None and client.registered_address.town == "Leeds"
    found = warnings_of(client)
    assert found["legal_name"].endswith("is longer than 300 characters: cut to 300.")
    assert found["registered_line1"].startswith("Registered office: address line 1 “Flat 1, ")
    assert found["registered_line1"].endswith("is longer than 200 characters: left empty.")
    assert {w["value"] for w in client.active_link.warnings} >= {long_line}
    assert client.registered_address.postcode is None
    assert found["registered_postcode"] == ("Registered office: postcode “see notes: call first” "
                                            "is longer than 16 characters: left empty.")


def test_a_contact_person_with_a_bad_email_or_phone_is_kept_without_it(admin):
    c = customer(people=(ContactPerson("Jo", "Bloggs", "jo@", "call Jo"),
                         ContactPerson("Sam", "Hill", "sam@acme.example", None)))
    client = create(c, admin)
    people = {cc.contact.name: cc.contact for cc in client.contact_links}
    assert set(people) == {"Jo Bloggs", "Sam Hill"}
    assert people["Jo Bloggs"].email is None and people["Jo Bloggs"].phone is None
    assert warnings_of(client) == {
        "person1_email": "Contact Jo Bloggs: e-mail “jo@” is not a valid e-mail address: "
                         "left empty.",
        "person1_phone": "Contact Jo Bloggs: phone “call Jo” is not a phone number: left empty."}


def test_two_emails_in_xero_go_to_the_client_and_a_contact_without_one(admin):
    c = xero(Name="Penn & Teller Magic Ltd", EmailAddress="office@pennteller.example; "
             "bookings@pennteller.example, sales@pennteller",
             ContactPersons=[{"FirstName": "Teller", "LastName": "", "EmailAddress": ""}])
    client = create(c, admin)
    assert client.email == "office@pennteller.example"
    [person] = [cc.contact for cc in client.contact_links]
    assert (person.first_name, person.email) == ("Teller", "bookings@pennteller.example")
    assert warnings_of(client) == {
        "other_emails": "Other e-mail “sales@pennteller” is not a valid e-mail address: "
                        "not kept."}


def test_an_other_email_with_no_one_to_take_it_is_a_warning(admin):
    c = quickbooks(DisplayName="Smith Electrical Services", CompanyName="Smith Electrical Services",
                   GivenName="Dan", FamilyName="Smith",
                   PrimaryEmailAddr={"Address": "dan@smithelectrical.example, "
                                                "accounts@smithelectrical.example"})
    client = create(c, admin)
    assert client.email == "dan@smithelectrical.example"
    assert [cc.contact.email for cc in client.contact_links] == ["dan@smithelectrical.example"]
    assert warnings_of(client) == {
        "other_emails": "Other e-mail “accounts@smithelectrical.example” has no contact person "
                        "to go to: not kept."}


def test_a_foreign_address_is_kept_as_it_is_with_its_country(admin):
    c = quickbooks(DisplayName="Acme Supplies Inc", CompanyName="Acme Supplies Inc",
                   BillAddr={"Id": "9", "Line1": "350 Fifth Avenue", "City": "New York",
                             "CountrySubDivisionCode": "NY", "PostalCode": "10118",
                             "Country": "USA", "Lat": "INVALID", "Long": "INVALID"})
    client = create(c, admin)
    assert client.registered_address == Address(line1="350 Fifth Avenue", town="New York",
                                                county="NY", postcode="10118", country="USA")
    assert client.active_link.warnings is None


def test_an_individual_keeps_every_name_part_and_the_ledger_name(admin):
    c = quickbooks(DisplayName="Doe, Jane", Title="Dr", GivenName="Jane", MiddleName="Q.",
                   FamilyName="Doe", Suffix="Jr")
    assert c.kind == "individual"
    client = create(c, admin)
    assert (client.title, client.first_name, client.middle_name, client.last_name,
            client.suffix) == ("Dr", "Jane", "Q.", "Doe", "Jr")
    assert client.known_as == client.display_name == "Doe, Jane"


@pytest.mark.parametrize("name, first, middle, last, known_as", [
    ("Doe, Jane", "Jane", None, "Doe", "Doe, Jane"),            # Family, Given
    ("Doe, Jane Mary", "Jane", "Mary", "Doe", "Doe, Jane Mary"),
    ("Maria Garcia Lopez", "Maria", None, "Garcia Lopez", None),  # first word, then the rest
    ("Cher", "Cher", None, None, None),
    ("Zoë  Brontë 🎂", "Zoë", None, "Brontë 🎂", None),
])
def test_an_individual_without_name_parts_is_split_by_the_documented_rule(
        admin, name, first, middle, last, known_as):
    client = create(customer(name=name, kind="individual"), admin)
    assert (client.first_name, client.middle_name, client.last_name, client.known_as) == (
        first, middle, last, known_as)
    assert client.display_name == (known_as or " ".join(name.split()))


def test_display_name_uses_known_as_and_a_hand_edit_keeps_it(admin):
    client = clients.create_client(
        "individual", {"first_name": "Jane", "last_name": "Doe", "known_as": "J Doe (rental)",
                       "suffix": "OBE"}, clients.ContactsInput(primary="self"), user=admin)
    assert client.display_name == "J Doe (rental)" and client.suffix == "OBE"
    clients.update_client(client, {"known_as": ""}, expected_version=client.version, user=admin)
    assert client.display_name == "Jane Doe"


@pytest.mark.parametrize("name", ["", "   ", "—", "?!"])
def test_a_customer_with_no_usable_name_fails_with_the_reason(admin, name):
    with pytest.raises(apply.RecordFailed, match="Xero has no usable name for this record"):
        create(customer(name=name, email="someone@example.com"), admin)
    assert count(Client) == 0 and count(ExternalLink) == 0
    [row] = imports.build_preview([customer(name=name)])
    assert row.warnings[-1]["message"].endswith("a client needs one. Creating it will fail.")


def test_linking_keeps_the_clients_value_and_says_so(admin):
    existing = clients.create_client(
        "business", {"legal_name": "Acme Widgets Ltd", "vat_number": "GB980780684"},
        clients.ContactsInput(new=[clients.NewContact(first_name="Pat", last_name="Lee")],
                              primary="new:0"), user=admin)
    with transaction():
        changes = apply.link(existing, customer(vat_number="GB123", company_number="SC1X"), admin)
    assert existing.vat_number == "GB980780684"
    assert [c["field"] for c in changes] == ["registered_address"]
    assert warnings_of(existing) == {
        "vat_number": "VAT number “GB123” is not a valid UK VAT number: the client's value "
                      "was kept.",
        "company_number": "Company number “SC1X” is not a UK company number: left empty."}


def test_an_update_shows_warnings_only_while_still_true(admin):
    client = create(customer(vat_number="GB123", email="accounts@acme"), admin)
    link = client.active_link
    assert set(warnings_of(client)) == {"vat_number", "email"}
    with transaction():
        changes = apply.update(client, link, customer(vat_number="GB980780684",
                                                      email="accounts@acme"), admin)
    assert [c["field"] for c in changes] == ["vat_number"]
    assert set(warnings_of(client)) == {"email"}
    with transaction():
        assert apply.update(client, link, customer(vat_number="GB980780684",
                                                   email="accounts@acme.example"), admin)
    assert link.warnings is None and client.email == "accounts@acme.example"


def test_a_person_can_create_a_new_row_as_the_other_kind(admin):
    c = quickbooks(DisplayName="Rodriguez Plumbing", GivenName="Diego", FamilyName="Rodriguez",
                   PrimaryEmailAddr={"Address": "diego@rodriguez.example"})
    assert c.kind == "business"
    run = imports.create_preview_run("quickbooks", imports.build_preview([c]), user=admin)
    assert run.plan[0]["kind"] == "business"
    imports.set_decisions(run, {0: "create"}, kinds={0: "individual"}, user=admin)
    [row] = plan_rows(run)
    assert row.kind == row.customer.kind == "individual"
    client = create(row.customer, admin)
    assert (client.kind, client.first_name, client.last_name, client.known_as) == (
        "individual", "Diego", "Rodriguez", "Rodriguez Plumbing")
    with pytest.raises(imports.ImportRefused):
        imports.set_decisions(run, {0: "create"}, kinds={0: "robot"}, user=admin)


def test_an_individual_created_as_a_business_keeps_the_person_as_its_contact(admin):
    c = quickbooks(DisplayName="Jane Doe", GivenName="Jane", FamilyName="Doe",
                   PrimaryEmailAddr={"Address": "jane@doe.example"})
    assert c.kind == "individual"
    client = create(c, admin, kind="business")
    assert client.legal_name == "Jane Doe" and client.email == "jane@doe.example"
    assert [cc.contact.name for cc in client.contact_links] == ["Jane Doe"]


def job(ident="61", name="Kitchen refit"):
    return quickbooks(Id=ident, DisplayName=name, CompanyName=None, Job=True,
                      ParentRef={"value": "58", "name": "Hill & O’Brien Joinery Ltd"},
                      FullyQualifiedName=f"Hill & O’Brien Joinery Ltd:{name}", Level=1)


def test_a_sub_customer_is_skipped_by_default_and_can_be_created(admin):
    parent = quickbooks(DisplayName="Hill & O’Brien Joinery Ltd",
                        CompanyName="Hill & O’Brien Joinery Ltd")
    rows = imports.build_preview([parent, job()])
    sub = rows[1]
    assert (sub.classification, sub.decision) == ("subcustomer", "skip")
    assert sub.reason == "Sub-customer of Hill & O’Brien Joinery Ltd: skipped"
    assert imports.CHOICES["subcustomer"] == ("skip", "create")
    client = create(sub.customer, admin)
    event = db.session.scalars(select(ActivityEvent).where(
        ActivityEvent.client_id == client.id, ActivityEvent.action == "imported")).one()
    assert event.summary == ("Imported business client Kitchen refit from QuickBooks "
                             "(sub-customer of Hill & O’Brien Joinery Ltd)")


def test_the_same_company_twice_on_the_platform_is_flagged_and_skipped(admin):
    first = xero(ContactID="1", Name="Acme Widgets Ltd", CompanyNumber="01234567")
    second = xero(ContactID="2", Name="ACME WIDGETS LIMITED", CompanyNumber="1234567")
    third = xero(ContactID="3", Name="Jane Doe", FirstName="Jane", LastName="Doe",
                 Addresses=[{"AddressType": "STREET", "AddressLine1": "2 Mill Lane",
                             "PostalCode": "ls6 2ab"}])
    fourth = xero(ContactID="4", Name="Doe, Jane", FirstName="Jane", LastName="Doe",
                  Addresses=[{"AddressType": "STREET", "PostalCode": "LS6 2AB"}])
    rows = imports.build_preview([first, second, third, fourth])
    assert [(r.classification, r.decision) for r in rows] == [
        ("new", "create"), ("duplicate", "skip"), ("new", "create"), ("duplicate", "skip")]
    assert rows[1].reason == "Same as Acme Widgets Ltd (row 1) on Xero: same company number"
    assert rows[3].reason == "Same as Jane Doe (row 3) on Xero: same name and postcode"
    assert imports.CHOICES["duplicate"] == ("skip", "create")


def test_the_preview_carries_each_rows_warnings_and_inactive_flag(admin):
    rows = imports.build_preview([customer("C1", vat_number="GB123"),
                                  customer("C2", "Old Ltd", archived=True)])
    stored = [imports.row_json(r) for r in rows]
    assert [w["field"] for w in stored[0]["warnings"]] == ["vat_number"]
    assert (stored[1]["classification"], stored[1]["inactive"]) == ("skipped", True)
    assert row_from_json(stored[0]).warnings == stored[0]["warnings"]


def test_preview_again_replaces_the_old_preview(admin):
    first = imports.create_preview_run("xero", imports.build_preview([customer()]), user=admin)
    again = preview_again(first, include_inactive=True, user=admin)
    assert again.status == "preview" and count(ImportRun) == 1
    assert db.session.scalars(select(ImportRun.id)).all() == [again.id]


def test_a_new_preview_of_a_connection_replaces_its_older_previews_only(admin):
    xero_conn = Connection(provider="xero", tenant_id="T1", tenant_name="Acme")
    sage_conn = Connection(provider="sage", tenant_id="S1", tenant_name="Acme")
    db.session.add_all([xero_conn, sage_conn])
    db.session.commit()
    rows = imports.build_preview([customer()])
    old = imports.create_preview_run("xero", rows, user=admin, connection_id=xero_conn.id).id
    other = imports.create_preview_run("sage", rows, user=admin, connection_id=sage_conn.id).id
    started = imports.create_preview_run("xero", rows, user=admin, connection_id=xero_conn.id)
    run_import(started, admin)
    new = imports.create_preview_run("xero", rows, user=admin, connection_id=xero_conn.id).id
    ids = set(db.session.scalars(select(ImportRun.id)))
    assert old not in ids and {other, started.id, new} <= ids


def test_rerunning_after_warnings_creates_no_duplicates(admin):
    customers = [xero(ContactID=f"c-{i}", Name=f"Warned Client {i} Ltd", CompanyNumber="12AB",
                      EmailAddress=f"a{i}@x.example, b{i}@y.example") for i in range(3)]
    first = run_import(imports.create_preview_run("xero", imports.build_preview(customers),
                                                  user=admin), admin)
    assert (first.created, first.failed) == (3, 0)
    assert count(Client) == 3 and count(ExternalLink) == 3
    rows = imports.build_preview(customers)
    assert {r.classification for r in rows} == {"linked"}
    assert all(r.warnings for r in rows)
    second = run_import(imports.create_preview_run("xero", rows, user=admin), admin)
    assert (second.created, second.failed) == (0, 0)
    assert count(Client) == 3 and count(ExternalLink) == 3 and count(Contact) == 0
    for link in db.session.scalars(select(ExternalLink)):
        assert {w["field"] for w in link.warnings} == {"company_number", "other_emails"}


def test_freeagent_and_sage_records_with_bad_values_are_imported(admin):
    fa = freeagent.to_customer({
        "url": "https://api.freeagent.com/v2/contacts/101", "organisation_name": "",
        "first_name": "Siobhán", "last_name": "O'Neill", "email": "siobhan@@oneill.example",
        "phone_number": "n/a", "country": "Ireland", "postcode": "D02 X285",
        "town": "Dublin", "address1": "1 Grafton Street", "status": "Active",
        "updated_at": "2024-05-01T10:00:00.000Z"}, tenant_id="fa-1")
    sg = sage.to_customer({
        "id": "e2b1", "displayed_as": "Müller GmbH", "name": "Müller GmbH",
        "contact_types": [{"id": "CUSTOMER"}], "tax_number": "DE 123456789",
        "registered_number": "HRB 12345", "email": "info@mueller.example",
        "main_address": {"address_line_1": "Hauptstraße 5", "city": "Berlin",
                         "postal_code": "10115", "country": {"id": "DE"}},
        "updated_at": "2024-05-01T10:00:00Z"}, tenant_id="sage-1")
    irish, german = create(fa, admin), create(sg, admin)
    assert irish.display_name == "Siobhán O'Neill" and irish.email is None
    assert irish.home_address.postcode == "D02 X285"
    assert set(warnings_of(irish)) >= {"email"}
    assert german.display_name == "Müller GmbH" and german.vat_number is None
    assert {"vat_number"} <= set(warnings_of(german))


def mapped(platform: str) -> list[ExternalCustomer]:
    """Every record of the platform's recorded page, through its real adapter."""
    raws = platforms.records(platform)
    if platform == "xero":
        return [adapter(Xero, TENANT).to_customer(r) for r in raws]
    if platform == "quickbooks":
        return [adapter(QuickBooks, REALM).to_customer(r) for r in raws]
    module = freeagent if platform == "freeagent" else sage
    return [module.to_customer(r, tenant_id=f"{platform}-1") for r in raws]


@pytest.mark.parametrize("platform", platforms.PLATFORMS)
def test_every_recorded_shape_is_created_linked_and_updated_without_failing(admin, platform):
    customers = mapped(platform)
    target = next(c for c in customers if c.kind == "business" and not c.problems
                  and not c.parent_external_id)
    by_hand = clients.create_client(
        "business", {"legal_name": target.name},
        clients.ContactsInput(new=[clients.NewContact(first_name="Pat")], primary="new:0"),
        user=admin)
    rows = imports.build_preview(customers, include_inactive=True)
    decisions = {r.index: "create" for r in rows if r.classification in ("duplicate",
                                                                         "subcustomer")}
    decisions.update({r.index: "link" for r in rows if r.client_id == by_hand.id})
    run = imports.create_preview_run(platform, rows, user=admin)
    imports.set_decisions(run, decisions, user=admin)
    first = run_import(run, admin)
    readable = [r for r in rows if not r.customer.problems]
    assert first.failed == 0 and first.linked == 1
    assert first.created + first.linked == len(readable)
    for link in db.session.scalars(select(ExternalLink)):
        for w in link.warnings or []:
            assert set(w) == {"field", "label", "value", "message"}
            assert w["message"].startswith(w["label"]) and f"“{w['value'][:80]}" in w["message"]
            assert w["message"].endswith(("left empty.", "not kept.", "was kept.", "0."))
    assert by_hand.active_link.provider == platform
    clients_before = count(Client)
    again = run_import(imports.create_preview_run(
        platform, imports.build_preview(customers, include_inactive=True), user=admin), admin)
    assert (again.created, again.failed) == (0, 0) and count(Client) == clients_before
