"""Import pages for accounting platforms: preview, decisions, start, progress and summary."""
import re
import uuid

import pytest
from sqlalchemy import select

from cone.services.models import Client, ExternalLink, ImportRecord, ImportRun, db
from tests.helpers import connect_xero, count, hx, login_as

ACME, ZOE, BRONTE, OLD, PROSPECT, SUPPLIER, TOM = (str(uuid.UUID(int=n)) for n in range(1, 8))


def _plain_client(admin, name="Acme Widgets Limited", number="01234567") -> Client:
    """A client the Xero record for Acme matches by company number (Brontë's by name)."""
    client = Client(kind="business", status="customer", legal_name=name, display_name=name,
                    company_number=number, created_by_id=admin.id)
    db.session.add(client)
    db.session.commit()
    return client


@pytest.fixture
def preview(admin_client, xero_app, xero_emulator, admin):
    """A Xero preview run with Acme matching an existing client; returns (run, acme client)."""
    acme = _plain_client(admin)
    _plain_client(admin, "Bronte Bakery", None)
    xero_emulator.add_contacts([{"Name": "Broken Records Ltd", "EmailAddress": "not-an-email"}])
    connect_xero(admin_client)
    r = admin_client.post("/integrations/xero/import")
    assert r.status_code == 303
    run = db.session.scalars(select(ImportRun)).one()
    assert r.headers["Location"].endswith(f"/imports/{run.id}")
    return run, acme


def row(run, external_id):
    return next(r for r in run.plan if r["customer"]["external_id"] == external_id)


def test_preview_classifies_every_record_and_writes_nothing(admin_client, preview):
    run, acme = preview
    assert run.status == "preview" and count(Client) == 2 and count(ExternalLink) == 0
    page = admin_client.get(f"/imports/{run.id}")
    assert page.status_code == 200 and "<html" in page.text
    text = page.text
    assert "Acme Widgets Ltd" in text and "Zoë Łukasiewicz-Ñúñez" in text
    assert "Same company number" in text and f'href="/clients/{acme.id}"' in text
    assert "Archived in Xero" in text and "Not marked as a customer" in text
    assert row(run, ACME)["decision"] == "link" and row(run, TOM)["decision"] == "create"
    assert row(run, OLD)["classification"] == "skipped"
    # The matched row offers link, create and skip; a new one never offers link
    acme_index, tom_index = row(run, ACME)["index"], row(run, TOM)["index"]
    select_acme = re.search(rf'name="decision-{acme_index}".*?</select>', text, re.DOTALL).group(0)
    assert 'value="link" selected' in select_acme and 'value="create"' in select_acme
    select_tom = re.search(rf'name="decision-{tom_index}".*?</select>', text, re.DOTALL).group(0)
    assert 'value="link"' not in select_tom
    assert 'name="csrf_token"' in text and "Start import" in text


def test_preview_filter_returns_the_region_for_htmx(admin_client, preview):
    run, _ = preview
    frag = admin_client.get(f"/imports/{run.id}?show=match", headers=hx("import-preview"))
    assert frag.status_code == 200 and "<html" not in frag.text
    assert 'id="import-preview"' in frag.text and "Acme Widgets Ltd" in frag.text
    assert "Tom Jones" not in frag.text
    boosted = admin_client.get(f"/imports/{run.id}?show=match",
                               headers=hx("import-preview", **{"HX-Boosted": "true"}))
    assert "<html" in boosted.text


def test_preview_and_import_are_for_admins(app, preview, staff):
    run, _ = preview
    staff_client = app.test_client()  # the admin's client is signed in as the admin
    login_as(staff_client, staff)
    assert staff_client.get(f"/imports/{run.id}").status_code == 403
    assert staff_client.post("/integrations/xero/import").status_code == 403
    assert staff_client.post(f"/imports/{run.id}/decisions").status_code == 403
    assert staff_client.post(f"/imports/{run.id}/start").status_code == 403
    assert staff_client.post(f"/imports/{run.id}/preview").status_code == 403
    assert db.session.get(ImportRun, run.id).status == "preview"


def test_importing_without_a_connection_says_so(admin_client, xero_app):
    r = admin_client.post("/integrations/xero/import")
    assert r.status_code == 303 and count(ImportRun) == 0
    assert "Connect Xero" in admin_client.get(r.headers["Location"]).text
    assert admin_client.post("/integrations/nowhere/import").status_code == 404


def test_platform_failure_is_reported_and_nothing_kept(admin_client, xero_app, xero_emulator):
    connect_xero(admin_client)
    xero_emulator.fail_next("/api.xro/2.0/Contacts", 503, times=10)
    r = admin_client.post("/integrations/xero/import")
    assert r.status_code == 303 and count(ImportRun) == 0
    assert "Nothing was imported" in admin_client.get(r.headers["Location"]).text


