"""Undoing an import run: created clients removed or archived, links and contacts taken back,
fields put back unless changed since; idempotent, resumable, and the search index kept right."""
import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import event, select

from tests.helpers import count, run_import
from cone.services import clients, imports, notes, search
from cone.services.imports import csv_file
from cone.services.imports.undo import UndoRefused, RunNotFound, undo_report, undo_run
from cone.services.models import (ActivityEvent, Address, Client, ClientContact, Contact,
                                  ExternalLink, ImportRecord, ImportRun, db)
from cone.services.providers.accounting import ContactPerson, ExternalCustomer

STAMP = datetime(2026, 5, 1, 9, 30, tzinfo=timezone.utc)
LEEDS = Address(line1="1 High Street", town="Leeds", postcode="LS1 4AP",
                country="United Kingdom")


def customer(external_id="C1", name="Acme Widgets Ltd", **kw) -> ExternalCustomer:
    """A customer as an adapter yields it: odd names, two people, a foreign address or two."""
    values = dict(provider="xero", external_id=external_id, tenant_id="T1", name=name,
                  kind="business", first_name=None, last_name=None, email=None, phone=None,
                  address=LEEDS, company_number=None, vat_number=None, people=(),
                  is_customer=True, archived=False, updated_at=STAMP,
                  raw={"ContactID": external_id, "Name": name})
    values.update(kw)
    return ExternalCustomer(**values)


def imported(customers, admin, decisions=None, provider="xero") -> ImportRun:
    """A real run: preview, decisions, the job."""
    rows = imports.build_preview(customers)
    run = imports.create_preview_run(provider, rows, user=admin)
    if decisions:
        imports.set_decisions(run, decisions, user=admin)
    return run_import(run, admin)


def by_name(name) -> Client | None:
    return db.session.scalars(select(Client).where(Client.display_name == name)).first()


def undone(run, user):
    report = undo_run(run.id, user=user)
    db.session.expire_all()
    assert search.check(db.session) == 0
    return report


PEOPLE = (ContactPerson("Zoë", "O'Brien-Łukasz", "zoe@acme.example, accounts@acme.example",
                        "+44 (0)113 496 0000"),
          ContactPerson("Jean-Luc", "Dupont", None, "not a number"))


def test_undo_after_create_removes_the_clients_their_links_and_contacts(admin):
    run = imported([customer(people=PEOPLE, email="office@acme.example"),
                    customer("C2", "Doe, Jane & Sons 🚀", company_number="SC123456"),
                    customer("C3", "Smith & Jones (USA) Inc",
                             address=Address(line1="1 Main St", town="Springfield",
                                             county="IL", postcode="62701", country="USA"))],
                   admin)
    assert run.created == 3 and count(Contact) == 2
    report = undone(run, admin)
    assert (report.counts["removed"], report.already, report.complete) == (3, False, True)
    assert count(Client) == count(ExternalLink) == count(Contact) == count(ClientContact) == 0
    assert report.lines == [] and report.summary() == "3 removed."
    run = db.session.get(ImportRun, run.id)
    assert run.undone_at is not None and run.undone_by_id == admin.id
    event_ = db.session.scalars(select(ActivityEvent).where(
        ActivityEvent.action == "import_undone")).one()
    assert event_.client_id is None and event_.summary == f"Import run {run.id} undone: 3 removed."


def test_a_second_undo_changes_nothing_and_says_so(admin):
    run = imported([customer(), customer("C2", "Bloggs Ltd")], admin)
    undone(run, admin)
    events = count(ActivityEvent)
    again = undone(run, admin)
    assert again.already and again.counts["removed"] == 2 and count(ActivityEvent) == events


