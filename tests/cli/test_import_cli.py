"""`flask cone import PROVIDER [--dry-run]` against the Xero emulator."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cone.services.crypto import encrypt
from cone.services.models import (ActivityEvent, Client, Connection, ExternalLink, ImportRun, db,
                                  utcnow)
from tests.emulators.xero import TENANTS

TENANT = TENANTS[0]["tenantId"]


def connect(app, emulator, tenant=TENANT, name="Demo Practice Ltd") -> Connection:
    """A stored Xero connection holding a real token pair from the emulator."""
    pair = emulator.grant()
    conn = Connection(provider="xero", tenant_id=tenant, tenant_name=name,
                      access_token=encrypt(app.config, pair["access_token"]),
                      refresh_token=encrypt(app.config, pair["refresh_token"]),
                      expires_at=utcnow() + timedelta(seconds=pair["expires_in"]))
    db.session.add(conn)
    db.session.commit()
    return conn


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_dry_run_prints_the_plan_and_writes_nothing(xero_app, app_ctx, xero_emulator, runner):
    connect(xero_app, xero_emulator)
    result = runner.invoke(args=["cone", "import", "xero", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Dry run: 5 customers: would create 4" in result.output
    assert "Nothing was written" in result.output
    assert (count(Client), count(ImportRun), count(ExternalLink)) == (0, 0, 0)


def test_import_creates_then_a_rerun_duplicates_nothing(xero_app, app_ctx, xero_emulator, runner):
    connect(xero_app, xero_emulator)
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
    for error in run.errors:
        assert error["reason"] in result.output
    events = count(ActivityEvent)
    again = runner.invoke(args=["cone", "import", "xero", "--full"])
    second = db.session.scalars(select(ImportRun).order_by(ImportRun.id.desc())).first()
    assert count(Client) == created and count(ActivityEvent) == events
    assert (second.created, second.updated) == (0, 0), again.output


def test_a_changed_contact_is_updated_on_the_next_run(xero_app, app_ctx, xero_emulator, runner):
    connect(xero_app, xero_emulator)
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
    connect(xero_app, xero_emulator)
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
    connect(xero_app, xero_emulator)
    connect(xero_app, xero_emulator, tenant="other-tenant", name="Other Org")
    result = runner.invoke(args=["cone", "import", "xero", "--dry-run"])
    assert result.exit_code == 1 and "--tenant" in result.output
    result = runner.invoke(args=["cone", "import", "xero", "--dry-run", "--tenant",
                                 "Demo Practice Ltd"])
    assert result.exit_code == 0, result.output


def test_a_platform_failure_is_reported_and_writes_nothing(xero_app, app_ctx, xero_emulator, runner):
    connect(xero_app, xero_emulator)
    xero_emulator.fail_next("/api.xro/2.0/Contacts", 503, times=20)
    result = runner.invoke(args=["cone", "import", "xero"])
    assert result.exit_code == 1 and "Error:" in result.output
    assert count(Client) == 0 and count(ImportRun) == 0


def test_the_next_run_asks_only_for_changes_since_the_last_clean_one(xero_app, app_ctx, xero_emulator,
                                                                      runner):
    connect(xero_app, xero_emulator)
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
