"""An interrupted import on its page: what it completed, and Resume (admin, CSRF, no JS)."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from cone.services import search
from cone.services.imports.run import run_import
from cone.services.imports.undo import undo_run
from cone.services.models import Client, ExternalLink, ImportRecord, ImportRun, db, utcnow
from tests.helpers import count, hx, login_as, make_app, messy_customers, queued
from tests.refusal import drop_refusal, refusing


@pytest.fixture
def refusals(app_ctx):
    yield from refusing()


def killed_run(admin, refusals, n=10) -> ImportRun:
    """A run whose worker died after two batches of three: status running, heartbeat old."""
    refusals("import_record", 'new."index" = 6', "stop_run")
    run = queued(messy_customers(n), admin)
    run_import(run.id, batch_size=3)
    drop_refusal("import_record", "stop_run")
    db.session.expire_all()
    run = db.session.get(ImportRun, run.id)
    assert (run.processed, run.created) == (6, 6)
    run.status, run.finished_at = "running", None
    run.heartbeat_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    return run


def test_an_interrupted_run_says_what_it_completed_and_resumes(admin_client, admin, refusals):
    run = killed_run(admin, refusals)
    page = admin_client.get(f"/imports/{run.id}").text
    assert "Interrupted" in page and "6 of 10 records done" in page
    assert '<meta http-equiv="refresh"' not in page  # it is not running: no reloading
    assert f'action="/imports/{run.id}/resume"' in page and 'name="csrf_token"' in page
    frag = admin_client.get(f"/imports/{run.id}", headers=hx("import-progress"))
    assert "Interrupted" in frag.text and "load delay" not in frag.text
    r = admin_client.post(f"/imports/{run.id}/resume")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/imports/{run.id}")
    db.session.expire_all()
    done = db.session.get(ImportRun, run.id)
    assert (done.status, done.processed, done.created, done.failed) == ("done", 10, 10, 0)
    # every customer written exactly once
    assert count(Client) == 10 and count(ImportRecord) == 10
    ids = db.session.scalars(select(ExternalLink.external_id)).all()
    assert sorted(ids) == sorted(f"X{i}" for i in range(10))
    assert search.check(db.session) == 0
    page = admin_client.get(r.headers["Location"]).text
    assert "Finished" in page and "Interrupted" not in page and "Resume" not in page


def test_a_run_still_beating_is_not_resumed(admin_client, admin):
    run = queued(messy_customers(2), admin)
    run.status, run.heartbeat_at = "running", utcnow() - timedelta(seconds=30)
    db.session.commit()
    page = admin_client.get(f"/imports/{run.id}").text
    assert "Working: 0 of 2 done" in page and "/resume" not in page
    r = admin_client.post(f"/imports/{run.id}/resume", follow_redirects=True)
    assert "not interrupted" in r.text
    db.session.expire_all()
    assert db.session.get(ImportRun, run.id).status == "running" and count(Client) == 0


def test_staff_see_an_interrupted_run_but_cannot_resume_it(staff_client, admin, refusals):
    run = killed_run(admin, refusals, n=7)
    page = staff_client.get(f"/imports/{run.id}").text
    assert "Interrupted" in page and "An admin can resume it" in page and "/resume" not in page
    assert staff_client.post(f"/imports/{run.id}/resume").status_code == 403
    db.session.expire_all()
    assert db.session.get(ImportRun, run.id).status == "running" and count(Client) == 6


def test_resume_needs_the_csrf_token(tmp_path, app, admin, refusals):
    run = killed_run(admin, refusals, n=7)
    guarded = make_app(tmp_path, WTF_CSRF_ENABLED=True)  # the same database, CSRF checked
    browser = guarded.test_client()
    login_as(browser, admin)
    try:
        assert browser.post(f"/imports/{run.id}/resume").status_code == 400
    finally:
        with guarded.app_context():
            db.engine.dispose()
    db.session.expire_all()
    assert db.session.get(ImportRun, run.id).status == "running"


def test_an_unknown_run_is_404(admin_client):
    assert admin_client.post("/imports/999/resume").status_code == 404


def test_lists_say_interrupted_and_undone(admin_client, admin, refusals):
    run = killed_run(admin, refusals)
    run.provider = "csv"  # the integrations page lists CSV runs by themselves
    db.session.commit()
    row = re.search(rf'CSV #{run.id}</a></td>.*?</tr>', admin_client.get("/integrations").text,
                    re.S).group()
    assert "Interrupted" in row and "Running" not in row
    run.status = "failed"
    db.session.commit()
    undo_run(run.id, user=admin)
    row = re.search(rf'CSV #{run.id}</a></td>.*?</tr>', admin_client.get("/integrations").text,
                    re.S).group()
    assert "Undone" in row
