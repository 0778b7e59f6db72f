"""The Integrations card (bulk add, resync all), import progress, and the Settings page."""
import pytest
from sqlalchemy import select

from cone import wiring

from cone.services import settings
from cone.services import companies_house as ch_service
from cone.services.models import Client, ExternalLink, ImportRun, Setting, db
from tests.helpers import count, hx

NORTHWIND, LLP = "09876543", "OC412345"


def test_integrations_card_shows_key_state_and_admin_actions(admin_client, ch_app):
    page = admin_client.get("/integrations").text
    assert "API key set" in page and "COMPANIES_HOUSE_API_KEY" in page
    assert 'name="numbers"' in page and "Resync all" in page


def test_staff_see_bulk_add_but_not_resync_all(staff_client, app):
    app.config["COMPANIES_HOUSE_API_KEY"] = None
    page = staff_client.get("/integrations").text
    assert "No API key" in page and 'name="numbers"' in page and "Resync all" not in page
    assert staff_client.post("/companies-house/resync-all").status_code == 403


def test_bulk_add_creates_skips_and_reports(staff_client, ch_app, staff):
    ch_service.create_from_companies_house(LLP, wiring.companies_house(ch_app), {}, None,
                                           user=staff)
    numbers = f"{NORTHWIND}\n\n oc412345 \n99999999\nXX12\n9876543\n"
    r = staff_client.post("/companies-house/import", data={"numbers": numbers})
    assert r.status_code == 303 and "/imports/" in r.headers["Location"]
    assert count(Client) == 2 and count(ExternalLink) == 2
    page = staff_client.get(r.headers["Location"]).text
    assert "1 created, 1 already clients, 2 not added" in page
    assert "NORTHWIND ANALYTICS LTD" in page and "Already a client" in page
    assert "Not found" in page and "XX12" in page and 'id="import-progress"' in page
    assert "hx-trigger" not in page  # a finished run does not poll


@pytest.mark.parametrize("numbers,words", [
    ("", "Enter at least one company number."),
    ("\n".join(f"{i:08d}" for i in range(1, 52)), "at most 50"),
])
def test_bulk_add_refuses_empty_or_too_many(staff_client, ch_app, numbers, words):
    r = staff_client.post("/companies-house/import", data={"numbers": numbers})
    assert r.status_code == 422 and words in r.text and count(ImportRun) == 0
    if numbers:
        assert "00000051" in r.text  # what was pasted is still there


def test_bulk_add_with_a_refused_key_says_so(staff_client, ch_app):
    ch_app.config["COMPANIES_HOUSE_API_KEY"] = "wrong"
    r = staff_client.post("/companies-house/import", data={"numbers": NORTHWIND})
    assert r.status_code == 502 and "refused the API key" in r.text and count(Client) == 0


def test_resync_all_runs_and_shows_the_summary(admin_client, ch_app, ch_emulator, admin):
    for number in (NORTHWIND, LLP):
        ch_service.create_from_companies_house(number, wiring.companies_house(ch_app), {},
                                               None, user=admin)
    ch_emulator.update_company(NORTHWIND, {"company_name": "NORTHWIND DATA LTD"})
    ch_emulator.fail_next(f"/company/{LLP}", 404, times=1)
    r = admin_client.post("/companies-house/resync-all")
    assert r.status_code == 303
    run = db.session.scalars(select(ImportRun)).one()
    assert r.headers["Location"].endswith(f"/imports/{run.id}")
    page = admin_client.get(r.headers["Location"])
    assert page.status_code == 200 and "<html" in page.text
    assert "1</strong> changed" in page.text and "1</strong> failed" in page.text
    assert "HARBOUR LANE PARTNERS LLP" in page.text and "no company with that number" in page.text
    frag = admin_client.get(r.headers["Location"], headers=hx("import-progress"))
    assert "<html" not in frag.text and frag.headers["HX-Trigger"] == "clients-imported"
    assert "hx-trigger" not in frag.text


def test_resync_all_without_a_key_says_so(admin_client, app):
    app.config["COMPANIES_HOUSE_API_KEY"] = None
    r = admin_client.post("/companies-house/resync-all")
    assert r.status_code == 409 and count(ImportRun) == 0
    assert "No Companies House API key" in r.text and 'href="/settings"' in r.text


def test_running_import_polls_until_done(staff_client, staff):
    run = ImportRun(provider="companies_house", status="running", total=4, processed=1)
    db.session.add(run)
    db.session.commit()
    page = staff_client.get(f"/imports/{run.id}")
    assert page.status_code == 200 and '<meta http-equiv="refresh"' in page.text
    assert 'value="1" max="4"' in page.text and 'hx-trigger="load delay:700ms"' in page.text
    frag = staff_client.get(f"/imports/{run.id}", headers=hx("import-progress"))
    assert "<html" not in frag.text and "load delay" in frag.text
    assert "HX-Trigger" not in frag.headers
    run.status, run.processed, run.updated, run.skipped = "done", 4, 1, 3
    db.session.commit()
    frag = staff_client.get(f"/imports/{run.id}", headers=hx("import-progress"))
    assert "load delay" not in frag.text and "3</strong> unchanged" in frag.text
    assert frag.headers["HX-Trigger"] == "clients-imported"
    assert staff_client.get("/imports/999").status_code == 404


def test_settings_page_is_admin_only(staff_client, admin, client):
    assert staff_client.get("/settings").status_code == 403
    assert staff_client.post("/settings", data={"api_key": "x"}).status_code == 403
    assert count(Setting) == 0
    page = staff_client.get("/clients").text
    assert 'href="/settings"' not in page


def test_settings_saves_key_encrypted_and_never_shows_it(admin_client, app):
    page = admin_client.get("/settings").text
    assert "No key saved" in page and 'href="/settings"' in page
    r = admin_client.post("/settings", data={"api_key": "  secret-key-123  "})
    assert r.status_code == 303
    row = db.session.get(Setting, settings.COMPANIES_HOUSE_API_KEY)
    assert row.encrypted and "secret-key-123" not in row.value
    assert settings.get_secret(settings.COMPANIES_HOUSE_API_KEY, app.config) == "secret-key-123"
    page = admin_client.get("/settings").text
    assert "A key is saved" in page and "secret-key-123" not in page
    r = admin_client.post("/settings", data={"api_key": "bad key"})
    assert r.status_code == 422 and "no spaces" in r.text and "bad key" not in r.text
    r = admin_client.post("/settings", data={"remove": "y"})
    assert r.status_code == 303 and count(Setting) == 0


def test_saved_key_is_used_for_companies_house(admin_client, app, ch_emulator):
    app.config.update(COMPANIES_HOUSE_API_URL=ch_emulator.url, COMPANIES_HOUSE_API_KEY=None)
    admin_client.post("/settings", data={"api_key": ch_emulator.key})
    r = admin_client.get("/companies-house/search?q=northwind", headers=hx("ch-results"))
    assert "NORTHWIND ANALYTICS LTD" in r.text
    wiring.close_http_clients(app)


def test_settings_post_needs_the_csrf_token(admin_client, app, admin):
    app.config["WTF_CSRF_ENABLED"] = True
    assert admin_client.post("/settings", data={"api_key": "k"}).status_code == 400
    assert count(Setting) == 0