def test_undo_after_link_removes_the_link_and_puts_fields_back(admin, make_client):
    mine = make_client(legal_name="ACME WIDGETS LIMITED", company_number="SC123456",
                       email="old@acme.example", phone="0113 496 0001")
    before_version = mine.version
    run = imported([customer(company_number="SC123456", email="new@acme.example",
                             phone="0113 496 0999", vat_number="GB980780684",
                             people=PEOPLE)], admin)
    assert run.linked == 1
    client = db.session.get(Client, mine.id)
    assert client.active_link is not None and client.email == "new@acme.example"
    report = undone(run, admin)
    client = db.session.get(Client, mine.id)
    assert report.counts["restored"] == 1 and client.active_link is None
    assert count(ExternalLink) == 0
    assert (client.legal_name, client.display_name, client.email, client.phone,
            client.vat_number, client.registered_address) == (
        "ACME WIDGETS LIMITED", "ACME WIDGETS LIMITED", "old@acme.example", "0113 496 0001",
        None, Address())
    assert client.version > before_version
    # The client had a contact already, so the import added none and Ann stays
    assert [cc.contact.name for cc in client.contact_links] == ["Ann Archer"]
    line = report.lines[0]
    assert (line.name, line.client_id, line.action) == ("ACME WIDGETS LIMITED", mine.id,
                                                        "restored")
    assert "unlinked from Xero" in line.notes
    event_ = db.session.scalars(select(ActivityEvent).where(
        ActivityEvent.client_id == mine.id, ActivityEvent.action == "import_undone")).one()
    assert event_.summary.startswith(f"Import run {run.id} undone: unlinked from Xero; restored")
    assert {c["field"] for c in event_.changes} >= {"email", "phone", "vat_number"}


def test_undo_of_a_relink_makes_the_earlier_link_inactive_again_and_drops_its_contacts(admin):
    first = imported([customer(company_number="SC123456")], admin)
    client = by_name("Acme Widgets Ltd")
    clients.unlink_source(client, user=admin, source="Xero")
    # Unlinked by hand: the preview leaves it for a person, who links it again
    second = imported([customer(company_number="SC123456", email="new@acme.example",
                                people=PEOPLE)], admin, decisions={0: "link"})
    assert second.linked == 1
    client = db.session.get(Client, client.id)
    assert client.active_link is not None and len(client.contact_links) == 2
    report = undone(second, admin)
    client = db.session.get(Client, client.id)
    assert client.active_link is None and len(client.external_links) == 1
    assert client.email is None and client.contact_links == [] and count(Contact) == 0
    assert report.counts["restored"] == 1
    assert "removed 2 contacts it added" in report.lines[0].notes
    # Someone switched the first run's client to manual: it stays, archived
    assert undone(first, admin).lines[0].notes == ["switched to manual since"]


def test_undo_after_update_puts_the_previous_values_back(admin):
    imported([customer(email="one@acme.example", phone="0113 496 0001")], admin)
    second = imported([customer(name="Acme Widgets Limited", email="two@acme.example",
                                phone="0113 496 0002")], admin)
    assert second.updated == 1
    report = undone(second, admin)
    client = by_name("Acme Widgets Ltd")
    assert (client.email, client.phone, client.legal_name) == (
        "one@acme.example", "0113 496 0001", "Acme Widgets Ltd")
    assert client.active_link is not None  # the first run's link stays
    assert report.counts["restored"] == 1 and report.lines[0].action == "restored"


def test_a_field_edited_after_the_import_is_kept_and_listed(admin):
    imported([customer(email="one@acme.example", phone="0113 496 0001")], admin)
    second = imported([customer(email="two@acme.example", phone="0113 496 0002",
                                vat_number="GB980780684")], admin)
    client = by_name("Acme Widgets Ltd")
    clients.unlink_source(client, user=admin, source="Xero")  # so the phone can be typed
    client = db.session.get(Client, client.id)
    clients.update_client(client, {"vat_number": "GB 100 0000 34"},
                          expected_version=client.version, user=admin)
    report = undone(second, admin)
    client = db.session.get(Client, client.id)
    assert (client.email, client.phone, client.vat_number) == (
        "one@acme.example", "0113 496 0001", "GB100000034")
    assert report.counts["kept"] == 1
    line = report.attention()[0]
    assert line.action == "kept" and "VAT number changed since: kept" in line.notes
    assert "restored with changes kept" in report.summary()


