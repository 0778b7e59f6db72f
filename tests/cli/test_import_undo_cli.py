"""`flask cone import-undo RUN_ID` after real `cone import xero` runs against the emulator."""
from sqlalchemy import func, select

from cone.services import clients, imports, notes, search
from cone.services.models import Client, ImportRun, User, db
from tests.emulators.xero_data import make_contact
from tests.helpers import add_user, xero_connection

TOM = make_contact(7, "Tom Jones")["ContactID"]


def by_name(name) -> Client:
    return db.session.scalars(select(Client).where(Client.display_name == name)).one()


def cron_import(runner, *args) -> ImportRun:
    result = runner.invoke(args=["cone", "import", "xero", *args])
    assert result.exit_code == 0, result.output
    return db.session.scalars(select(ImportRun).order_by(ImportRun.id.desc())).first()


def test_undo_prints_what_was_archived_and_kept_and_the_counts(xero_app, app_ctx,
                                                               xero_emulator, runner):
    xero_connection(xero_app, xero_emulator)
    first = cron_import(runner)
    assert first.created == 4
    admin = add_user()
    notes.add_note(by_name("Brontë Bakery"), "Owner prefers phone calls", user=admin)
    xero_emulator.add_contacts([{"ContactID": TOM, "EmailAddress": "tom@new-mail.example",
                                 "Phones": [{"PhoneType": "DEFAULT",
                                             "PhoneNumber": "07700 900999"}]}])
    second = cron_import(runner, "--full")
    assert second.updated == 1
    tom = by_name("Tom Jones")
    clients.unlink_source(tom, user=admin, source="Xero")
    tom = db.session.get(Client, tom.id)
    clients.update_client(tom, {"email": "tom@jones.example.org"},
                          expected_version=tom.version, user=admin)

    result = runner.invoke(args=["cone", "import-undo", str(second.id)])
    assert result.exit_code == 0, result.output
    assert (f"restored with changes kept: Tom Jones (client {tom.id}): restored phone; "
            "E-mail changed since: kept") in result.output
    assert f"Import run {second.id} undone: 1 restored with changes kept, 4 with nothing to undo." in result.output
    tom = db.session.get(Client, tom.id)
    assert (tom.email, tom.phone) == ("tom@jones.example.org", None)

    result = runner.invoke(args=["cone", "import-undo", str(first.id)])
    assert result.exit_code == 0, result.output
    bakery = by_name("Brontë Bakery")
    assert f"archived: Brontë Bakery (client {bakery.id}): 1 note added" \
        in result.output
    assert f"archived: Tom Jones (client {tom.id}): edited since the import" \
        in result.output
    assert f"Import run {first.id} undone: 2 removed, 2 archived, 1 with nothing to undo." in result.output
    assert db.session.scalar(select(func.count()).select_from(Client)) == 2
    assert bakery.archived_at is not None and search.check(db.session) == 0
    assert db.session.get(ImportRun, first.id).undone_by_id is None  # the command line


def test_a_second_undo_says_nothing_changed(xero_app, app_ctx, xero_emulator, runner):
    xero_connection(xero_app, xero_emulator)
    run = cron_import(runner)
    assert runner.invoke(args=["cone", "import-undo", str(run.id)]).exit_code == 0
    result = runner.invoke(args=["cone", "import-undo", str(run.id)])
    assert result.exit_code == 0, result.output
    assert f"Import run {run.id} was already undone on" in result.output
    assert "nothing changed (4 removed, 1 with nothing to undo)." in result.output


def test_an_unknown_run_fails(app_ctx, runner):
    result = runner.invoke(args=["cone", "import-undo", "999"])
    assert result.exit_code == 1
    assert "Error: There is no import run 999." in result.output


def test_a_preview_cannot_be_undone(app_ctx, runner):
    admin = add_user()
    run = imports.create_preview_run("xero", [], user=admin)
    result = runner.invoke(args=["cone", "import-undo", str(run.id)])
    assert result.exit_code == 1
    assert "This import has not started: there is nothing to undo." in result.output
    assert db.session.get(User, admin.id) is not None
