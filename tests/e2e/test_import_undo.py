"""Undoing an import in a real browser: finish a small Xero import, undo it from its summary,
read the report."""
import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from cone.services import notes
from cone.services.models import Client, db
from tests.helpers import sign_in


def test_finish_an_import_undo_it_from_the_summary_and_see_the_report(xero_app, server_url,
                                                                      page, admin):
    sign_in(page, server_url, admin.email)
    page.goto(f"{server_url}/integrations")
    page.locator("#platform-xero").get_by_role("link", name="Connect Xero").click()
    expect(page.locator(".flash")).to_contain_text("Connected Xero")
    page.locator("#platform-xero").get_by_role("button", name="Import customers").click()
    page.wait_for_url(re.compile(r"/imports/\d+$"))
    page.get_by_role("button", name="Start import").click()
    progress = page.locator("#import-progress")
    expect(progress).to_contain_text("Finished")
    run_id = int(re.search(r"/imports/(\d+)$", page.url).group(1))

    # Someone has worked on one of the new clients meanwhile: it will be archived, not removed
    tom = db.session.scalars(select(Client).where(Client.display_name == "Tom Jones")).one()
    notes.add_note(tom, "Met at the practice open day", user=admin)

    button = progress.get_by_role("button", name=f"Undo import run {run_id}")
    expect(button).to_be_hidden()  # behind the confirm step
    progress.get_by_text("Undo this import…").click()
    button.click()
    page.wait_for_url(re.compile(rf"/imports/{run_id}/undo$"))
    expect(page.locator(".flash")).to_contain_text("Import undone: 3 removed, 1 archived")
    report = page.locator("#undo-report")
    expect(report).to_contain_text("3 removed")
    row = report.locator("tr", has_text="Tom Jones")
    expect(row).to_contain_text("1 note added")
    row.get_by_role("link", name="Tom Jones").click()
    page.wait_for_url(re.compile(rf"/clients/{tom.id}$"))
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Client)) == 1

    page.go_back()
    page.get_by_role("link", name="Back to the import").click()
    expect(page.locator("#import-undo")).to_contain_text("This import was undone")
