"""Importing from Xero in a real browser: connect, preview, change a decision, import, watch
the progress bar finish, open an imported client."""
import contextlib
import re

from playwright.sync_api import expect

from cone import jobs
from cone.services.models import Client, db
from tests.helpers import sign_in


@contextlib.contextmanager
def held_jobs():
    """Queue jobs in memory instead of running them at once, so a run can be seen waiting.

    The test then plays the worker with run_next(); the in-memory queue is this process's
    own, so no other test run can pick the job up.
    """
    huey = jobs.huey
    saved = huey.storage, huey._immediate
    huey.storage, huey._immediate = huey.get_immediate_storage(), False
    try:
        yield huey
    finally:
        huey.storage, huey._immediate = saved


def run_next(huey) -> None:
    """Take the next queued job and carry it out, as the worker process would."""
    task = huey.dequeue()
    assert task is not None, "no job was queued"
    huey.execute(task)


def test_connect_preview_decide_import_and_open_a_client(xero_app, server_url, page, admin):
    bronte = Client(kind="business", status="customer", legal_name="Bronte Bakery",
                    display_name="Bronte Bakery", created_by_id=admin.id)
    db.session.add(bronte)
    db.session.commit()
    sign_in(page, server_url, admin.email)
    page.goto(f"{server_url}/integrations")
    card = page.locator("#platform-xero")
    # The emulator approves at once and sends the browser back to the callback
    card.get_by_role("link", name="Connect Xero").click()
    expect(page.locator(".flash")).to_contain_text("Connected Xero")
    card = page.locator("#platform-xero")
    card.get_by_role("button", name="Import customers").click()
    page.wait_for_url(re.compile(r"/imports/\d+$"))
    expect(page.get_by_role("heading", name="Import preview: Xero")).to_be_visible()
    preview = page.locator("#import-preview")
    expect(preview).to_contain_text("Zoë Łukasiewicz-Ñúñez")

    # Brontë Bakery looks like the client typed by hand, but only by name: skipped until asked
    bronte_row = preview.locator("tr", has_text="Brontë Bakery")
    expect(bronte_row).to_contain_text("Matches a client")
    choice = bronte_row.get_by_role("combobox")
    expect(choice).to_have_value("skip")
    choice.select_option("link")
    expect(page.locator("#decision-status")).to_have_text("Saved.")

    # The filter swaps the table in place
    preview.get_by_role("link", name=re.compile(r"^Skipped")).click()
    expect(preview).to_contain_text("Old Client Ltd")
    expect(preview).not_to_contain_text("Tom Jones")

    with held_jobs() as huey:
        page.get_by_role("button", name="Start import").click()
        progress = page.locator("#import-progress")
        expect(progress).to_contain_text("Waiting to start")
        expect(progress.locator("progress")).to_be_visible()
        run_next(huey)
        # Polling picks up the end by itself; the summary carries no further poll
        expect(progress).to_contain_text("Finished", timeout=10_000)
    expect(progress.locator("progress")).to_have_count(0)
    expect(progress).to_contain_text("linked")
    expect(progress.locator("[hx-trigger]")).to_have_count(0)

    progress.get_by_role("link", name="Brontë Bakery").click()
    page.wait_for_url(re.compile(rf"/clients/{bronte.id}$"))
    expect(page.locator("#sync-status")).to_contain_text("Xero")
    page.go_back()
    progress = page.locator("#import-progress")
    progress.get_by_role("link", name="Tom Jones").click()
    page.wait_for_url(re.compile(r"/clients/\d+$"))
    expect(page.get_by_role("heading", name="Tom Jones")).to_be_visible()
    expect(page.locator("#sync-status")).to_contain_text("Xero")