@pytest.mark.parametrize("work, reason", [
    ("edit", "edited since the import"),
    ("notes", "2 notes added"),
    ("contact", "a contact was linked"),
])
def test_a_created_client_someone_worked_on_is_archived_and_says_why(admin, work, reason):
    run = imported([customer(people=PEOPLE[:1]), customer("C2", "Untouched Ltd")], admin)
    client = by_name("Acme Widgets Ltd")
    if work == "edit":
        clients.unlink_source(client, user=admin, source="Xero")
        client = db.session.get(Client, client.id)
        clients.update_client(client, {"website": "https://acme.example"},
                              expected_version=client.version, user=admin)
    elif work == "notes":
        notes.add_note(client, "Rang about the VAT return", user=admin)
        notes.add_note(client, "Sent engagement letter", user=admin)
    else:
        clients.add_contact(client, clients.NewContact(first_name="Ann", last_name="Archer"),
                            make_primary=False, user=admin)
    report = undone(run, admin)
    client = by_name("Acme Widgets Ltd")
    assert client is not None and client.archived_at is not None
    assert by_name("Untouched Ltd") is None
    assert (report.counts["archived"], report.counts["removed"]) == (1, 1)
    line = report.attention()[0]
    assert (line.client_id, line.action, line.notes[0]) == (client.id, "archived", reason)
    assert count(ActivityEvent, ActivityEvent.client_id == client.id,
                 ActivityEvent.action == "import_undone") == 1


def test_a_contact_the_import_made_and_someone_linked_elsewhere_is_kept(admin, make_client):
    run = imported([customer(people=PEOPLE[:1])], admin)
    zoe = db.session.scalars(select(Contact)).one()
    other = make_client(legal_name="Other Ltd")
    clients.link_contact(other, zoe.id, role="Director", make_primary=False, user=admin)
    report = undone(run, admin)
    assert by_name("Acme Widgets Ltd") is None and db.session.get(Contact, zoe.id) is not None
    assert report.counts["removed"] == 1


def test_a_client_deleted_since_is_already_gone(admin):
    run = imported([customer(), customer("C2", "Bloggs Ltd")], admin)
    db.session.delete(by_name("Bloggs Ltd"))  # as a future merge or deletion would
    db.session.commit()
    report = undone(run, admin)
    assert (report.counts["removed"], report.counts["gone"]) == (1, 1)
    line = report.attention()[0]
    assert (line.name, line.action, line.client_id) == ("Bloggs Ltd", "gone", None)


def test_skipped_and_failed_records_are_left_alone(admin, make_client):
    make_client(legal_name="Acme Widgets Ltd", email="mine@acme.example")
    run = imported([customer(email="x@acme.example"),            # a fuzzy match: skipped
                    customer("C2", "", kind="business"),        # no name: failed
                    customer("C3", "New Co Ltd")], admin)
    assert (run.skipped, run.failed, run.created) == (1, 1, 1)
    report = undone(run, admin)
    assert (report.counts["removed"], report.counts["unchanged"]) == (1, 2)
    assert by_name("Acme Widgets Ltd").email == "mine@acme.example"


def test_a_csv_run_is_undone_the_same_way(admin):
    text = ("Name,Email,Phone,Postcode,Company number\n"
            "Café Ñandú Ltd,a@cafe.example; b@cafe.example,,LS1 4AP,\n"
            "\"O'Neill, Siobhán\",,+353 1 234 5678,D02 X285,\n")
    headers, rows = csv_file.read_csv(text.encode())
    customers, _ = csv_file.to_customers(rows, csv_file.guess_mapping(headers))
    run = imported(customers, admin, provider="csv")
    assert run.created == 2
    report = undone(run, admin)
    assert report.counts["removed"] == 2 and count(Client) == count(ExternalLink) == 0


@pytest.mark.parametrize("status, message", [
    ("preview", "has not started"), ("queued", "still running"), ("running", "still running")])
def test_a_run_not_finished_cannot_be_undone(admin, status, message):
    run = imports.create_preview_run("xero", imports.build_preview([customer()]), user=admin)
    run.status = status
    db.session.commit()
    with pytest.raises(UndoRefused, match=message):
        undo_run(run.id, user=admin)


