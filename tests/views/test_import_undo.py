"""Undoing an import from its summary page: admins only, CSRF, the confirm step, the report."""
import re

import pytest
from sqlalchemy import select

from cone.services import notes
from cone import jobs
from cone.services.imports.undo import start_undo, undo_run
from cone.services.models import Client, ImportRun, db
from tests.helpers import connect_xero, count, hx, login_as


@pytest.fixture
def finished(admin_client, xero_app, xero_emulator, admin):
    """A Xero import run through the pages, finished: four clients created."""
    xero_emulator.add_contacts([{"Name": "O'Reilly & Søn, \"The Shop\"",
                                 "EmailAddress": "shop@oreilly.example, orders@oreilly.example"}])
    connect_xero(admin_client)
    admin_client.post("/integrations/xero/import")
    run = db.session.scalars(select(ImportRun)).one()
    assert admin_client.post(f"/imports/{run.id}/start").status_code == 303
    db.session.refresh(run)
    assert run.status == "done" and run.created == count(Client) == 5
    return run


def test_the_summary_offers_undo_behind_a_confirm_step(admin_client, finished):
    page = admin_client.get(f"/imports/{finished.id}").text
    assert "<details" in page and "Undo this import" in page
    assert f'action="/imports/{finished.id}/undo"' in page
    assert "archived instead if anyone has edited them" in page
    frag = admin_client.get(f"/imports/{finished.id}", headers=hx("import-progress"))
    assert "<html" not in frag.text and f"Undo import run {finished.id}" in frag.text
    confirm = admin_client.get(f"/imports/{finished.id}/undo")
    assert confirm.status_code == 200 and "<html" in confirm.text
    assert "Take back what this import wrote?" in confirm.text
    assert count(Client) == 5  # looking changes nothing


def test_undo_removes_what_it_can_and_reports_the_rest(admin_client, finished, admin):
    bakery = db.session.scalars(select(Client).where(
        Client.display_name == "Brontë Bakery")).one()
    notes.add_note(bakery, "Keep: they rang about the new shop", user=admin)
    r = admin_client.post(f"/imports/{finished.id}/undo")
    assert r.status_code == 303 and r.headers["Location"] == f"/imports/{finished.id}/undo"
    report = admin_client.get(r.headers["Location"])
    assert report.status_code == 200
    assert "Import undone: 4 removed, 1 archived" in report.text
    assert "<strong>4</strong> removed" in report.text
    assert f'href="/clients/{bakery.id}"' in report.text and "1 note added" in report.text
    assert count(Client) == 1 and db.session.get(Client, bakery.id).archived_at is not None
    summary = admin_client.get(f"/imports/{finished.id}").text
    assert "Undo this import" not in summary and "See what the undo did" in summary
    again = admin_client.post(f"/imports/{finished.id}/undo", follow_redirects=True)
    assert "had already been undone: nothing changed" in again.text


def test_staff_see_the_report_but_cannot_undo(client, finished, staff, admin):
    login_as(client, staff)
    assert "Undo this import" not in client.get(f"/imports/{finished.id}").text
    assert client.get(f"/imports/{finished.id}/undo").status_code == 403
    assert client.post(f"/imports/{finished.id}/undo").status_code == 403
    assert count(Client) == 5
    undo_run(finished.id, user=admin)
    report = client.get(f"/imports/{finished.id}/undo")
    assert report.status_code == 200 and "<strong>5</strong> removed" in report.text
    assert "Ada Admin" in report.text
    frag = client.get(f"/imports/{finished.id}", headers=hx("import-progress")).text
    assert "This import was undone on" in frag and "<html" not in frag


def test_a_preview_is_refused_with_a_message(admin_client, xero_app, xero_emulator):
    connect_xero(admin_client)
    admin_client.post("/integrations/xero/import")
    run = db.session.scalars(select(ImportRun)).one()
    r = admin_client.post(f"/imports/{run.id}/undo")
    assert r.status_code == 303 and r.headers["Location"] == f"/imports/{run.id}"
    page = admin_client.get(f"/imports/{run.id}/undo")
    assert "This import has not started: there is nothing to undo." in page.text
    assert "<button" not in page.text.split('id="undo-confirm"')[1]


def test_an_unknown_run_is_404(admin_client):
    assert admin_client.get("/imports/999/undo").status_code == 404
    assert admin_client.post("/imports/999/undo").status_code == 404


def test_undo_needs_the_csrf_token(app, admin_client, finished):
    app.config["WTF_CSRF_ENABLED"] = True
    assert admin_client.post(f"/imports/{finished.id}/undo").status_code == 400
    assert count(Client) == 5
    page = admin_client.get(f"/imports/{finished.id}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = admin_client.post(f"/imports/{finished.id}/undo", data={"csrf_token": token})
    assert r.status_code == 303 and count(Client) == 0


def test_a_big_run_is_undone_by_a_job_and_the_page_follows_it(admin_client, finished, admin):
    from_page = start_undo(finished.id, user=admin, inline=2)  # more records than inline: queued
    assert from_page is None
    page = admin_client.get(f"/imports/{finished.id}/undo").text
    assert "Undoing" in page and "0 of 8 records taken back" in page  # 5 written, 3 skipped
    assert '<meta http-equiv="refresh"' in page and "Undo again" in page
    assert "Being undone" in admin_client.get(f"/imports/{finished.id}").text
    jobs.undo_task(finished.id, admin.id)  # the consumer's task (run inside the test here)
    db.session.expire_all()
    page = admin_client.get(f"/imports/{finished.id}/undo").text
    assert "Undone on" in page and '<meta http-equiv="refresh"' not in page
    assert count(Client) == 0 and db.session.get(ImportRun, finished.id).undone_by_id == admin.id