def test_saving_decisions_plain_and_htmx(admin_client, preview):
    run, _ = preview
    acme, tom = row(run, ACME)["index"], row(run, TOM)["index"]
    r = admin_client.post(f"/imports/{run.id}/decisions",
                          data={f"decision-{acme}": "skip", "show": "match", "page": "1"})
    assert r.status_code == 303 and r.headers["Location"].endswith(
        f"/imports/{run.id}?show=match&page=1")
    db.session.refresh(run)
    assert row(run, ACME)["decision"] == "skip"
    assert "Saved 1 decision" in admin_client.get(r.headers["Location"]).text
    frag = admin_client.post(f"/imports/{run.id}/decisions", data={f"decision-{tom}": "skip"},
                             headers=hx("decision-status"))
    assert frag.status_code == 200 and "<html" not in frag.text and "Saved." in frag.text
    db.session.refresh(run)
    assert row(run, TOM)["decision"] == "skip"


def test_an_impossible_decision_is_refused_next_to_its_row(admin_client, preview):
    run, _ = preview
    tom, acme = row(run, TOM)["index"], row(run, ACME)["index"]
    r = admin_client.post(f"/imports/{run.id}/decisions",
                          data={f"decision-{tom}": "link", f"decision-{acme}": "skip"})
    assert r.status_code == 422 and "<html" in r.text
    assert f'id="decision-{tom}-error"' in r.text and "Choose one of" in r.text
    db.session.refresh(run)
    assert row(run, ACME)["decision"] == "link"  # nothing saved, not even the good one
    frag = admin_client.post(f"/imports/{run.id}/decisions", data={f"decision-{tom}": "update"},
                             headers=hx("import-preview"))
    assert frag.status_code == 422 and "<html" not in frag.text and "Choose one of" in frag.text


