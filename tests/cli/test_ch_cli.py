"""`cone ch-import` and `cone ch-resync-all` against the emulator."""
from cone.services import companies_house as ch
from cone import wiring
from cone.services.models import Client, ImportRun, db


def test_ch_import_prints_a_line_per_number(ch_app, app_ctx, runner):
    result = runner.invoke(args=["cone", "ch-import", "9876543", "OC412345"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("09876543\tcreated\tclient ")
    assert lines[1].startswith("OC412345\tcreated\tclient ")
    assert lines[-1] == "2 created."
    assert db.session.scalar(db.select(db.func.count(Client.id))) == 2


def test_ch_import_reports_existing_unknown_and_invalid(ch_app, runner):
    runner.invoke(args=["cone", "ch-import", "09876543"])
    result = runner.invoke(args=["cone", "ch-import", "09876543", "12345678", "nope"])
    assert result.exit_code == 1
    assert "09876543\texists\tclient 1\tAlready a client: NORTHWIND ANALYTICS LTD" in result.output
    assert "12345678\tnot_found\t-\tCompanies House has no such company." in result.output
    assert "nope\tinvalid\t-\tEnter a company number like 01234567" in result.output
    assert result.output.splitlines()[-1] == "1 exists, 1 not found, 1 invalid."


def test_ch_import_without_a_key(app, runner):
    app.config["COMPANIES_HOUSE_API_KEY"] = None
    result = runner.invoke(args=["cone", "ch-import", "09876543"])
    assert result.exit_code == 1
    assert "No Companies House API key is set" in result.output


def test_ch_resync_all_summary_and_exit_code(ch_app, runner, ch_emulator, admin):
    provider = wiring.companies_house(ch_app)
    for number in ("09876543", "SC123456", "11223344"):
        ch.create_from_companies_house(number, provider, {}, None, user=admin)
    ch_emulator.update_company("09876543", {"company_name": "NORTHWIND DATA LTD"})
    result = runner.invoke(args=["cone", "ch-resync-all"])
    assert result.exit_code == 0, result.output
    assert "Resynced 3 of 3 mapped clients: 1 changed, 2 unchanged, 0 failed." in result.output
    ch_emulator.fail_next("/company/SC123456", 503, times=10)
    result = runner.invoke(args=["cone", "ch-resync-all"])
    assert result.exit_code == 1
    assert "0 changed, 2 unchanged, 1 failed." in result.output
    assert "THISTLE & CO. LIMITED" in result.output and "error 503" in result.output
    assert db.session.scalar(db.select(db.func.count(ImportRun.id))) == 2