def test_an_unknown_run_is_refused(admin):
    with pytest.raises(RunNotFound, match="no import run 999"):
        undo_run(999, user=admin)


def test_an_interrupted_undo_finishes_when_run_again(admin, monkeypatch):
    run = imported([customer(f"C{i}", f"Client {i} Ltd") for i in range(5)], admin)
    monkeypatch.setattr("cone.services.imports.undo.BATCH", 2)
    commits = []

    def killed(session):
        if session.in_nested_transaction():
            return  # a record's savepoint
        commits.append(1)
        if len(commits) == 2:  # the first batch is committed, the process dies in the second
            raise KeyboardInterrupt

    event.listen(db.session, "before_commit", killed)
    try:
        with pytest.raises(KeyboardInterrupt):
            undo_run(run.id, user=admin)
    finally:
        event.remove(db.session, "before_commit", killed)
    db.session.expire_all()
    assert db.session.get(ImportRun, run.id).undone_at is None
    assert count(ImportRecord, ImportRecord.undo == "removed") == 2 and count(Client) == 3
    report = undone(run, admin)
    assert report.complete and report.counts["removed"] == 5 and count(Client) == 0


def test_the_report_reads_back_from_the_records(admin):
    run = imported([customer(), customer("C2", "Bloggs Ltd")], admin)
    notes.add_note(by_name("Bloggs Ltd"), "Keep this one", user=admin)
    undone(run, admin)
    report = undo_report(db.session.get(ImportRun, run.id))
    assert report.counts["removed"] == 1 and report.counts["archived"] == 1
    assert report.undone_by == "Ada Admin" and report.lines[0].name == "Bloggs Ltd"


def test_undoing_a_later_run_first_lets_the_earlier_one_remove_its_clients(admin):
    first = imported([customer(email="one@acme.example"), customer("C2", "Bloggs Ltd")], admin)
    second = imported([customer(email="two@acme.example"), customer("C2", "Bloggs Ltd")], admin)
    assert (second.updated, second.skipped) == (1, 1)
    undone(second, admin)
    report = undone(first, admin)
    assert (report.counts["removed"], report.counts["archived"]) == (2, 0)


def test_a_later_run_still_standing_keeps_the_client_archived(admin):
    first = imported([customer(email="one@acme.example")], admin)
    imported([customer(email="two@acme.example")], admin)
    report = undone(first, admin)
    assert report.lines[0].notes == ["edited since the import"]
    assert by_name("Acme Widgets Ltd").email == "two@acme.example"


def test_an_address_the_import_replaced_is_put_back_exactly(admin, make_client):
    paris = Address(line1="Flat 2, 10 Rue de la Paix", town="Paris", postcode="75002",
                    country="France")
    mine = make_client(legal_name="Acme Widgets Ltd", company_number="SC123456",
                       registered_address=paris)
    run = imported([customer(company_number="SC123456", email="new@acme.example")], admin)
    assert run.linked == 1 and db.session.get(Client, mine.id).registered_address == LEEDS
    report = undone(run, admin)
    client = db.session.get(Client, mine.id)
    assert client.email is None and client.active_link is None
    assert client.registered_address == paris  # the record kept it part by part
    assert report.counts["restored"] == 1


def test_two_undos_at_once_take_each_record_back_once(app, admin):
    run = imported([customer(f"C{i}", f"Client {i} Ltd", people=PEOPLE[:1]) for i in range(60)],
                   admin)
    reports, errors = [], []

    def undo_in_its_own_context():
        with app.app_context():
            try:
                reports.append(undo_run(run.id, user=None))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

    threads = [threading.Thread(target=undo_in_its_own_context) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(reports) == 2
    db.session.expire_all()
    assert count(Client) == count(Contact) == 0 and search.check(db.session) == 0
    assert count(ImportRecord, ImportRecord.undo == "removed") == 60
    assert count(ActivityEvent, ActivityEvent.action == "import_undone") == 1
