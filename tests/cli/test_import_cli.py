"""`flask cone import PROVIDER [--dry-run]` against the Xero emulator."""
import pytest
from sqlalchemy import select, text

from cone.services.imports.plan import finished, has_json
from cone.services.models import ActivityEvent, Client, ExternalLink, ImportRecord, ImportRun, db
from tests.helpers import count, ON_POSTGRES, xero_connection
from tests.refusal import refusing


@pytest.fixture
def refusals(app_ctx):
    yield from refusing()


def test_dry_run_prints_the_plan_and_writes_nothing(xero_app, app_ctx, xero_emulator, runner):
    xero_connection(xero_app, xero_emulator)
    result = runner.invoke(args=["cone", "import", "xero", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Dry run: 5 customers: would create 4" in result.output
    assert "Nothing was written" in result.output
    assert (count(Client), count(ImportRun), count(ExternalLink)) == (0, 0, 0)


def test_import_creates_then_a_rerun_duplicates_nothing(xero_app, app_ctx, xero_emulator, runner):
    xero_connection(xero_app, xero_emulator)
    result = runner.invoke(args=["cone", "import", "xero"])
    created = count(Client)
    run = db.session.scalars(select(ImportRun)).one()
    assert run.status == "done" and run.connection_id is not None
    assert run.created == created >= 3 and run.skipped == 1  # the archived one
    assert f"{run.created} created" in result.output
    names = set(db.session.scalars(select(Client.display_name)))
    assert {"Brontë Bakery", "Tom Jones", "Zoë Łukasiewicz-Ñúñez"} <= names
    assert "Old Client Ltd" not in names and "Supplier Co" not in names
    # Every failure is printed with its reason, and makes the exit status non-zero
    assert result.exit_code == (1 if run.failed else 0)
    assert f"run {run.id}:" in result.output
    for failure in finished(run).failures:
        assert failure["message"] in result.output
    events = count(ActivityEvent)
    again = runner.invoke(args=["cone", "import", "xero", "--full"])
    second = db.session.scalars(select(ImportRun).order_by(ImportRun.id.desc())).first()
    assert count(Client) == created and count(ActivityEvent) == events
    assert (second.created, second.updated) == (0, 0), again.output


def test_a_changed_contact_is_updated_on_the_next_run(xero_app, app_ctx, xero_emulator, runner):
    xero_connection(xero_app, xero_emulator)
    runner.invoke(args=["cone", "import", "xero"])
    tom = db.session.scalars(select(Client).where(Client.display_name == "Tom Jones")).one()
    xero_emulator.add_contacts([{"ContactID": tom.active_link.external_id,
                                 "EmailAddress": "tom@new.example"}])
    result = runner.invoke(args=["cone", "import", "xero", "--full"])
    assert "1 updated" in result.output
    db.session.refresh(tom)
    assert tom.email == "tom@new.example"


def test_an_existing_client_with_the_same_company_number_is_linked(xero_app, xero_emulator,
                                                                   runner, admin):
    from cone.services import clients
    existing = clients.create_client(
        "business", {"legal_name": "ACME (old name)", "company_number": "01234567"},
        clients.ContactsInput(new=[clients.NewContact(first_name="Pat")], primary="new:0"),
        user=admin)
    xero_emulator.add_contacts([{"ContactID": "00000000-0000-0000-0000-000000000001",
                                 "TaxNumber": ""}])
    xero_connection(xero_app, xero_emulator)
    result = runner.invoke(args=["cone", "import", "xero"])
    assert "1 linked" in result.output, result.output
    db.session.refresh(existing)
    assert existing.legal_name == "Acme Widgets Ltd"
    assert existing.active_link.provider == "xero"


@pytest.mark.parametrize("args, message", [
    (["nowhere"], "not an accounting platform"),
    (["xero"], "Xero is not connected"),
])
def test_refusals_are_clear(app, runner, args, message):
    result = runner.invoke(args=["cone", "import", *args])
    assert result.exit_code == 1 and message in result.output


def test_several_organisations_need_a_tenant(xero_app, app_ctx, xero_emulator, runner):
    xero_connection(xero_app, xero_emulator)
    xero_connection(xero_app, xero_emulator, tenant="other-tenant", name="Other Org")
    result = runner.invoke(args=["cone", "import", "xero", "--dry-run"])
    assert result.exit_code == 1 and "--tenant" in result.output
    result = runner.invoke(args=["cone", "import", "xero", "--dry-run", "--tenant",
                                 "Demo Practice Ltd"])
    assert result.exit_code == 0, result.output


def test_a_platform_failure_is_reported_and_writes_nothing(xero_app, app_ctx, xero_emulator, runner):
    xero_connection(xero_app, xero_emulator)
    xero_emulator.fail_next("/api.xro/2.0/Contacts", 503, times=20)
    result = runner.invoke(args=["cone", "import", "xero"])
    assert result.exit_code == 1 and "Error:" in result.output
    assert count(Client) == 0 and count(ImportRun) == 0


def test_the_next_run_asks_only_for_changes_since_the_last_clean_one(xero_app, app_ctx, xero_emulator,
                                                                      runner):
    xero_connection(xero_app, xero_emulator)
    first = runner.invoke(args=["cone", "import", "xero"])
    run = db.session.scalars(select(ImportRun)).one()
    if run.failed:  # a failed record makes the next run fetch everything again
        assert "failed:" in first.output
        run.failed = 0
        db.session.commit()
    runner.invoke(args=["cone", "import", "xero", "--dry-run"])
    runner.invoke(args=["cone", "import", "xero", "--dry-run", "--full"])
    marks = [bool(r["if_modified_since"]) for r in xero_emulator.requests()
             if r["path"].endswith("/Contacts")]
    assert marks == [False, True, False]


def test_warnings_are_printed_and_do_not_fail_the_cron_run(xero_app, app_ctx, xero_emulator,
                                                            runner):
    xero_emulator.add_contacts([
        {"ContactID": "c0ffee00-0000-4000-8000-000000000001", "Name": "Ünal & Söhne GmbH",
         "CompanyNumber": "HRB 12345", "TaxNumber": "DE123456789",
         "EmailAddress": "info@unal.example, buchhaltung@unal.example",
         "Addresses": [{"AddressType": "STREET", "AddressLine1": "Hauptstraße 5",
                        "City": "München", "PostalCode": "80331", "Country": "Germany"}]}])
    xero_connection(xero_app, xero_emulator)
    result = runner.invoke(args=["cone", "import", "xero"])
    run = db.session.scalars(select(ImportRun)).one()
    assert run.status == "done" and run.failed == 0 and run.warned >= 1, result.output
    assert result.exit_code == 0, result.output
    assert f"run {run.id}: " in result.output and f"{run.warned} with warnings" in result.output
    warned = [line for line in result.output.splitlines() if line.startswith("  warning: ")]
    assert any("Ünal & Söhne GmbH: " in line and "HRB 12345" in line for line in warned), warned
    record = db.session.scalars(select(ImportRecord).where(
        ImportRecord.outcome == "created", has_json(ImportRecord.warnings))).first()
    assert record is not None and record.warnings


def test_a_failed_record_fails_the_cron_run(xero_app, app_ctx, xero_emulator, runner, refusals):
    refusals("client", "new.display_name = 'Tom Jones'", "refuse_tom")
    xero_connection(xero_app, xero_emulator)
    result = runner.invoke(args=["cone", "import", "xero"])
    run = db.session.scalars(select(ImportRun)).one()
    assert run.status == "done" and run.failed == 1 and run.created >= 2
    assert result.exit_code == 1
    assert "failed: Tom Jones: An unexpected error occurred" in result.output
    assert f"run {run.id}: " in result.output and "1 failed." in result.output


def test_import_resume_finishes_an_interrupted_run(xero_app, app_ctx, xero_emulator, runner,
                                                   refusals):
    xero_emulator.generate(12)
    refusals("import_record", 'new."index" = 9', "stop_run")
    xero_connection(xero_app, xero_emulator)
    db.session.commit()
    stopped = runner.invoke(args=["cone", "import", "xero"])
    run = db.session.scalars(select(ImportRun)).one()
    # the batch holding record 9 was refused as a whole: the run stopped, said so, exit 1
    assert run.status == "failed" and run.processed < run.total, stopped.output
    assert stopped.exit_code == 1 and f"import-resume {run.id}" in stopped.output
    written = count(Client)
    db.session.execute(text("DROP TRIGGER IF EXISTS stop_run ON import_record" if ON_POSTGRES
                            else "DROP TRIGGER IF EXISTS stop_run"))
    db.session.commit()
    resumed = runner.invoke(args=["cone", "import-resume", str(run.id)])
    assert resumed.exit_code == 0, resumed.output
    db.session.refresh(run)
    assert run.status == "done" and run.processed == run.total
    assert f"run {run.id}: " in resumed.output
    assert count(ImportRecord) == run.total and count(Client) == run.created > written
    external = db.session.scalars(select(ExternalLink.external_id)).all()
    assert len(external) == len(set(external)) == count(Client)
    again = runner.invoke(args=["cone", "import-resume", str(run.id)])
    assert again.exit_code == 1 and "not interrupted" in again.output
    missing = runner.invoke(args=["cone", "import-resume", "999"])
    assert missing.exit_code == 1 and "no import run 999" in missing.output
