"""Import services: classification, decisions, the run (isolation, idempotency), resync."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import event, select

from tests.helpers import count, run_import
from cone.services import sources
from cone.services import clients, imports
from cone.services.imports import plan
from cone.services.models import (ActivityEvent, Address, Client, ClientContact, Contact,
                                  ExternalLink, ImportRun, db)
from cone.services.providers.accounting import ContactPerson, ExternalCustomer

STAMP = datetime(2026, 5, 1, 9, 30, tzinfo=timezone.utc)


def customer(external_id="C1", name="Acme Widgets Ltd", **kw) -> ExternalCustomer:
    """A customer as an adapter would yield it (a fake of the platform, not of our code)."""
    values = dict(provider="xero", external_id=external_id, tenant_id="T1", name=name,
                  kind="business", first_name=None, last_name=None, email=None, phone=None,
                  address=Address(line1="1 High Street", town="Leeds", postcode="LS1 4AP",
                                  country="United Kingdom"),
                  company_number=None, vat_number=None, people=(), is_customer=True,
                  archived=False, updated_at=STAMP, raw={"ContactID": external_id})
    values.update(kw)
    return ExternalCustomer(**values)


def make_client(admin, legal_name="Acme Widgets Ltd", **data):
    contacts = clients.ContactsInput(new=[clients.NewContact(first_name="Pat", last_name="Lee")],
                                     primary="new:0")
    return clients.create_client("business", {"legal_name": legal_name, **data}, contacts,
                                 user=admin)


def run(customers, admin, decisions=None, **kw):
    rows = imports.build_preview(customers, **kw)
    r = imports.create_preview_run("xero", rows, user=admin)
    if decisions:
        imports.set_decisions(r, decisions, user=admin)
    return run_import(r, admin)


def only(rows):
    assert len(rows) == 1
    return rows[0]


def test_a_customer_not_in_the_register_is_new_and_created(admin):
    people = (ContactPerson("Jo", "Bloggs", "jo@acme.example", "0113 496 0000"),
              ContactPerson("Sam", "Hill", None, None))
    row = only(imports.build_preview([customer(people=people, email="accounts@acme.example",
                                               company_number="1234567")]))
    assert (row.classification, row.decision, row.client_id) == ("new", "create", None)
    done = run([customer(people=people, email="accounts@acme.example",
                         company_number="1234567")], admin)
    assert (done.status, done.created, done.processed, done.total) == ("done", 1, 1, 1)
    client = db.session.scalars(select(Client)).one()
    assert client.legal_name == "Acme Widgets Ltd" and client.company_number == "01234567"
    assert client.registered_address.postcode == "LS1 4AP"
    assert client.email == "accounts@acme.example"
    link = client.active_link
    assert (link.provider, link.tenant_id, link.external_id) == ("xero", "T1", "C1")
    assert link.payload == {"ContactID": "C1"}
    assert client.primary_contact.name == "Jo Bloggs"
    assert sorted(cc.contact.name for cc in client.contact_links) == ["Jo Bloggs", "Sam Hill"]
    actions = {e.action for e in db.session.scalars(select(ActivityEvent))}
    assert "imported" in actions and "contact_added" in actions
    written = plan.finished(done).written
    assert [(w["outcome"], w["client_id"]) for w in written] == [("created", client.id)]


def test_a_customer_without_people_gets_no_contact(admin):
    run([customer()], admin)
    assert count(ClientContact) == 0


def test_an_individual_is_split_into_names_and_keeps_a_foreign_postcode(admin):
    c = customer(name="Maria Garcia Lopez", kind="individual",
                 address=Address(line1="Calle Mayor 1", town="Madrid", postcode="28013",
                                 country="Spain"))
    run([c], admin)
    client = db.session.scalars(select(Client)).one()
    assert (client.first_name, client.last_name) == ("Maria", "Garcia Lopez")
    assert client.home_address.postcode == "28013"


def test_an_odd_uk_postcode_is_kept_as_the_platform_has_it(admin):
    run([customer(address=Address(line1="1 Road", postcode="NOT A CODE"))], admin)
    assert db.session.scalars(select(Client)).one().registered_address.postcode == "NOT A CODE"


def test_an_already_linked_record_is_classified_linked(admin):
    run([customer()], admin)
    row = only(imports.build_preview([customer(name="Acme Widgets Limited")]))
    client = db.session.scalars(select(Client)).one()
    assert (row.classification, row.client_id, row.decision) == ("linked", client.id, "update")
    assert "Already linked to Xero" in row.reason and row.score == 100


@pytest.mark.parametrize("incoming, existing, reason", [
    ({"company_number": "SC123456"}, {"company_number": "SC123456"}, "Same company number"),
    ({"vat_number": "GB 980 7806 84"}, {"vat_number": "GB980780684"}, "Same VAT number"),
])
def test_an_identifier_match_is_exact_and_linked_by_default(admin, incoming, existing, reason):
    client = make_client(admin, "Completely Different Name Ltd", **existing)
    row = only(imports.build_preview([customer(**incoming)]))
    assert (row.classification, row.client_id, row.score) == ("match", client.id, 100)
    assert row.reason.startswith(reason) and row.exact and row.decision == "link"
    assert row.client_name == "Completely Different Name Ltd"


def test_an_email_alone_is_left_for_a_person_but_with_the_name_it_links(admin):
    make_client(admin, "Someone Else Ltd", email="shared@example.com")
    row = only(imports.build_preview([customer(email="Shared@Example.com")]))
    assert (row.classification, row.reason, row.score) == ("match", "Same e-mail", 100)
    assert (row.exact, row.decision) == (False, "skip")
    make_client(admin, "Acme Widgets Limited", email="acme@example.com")
    row = only(imports.build_preview([customer(email="acme@example.com")]))
    assert row.reason == "Same e-mail, same name" and row.exact and row.decision == "link"


def test_a_similar_name_is_a_fuzzy_match_with_its_score(admin):
    client = make_client(admin, "Acme Widget Ltd")
    row = only(imports.build_preview([customer(name="ACME Widgets Limited")]))
    assert (row.classification, row.client_id, row.reason) == ("match", client.id,
                                                                "Similar name")
    assert 90 <= row.score < 100 and not row.exact and row.decision == "skip"


def test_a_name_inside_a_longer_one_is_not_a_match(admin):
    make_client(admin, "Vale Builders Ltd")
    row = only(imports.build_preview([customer(name="North Vale Builders 1234 Ltd")]))
    assert row.classification == "new"


def test_a_same_name_is_still_left_for_a_person(admin):
    make_client(admin, "The Acme Widgets Co.")
    row = only(imports.build_preview([customer()]))
    assert (row.reason, row.score, row.decision) == ("Same name", 100, "skip")


def test_an_archived_client_still_matches_and_says_so(admin):
    client = make_client(admin, "Other Ltd", company_number="01234567")
    clients.archive_client(client, user=admin)
    row = only(imports.build_preview([customer(company_number="1234567")]))
    assert row.reason == "Same company number (archived)"


def test_a_match_that_has_another_source_is_not_linked_by_default(admin):
    client = make_client(admin, "Acme Widgets Ltd", company_number="01234567")
    db.session.add(ExternalLink(client=client, provider="companies_house",
                                external_id="01234567"))
    db.session.commit()
    row = only(imports.build_preview([customer(company_number="01234567")]))
    assert "takes its details from Companies House" in row.reason and row.decision == "skip"
    done = run([customer(company_number="01234567")], admin, {0: "link"})
    assert done.failed == 1
    assert "switch it to manual first" in plan.finished(done).failures[0]["message"]
    assert client.active_link.provider == "companies_house"


@pytest.mark.parametrize("flags, reason", [
    ({"archived": True}, "Archived in Xero"),
    ({"is_customer": False}, "Not marked as a customer in Xero"),
])
def test_archived_and_non_customers_are_skipped_unless_asked(admin, flags, reason):
    row = only(imports.build_preview([customer(**flags)]))
    assert (row.classification, row.reason, row.decision) == ("skipped", reason, "skip")
    assert imports.CHOICES["skipped"] == ("skip",)
    row = only(imports.build_preview([customer(**flags)], include_inactive=True))
    assert (row.classification, row.decision) == ("new", "create")


def test_an_unreadable_record_is_skipped_with_its_problem(admin):
    row = only(imports.build_preview([customer(problems=("The name is missing.",))]))
    assert (row.classification, row.reason) == ("skipped", "The name is missing.")


def test_linking_overwrites_owned_fields_and_fills_empty_ones(admin):
    client = make_client(admin, "Acme Widgets Ltd", vat_number="GB980780684",
                         email="old@acme.example", website="https://acme.example")
    version = client.version
    done = run([customer(vat_number="GB980780684", email="new@acme.example",
                         company_number="07654321", name="Acme Widgets Limited",
                         people=(ContactPerson("Jo", "Bloggs", None, None),))], admin)
    assert (done.linked, done.created) == (1, 0)
    db.session.refresh(client)
    assert client.legal_name == "Acme Widgets Limited" and client.email == "new@acme.example"
    assert client.company_number == "07654321" and client.website == "https://acme.example"
    assert client.version > version
    assert client.active_link.external_id == "C1"
    assert [cc.contact.name for cc in client.contact_links] == ["Pat Lee"]  # kept, not added
    event = db.session.scalars(select(ActivityEvent).where(ActivityEvent.action == "linked")).one()
    assert {c["field"] for c in event.changes} >= {"legal_name", "email", "company_number"}
    with pytest.raises(clients.ClientInvalid):
        clients.update_client(client, {"email": "edit@acme.example"},
                              expected_version=client.version, user=admin)


def test_invalid_values_are_left_empty_and_only_a_nameless_record_fails(admin):
    customers = [customer("C1", "First Ltd"),
                 customer("C2", "Second Ltd", vat_number="GB123"),
                 customer("C3", "Third Ltd", email="not an e-mail"),
                 customer("C4", " … "),
                 customer("C5", "Fifth Ltd")]
    done = run(customers, admin)
    assert (done.status, done.created, done.failed, done.processed) == ("done", 4, 1, 5)
    assert done.warned == 2
    assert sorted(db.session.scalars(select(Client.display_name))) == [
        "Fifth Ltd", "First Ltd", "Second Ltd", "Third Ltd"]
    finished = plan.finished(done)
    assert {w["name"]: [x["message"] for x in w["warnings"]] for w in finished.warned} == {
        "Second Ltd": ["VAT number “GB123” is not a valid UK VAT number: left empty."],
        "Third Ltd": ["E-mail “not an e-mail” is not a valid e-mail address: left empty."]}
    [failure] = finished.failures
    assert failure["message"] == "Xero has no usable name for this record (“…”): a client needs one."
    assert count(ExternalLink) == 4  # nothing half-written for the failed one


def test_a_contact_person_with_a_bad_email_is_kept_without_it(admin):
    done = run([customer(people=(ContactPerson("Jo", None, "jo@", None),))], admin)
    assert (done.failed, done.created, done.warned) == (0, 1, 1)
    assert count(Client) == 1
    assert db.session.scalars(select(Contact)).one().email is None
    [warning] = db.session.scalars(select(ExternalLink)).one().warnings
    assert warning["message"] == ("Contact Jo: e-mail “jo@” is not a valid e-mail address: "
                                  "left empty.")


def test_running_twice_never_duplicates_and_unchanged_records_write_nothing(admin):
    customers = [customer(f"C{i}", f"Client number {i} Ltd") for i in range(5)]
    first = run(customers, admin)
    assert first.created == 5
    events, links = count(ActivityEvent), count(ExternalLink)
    versions = dict(db.session.execute(select(Client.id, Client.version)).all())
    rows = imports.build_preview(customers)
    assert {r.classification for r in rows} == {"linked"}
    second = run(customers, admin)
    assert (second.created, second.updated, second.skipped) == (0, 0, 5)
    assert count(Client) == 5 and count(ExternalLink) == links
    assert count(ActivityEvent) == events
    assert dict(db.session.execute(select(Client.id, Client.version)).all()) == versions


def test_a_changed_linked_record_is_updated_with_a_resynced_event(admin):
    run([customer(email="a@acme.example")], admin)
    done = run([customer(email="b@acme.example", phone="0113 496 0001")], admin)
    assert (done.updated, done.skipped, count(Client)) == (1, 0, 1)
    client = db.session.scalars(select(Client)).one()
    assert client.email == "b@acme.example" and client.phone == "0113 496 0001"
    event = db.session.scalars(select(ActivityEvent).where(
        ActivityEvent.action == "resynced")).one()
    assert {c["field"] for c in event.changes} == {"email", "phone"}


def test_two_previews_of_one_new_customer_create_it_once(admin):
    first = imports.create_preview_run("xero", imports.build_preview([customer()]), user=admin)
    second = imports.create_preview_run("xero", imports.build_preview([customer()]), user=admin)
    run_import(first, admin)
    done = run_import(second, admin)
    assert count(Client) == 1 and (done.created, done.skipped) == (0, 1)


def test_preview_writes_nothing_but_the_run(admin):
    make_client(admin)
    before = (count(Client), count(ExternalLink), count(ActivityEvent))
    r = imports.create_preview_run("xero", imports.build_preview([customer("X", "New Co")]),
                                   user=admin)
    assert r.status == "preview" and r.total == 1 and r.plan[0]["customer"]["name"] == "New Co"
    assert (count(Client), count(ExternalLink), count(ActivityEvent)) == before
    assert imports.plan_rows(r)[0].customer == customer("X", "New Co")


def test_decisions_can_be_changed_only_to_allowed_choices_and_only_before_start(admin):
    make_client(admin, "Acme Widget Ltd")
    rows = imports.build_preview([customer(), customer("C2", "Brand New Ltd")])
    r = imports.create_preview_run("xero", rows, user=admin)
    with pytest.raises(imports.ImportRefused, match="not a choice"):
        imports.set_decisions(r, {1: "link"}, user=admin)
    with pytest.raises(imports.ImportRefused, match="not part of this import"):
        imports.set_decisions(r, {7: "skip"}, user=admin)
    imports.set_decisions(r, {0: "create", 1: "skip"}, user=admin)
    assert [row["decision"] for row in db.session.get(ImportRun, r.id).plan] == ["create",
                                                                                  "skip"]
    done = run_import(r, admin)
    assert (done.created, done.skipped) == (1, 1) and count(Client) == 2
    with pytest.raises(imports.ImportRefused, match="already started"):
        imports.set_decisions(done, {0: "skip"}, user=admin)
    with pytest.raises(imports.ImportRefused):
        run_import(done, admin)


def test_unlinked_by_hand_is_not_relinked_by_default(admin):
    run([customer(company_number="01234567")], admin)
    client = db.session.scalars(select(Client)).one()
    client.active_link.active = False
    db.session.commit()
    row = only(imports.build_preview([customer(company_number="01234567")]))
    assert row.classification == "match" and row.client_id == client.id
    assert "unlinked by hand" in row.reason and row.decision == "skip"


def test_preview_costs_the_same_few_queries_for_any_number_of_customers(admin, app_ctx):
    for i in range(3):
        make_client(admin, f"Existing {i} Ltd", email=f"e{i}@example.com")
    statements = []

    def counter(*args):
        statements.append(1)
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        imports.build_preview([customer(f"C{i}", f"Existing {i % 3} Ltd") for i in range(3)])
        small = len(statements)
        statements.clear()
        imports.build_preview([customer(f"C{i}", f"Name {i} Ltd", email=f"e{i % 3}@example.com")
                               for i in range(300)])
        assert len(statements) == small <= 4
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)


class FakePlatform:
    """Stands in for an adapter: returns the customer it was given."""

    key = "xero"

    def __init__(self, record=None, error=None):
        self.record, self.error = record, error

    def fetch_customer(self, external_id):
        if self.error:
            raise self.error
        return self.record


def test_resync_client_applies_changes_and_records_them(admin):
    run([customer(email="a@acme.example")], admin)
    client = db.session.scalars(select(Client)).one()
    result = imports.resync_client(client, FakePlatform(customer(email="z@acme.example")),
                                   user=admin)
    assert result.changed and [c["field"] for c in result.changes] == ["email"]
    assert client.email == "z@acme.example" and client.active_link.last_synced_at is not None
    result = imports.resync_client(client, FakePlatform(customer(email="z@acme.example")),
                                   user=admin)
    assert not result.changed
    summaries = [e.summary for e in db.session.scalars(select(ActivityEvent).where(
        ActivityEvent.action == "resynced").order_by(ActivityEvent.id))]
    assert summaries == ["Resynced from Xero: e-mail", "Resynced from Xero: no changes"]


def test_resync_client_keeps_what_it_can_of_bad_data_and_warns(admin):
    run([customer(email="a@acme.example", vat_number="GB980780684")], admin)
    client = db.session.scalars(select(Client)).one()
    result = imports.resync_client(
        client, FakePlatform(customer(email="b@acme.example", vat_number="nope")), user=admin)
    assert [c["field"] for c in result.changes] == ["email"]
    assert client.email == "b@acme.example" and client.vat_number == "GB980780684"
    assert [w["message"] for w in client.active_link.warnings] == [
        "VAT number “nope” is not a valid UK VAT number: the client's value was kept."]
    unlinked = make_client(admin, "Manual Ltd")
    with pytest.raises(sources.NotLinked):
        imports.resync_client(unlinked, FakePlatform(customer()), user=admin)


def test_a_run_is_carried_out_once_even_if_handed_to_a_worker_again(admin):
    done = run([customer()], admin)
    again = imports.run_import(done.id)
    assert (again.status, again.created, again.processed) == ("done", 1, 1)
    assert count(Client) == 1