def test_start_applies_decisions_runs_and_summarises(admin_client, preview):
    run, _ = preview
    tom, bronte = row(run, TOM)["index"], row(run, BRONTE)
    assert bronte["classification"] == "match" and bronte["decision"] == "skip"  # fuzzy
    r = admin_client.post(f"/imports/{run.id}/start", data={
        f"decision-{tom}": "skip", f"decision-{bronte['index']}": "link"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/imports/{run.id}")
    db.session.refresh(run)
    # Acme links on its company number although its VAT number is refused: a warning
    assert run.status == "done" and run.linked == 2 and run.failed == 0
    assert count(Client) == 2 + run.created
    assert not db.session.scalars(select(Client).where(Client.display_name == "Tom Jones")).all()
    page = admin_client.get(r.headers["Location"])
    assert page.status_code == 200 and "<html" in page.text
    assert f"<strong>{run.created}</strong> created" in page.text
    assert "<strong>2</strong> linked" in page.text
    assert "Clients written" in page.text and f'href="/clients/{bronte["client_id"]}"' in page.text
    # A value the register refuses is left empty: the record is imported, the summary says so
    assert "Not imported" not in page.text and "Written with warnings" in page.text
    assert "Broken Records Ltd" in page.text
    assert "E-mail “not-an-email” is not a valid e-mail address: left empty." in page.text
    assert run.warned == 2
    frag = admin_client.get(r.headers["Location"], headers=hx("import-progress"))
    assert "<html" not in frag.text and frag.headers["HX-Trigger"] == "clients-imported"
    assert "hx-trigger" not in frag.text
    created = db.session.scalars(select(ExternalLink.client_id).where(
        ExternalLink.external_id == ZOE)).one()
    assert f'href="/clients/{created}"' in page.text


def test_a_started_run_cannot_change(admin_client, preview):
    run, _ = preview
    admin_client.post(f"/imports/{run.id}/start")
    acme = row(run, ACME)["index"]
    r = admin_client.post(f"/imports/{run.id}/decisions", data={f"decision-{acme}": "skip"})
    assert r.status_code == 303
    assert "already started" in admin_client.get(r.headers["Location"]).text
    frag = admin_client.post(f"/imports/{run.id}/decisions", data={f"decision-{acme}": "skip"},
                             headers=hx("decision-status"))
    assert frag.status_code == 409 and "already started" in frag.text
    before = count(Client)
    assert admin_client.post(f"/imports/{run.id}/start").status_code == 303
    assert count(Client) == before


def test_rerunning_the_import_never_duplicates(admin_client, preview):
    run, _ = preview
    admin_client.post(f"/imports/{run.id}/start")
    clients_after_first = count(Client)
    r = admin_client.post("/integrations/xero/import")
    second = db.session.get(ImportRun, int(r.headers["Location"].rsplit("/", 1)[1]))
    page = admin_client.get(r.headers["Location"]).text
    assert "Already linked to Xero" in page
    admin_client.post(f"/imports/{second.id}/start")
    db.session.refresh(second)
    assert count(Client) == clients_after_first and second.created == 0


def test_preview_again_with_inactive_records(admin_client, preview):
    run, _ = preview
    r = admin_client.post(f"/imports/{run.id}/preview", data={"include_inactive": "y"})
    assert r.status_code == 303
    new = db.session.get(ImportRun, int(r.headers["Location"].rsplit("/", 1)[1]))
    # The old preview is replaced: only the new one is left to start
    assert new.status == "preview" and count(ImportRun) == 1
    assert row(new, OLD)["classification"] == "new" and row(new, PROSPECT)["decision"] == "create"
    page = admin_client.get(r.headers["Location"]).text
    assert re.search(r'<input checked[^>]*name="include_inactive"', page)


def test_running_import_polls_then_stops(staff_client, staff):
    run = ImportRun(provider="xero", status="running", total=10, processed=3, plan=[])
    db.session.add(run)
    db.session.commit()
    page = staff_client.get(f"/imports/{run.id}")
    assert '<meta http-equiv="refresh"' in page.text and 'value="3" max="10"' in page.text
    frag = staff_client.get(f"/imports/{run.id}", headers=hx("import-progress"))
    assert "<html" not in frag.text and 'hx-trigger="load delay:700ms"' in frag.text
    assert "HX-Trigger" not in frag.headers
    run.status, run.processed, run.created, run.failed = "done", 10, 9, 1
    run.plan = [{"index": 0, "customer": {"name": "Broken Ltd"}}]
    db.session.add(ImportRecord(run_id=run.id, index=0, outcome="failed",
                                message="Xero has no usable name for this record."))
    db.session.commit()
    frag = staff_client.get(f"/imports/{run.id}", headers=hx("import-progress"))
    assert "load delay" not in frag.text and "<strong>9</strong> created" in frag.text
    assert "Broken Ltd" in frag.text and "no usable name" in frag.text
    assert frag.headers["HX-Trigger"] == "clients-imported"


def test_forms_carry_csrf_tokens(admin_client, preview, app):
    run, _ = preview
    app.config["WTF_CSRF_ENABLED"] = True
    acme = row(run, ACME)["index"]
    assert admin_client.post(f"/imports/{run.id}/decisions",
                             data={f"decision-{acme}": "skip"}).status_code == 400
    page = admin_client.get(f"/imports/{run.id}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = admin_client.post(f"/imports/{run.id}/decisions",
                          data={f"decision-{acme}": "skip", "csrf_token": token})
    assert r.status_code == 303
    frag = admin_client.post(f"/imports/{run.id}/decisions", data={f"decision-{acme}": "link"},
                             headers=hx("decision-status", **{"X-CSRFToken": token}))
    assert frag.status_code == 200


def test_resync_of_an_imported_client_asks_the_platform(admin_client, preview, xero_emulator):
    run, _ = preview
    admin_client.post(f"/imports/{run.id}/start")
    client_id = db.session.scalars(select(ExternalLink.client_id).where(
        ExternalLink.external_id == TOM)).one()
    xero_emulator.add_contacts([{"ContactID": TOM, "EmailAddress": "tom@newmail.example"}])
    r = admin_client.post(f"/clients/{client_id}/resync")
    assert r.status_code == 303
    assert "Resynced from Xero: e-mail changed" in admin_client.get(r.headers["Location"]).text
    assert db.session.get(Client, client_id).email == "tom@newmail.example"
    frag = admin_client.post(f"/clients/{client_id}/resync", headers=hx("sync-status"))
    assert frag.status_code == 200 and "nothing has changed at Xero" in frag.text


def test_a_long_preview_is_paged(admin_client, xero_app, xero_emulator, admin):
    xero_emulator.generate(150)
    connect_xero(admin_client)
    r = admin_client.post("/integrations/xero/import")
    run = db.session.scalars(select(ImportRun)).one()
    page = admin_client.get(r.headers["Location"]).text
    assert "Page 1 of 2" in page and f"/imports/{run.id}?page=2" in page
    assert page.count('<select name="decision-') == 100
    second = admin_client.get(f"/imports/{run.id}?page=2", headers=hx("import-preview"))
    assert "<html" not in second.text and "Page 2 of 2" in second.text
    assert second.text.count('<select name="decision-') == run.total - 100
    # Saving one page leaves the other page's decisions as they were
    last = run.plan[-1]
    r = admin_client.post(f"/imports/{run.id}/decisions",
                          data={f"decision-{last['index']}": "skip", "page": "2"})
    assert r.headers["Location"].endswith("page=2")
    db.session.refresh(run)
    assert run.plan[-1]["decision"] == "skip" and run.plan[0]["decision"] == "create"
