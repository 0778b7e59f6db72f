"""Companies House in the create form: search, prefill, save as a mapped client, duplicates,
and what every provider failure looks like (a clear message, nothing stored)."""
import pytest
from sqlalchemy import select

from cone.services import clients
from cone.services.models import Client, CompaniesHouseProfile, ExternalLink, RateBudget, db
from tests.helpers import break_provider, count, FAILURES, hx, login_as

NORTHWIND = "09876543"


def create_data(number=NORTHWIND, **extra) -> dict:
    """What the create form posts after picking a company (readonly fields included)."""
    data = {"kind": "business", "ch_number": number, "legal_name": "NORTHWIND ANALYTICS LTD",
            "company_number": number, "status": "customer", "action": "save",
            "contacts-0-first_name": "Nadia", "contacts-0-last_name": "North",
            "primary": "new:0", "vat_number": "GB 980 7806 84"}
    data.update(extra)
    return data


@pytest.fixture
def user_client(staff_client, ch_app):
    return staff_client


def test_search_fragment_lists_companies(user_client):
    r = user_client.get("/companies-house/search?q=northwind", headers=hx("ch-results"))
    assert r.status_code == 200 and "<html" not in r.text
    assert "NORTHWIND ANALYTICS LTD" in r.text and NORTHWIND in r.text
    assert f"/companies-house/{NORTHWIND}/prefill" in r.text and "Active" in r.text


def test_search_page_without_js_is_the_create_form_with_results(user_client):
    r = user_client.get("/companies-house/search?q=northwind")
    assert r.status_code == 200 and "<html" in r.text
    assert 'id="client-form"' in r.text and "NORTHWIND ANALYTICS LTD" in r.text
    assert 'value="northwind"' in r.text  # the search box keeps the query


def test_search_with_no_match_says_so(user_client):
    r = user_client.get("/companies-house/search?q=zzzz-nothing", headers=hx("ch-results"))
    assert r.status_code == 200 and "No company at Companies House matches" in r.text


def test_create_page_offers_the_search_and_the_manual_route(user_client):
    page = user_client.get("/clients/new?kind=business").text
    assert "Import from Companies House" in page and 'form="ch-search"' in page
    assert "create a manual client" in page
    assert "Import from Companies House" not in user_client.get("/clients/new?kind=individual").text


def test_prefill_fills_the_form_and_locks_owned_fields(user_client):
    r = user_client.get(f"/companies-house/{NORTHWIND}/prefill")
    assert r.status_code == 200 and "<html" in r.text
    assert 'name="ch_number" value="09876543"' in r.text
    assert 'value="NORTHWIND ANALYTICS LTD" readonly' in r.text or \
        'readonly' in r.text.split('name="legal_name"')[1].split(">")[0]
    assert "Companies House details" in r.text and "PATEL, Priya" in r.text
    frag = user_client.get(f"/companies-house/{NORTHWIND}/prefill", headers=hx("client-form"))
    assert "<html" not in frag.text and 'id="client-form"' in frag.text


def test_prefill_of_a_company_without_sic_codes(user_client):
    # LLPs file no SIC codes: the member is simply absent from the profile
    r = user_client.get("/companies-house/OC412345/prefill", headers=hx("client-form"))
    assert r.status_code == 200 and "HARBOUR LANE PARTNERS LLP" in r.text
    assert 'name="sic_codes"' in r.text


def test_prefill_keeps_what_was_typed(user_client):
    r = user_client.get(f"/companies-house/{NORTHWIND}/prefill?kind=business&vat_number=GB999"
                        "&legal_name=Typed+name&contacts-0-first_name=Nadia&incorporation_date=",
                        headers=hx("client-form"))
    assert 'value="GB999"' in r.text and 'value="Nadia"' in r.text
    assert 'value="NORTHWIND ANALYTICS LTD"' in r.text and "Typed name" not in r.text
    assert 'value="2015-03-02"' in r.text  # the empty date sent along does not win


def test_save_creates_a_mapped_client_with_profile(user_client):
    r = user_client.post("/clients", data=create_data(legal_name="Crafted name",
                                                      registered_line1="1 Fake Street"))
    assert r.status_code == 303
    client = db.session.scalars(select(Client)).one()
    assert client.legal_name == "NORTHWIND ANALYTICS LTD"  # fetched values win
    assert client.registered_address.line1 != "1 Fake Street"
    assert client.vat_number == "GB980780684"
    link = client.active_link
    assert link.provider == "companies_house" and link.external_id == NORTHWIND
    assert count(CompaniesHouseProfile) == 1
    assert "Created NORTHWIND ANALYTICS LTD" in user_client.get(r.headers["Location"]).text


def test_invalid_save_keeps_the_company_and_the_lock(user_client):
    r = user_client.post("/clients", data=create_data(vat_number="GB1"))
    assert r.status_code == 422 and 'name="ch_number" value="09876543"' in r.text
    assert 'id="vat_number-error"' in r.text and count(Client) == 0
    assert "readonly" in r.text.split('name="legal_name"')[1].split(">")[0]


def test_same_company_twice_offers_to_open_the_existing_client(user_client):
    assert user_client.post("/clients", data=create_data()).status_code == 303
    existing = db.session.scalars(select(Client)).one()
    r = user_client.post("/clients", data=create_data())
    assert r.status_code == 409 and "already has company number 09876543" in r.text
    assert f'href="/clients/{existing.id}"' in r.text and count(Client) == 1
    r = user_client.post("/clients", data=create_data(), headers=hx("client-form"))
    assert r.status_code == 409 and "<html" not in r.text and "Open <bdi>NORTHWIND" in r.text


def test_duplicate_includes_archived_manual_client(user_client, staff):
    manual = clients.create_client("business", {"legal_name": "Northwind (old)",
                                                "company_number": NORTHWIND},
                                   clients.ContactsInput(new=[clients.NewContact(
                                       first_name="A")], existing=[], primary="new:0"),
                                   user=staff)
    clients.archive_client(manual, user=staff)
    r = user_client.post("/clients", data=create_data(confirm_duplicates="1"))
    assert r.status_code == 409 and "(archived)" in r.text
    assert f'href="/clients/{manual.id}"' in r.text and count(ExternalLink) == 0


@pytest.mark.parametrize("how,words", FAILURES)
def test_prefill_failure_is_explained_and_keeps_the_form(user_client, ch_app, ch_emulator,
                                                         how, words):
    break_provider(ch_app, ch_emulator, how, f"/company/{NORTHWIND}")
    r = user_client.get(f"/companies-house/{NORTHWIND}/prefill?kind=business&vat_number=GB999",
                        headers=hx("client-form"))
    assert r.status_code == 200 and words in r.text and 'value="GB999"' in r.text
    assert 'name="ch_number"' not in r.text
    plain = user_client.get(f"/companies-house/{NORTHWIND}/prefill")
    assert plain.status_code in (404, 502, 503) and words in plain.text


@pytest.mark.parametrize("how,words", FAILURES)
def test_save_failure_changes_nothing(user_client, ch_app, ch_emulator, how, words):
    break_provider(ch_app, ch_emulator, how, f"/company/{NORTHWIND}")
    r = user_client.post("/clients", data=create_data())
    assert r.status_code in (404, 502, 503) and words in r.text
    assert 'value="Nadia"' in r.text and 'name="ch_number" value="09876543"' in r.text
    assert count(Client) == count(ExternalLink) == count(CompaniesHouseProfile) == 0
    r = user_client.post("/clients", data=create_data(), headers=hx("client-form"))
    assert r.status_code == 200 and words in r.text and count(Client) == 0


@pytest.mark.parametrize("how,words", [f for f in FAILURES if f[0] != "404"])
def test_search_failure_is_explained(user_client, ch_app, ch_emulator, how, words):
    break_provider(ch_app, ch_emulator, how, "/search/companies")
    r = user_client.get("/companies-house/search?q=northwind", headers=hx("ch-results"))
    assert r.status_code == 200 and words in r.text and "<html" not in r.text


def test_no_key_at_all_points_to_settings(client, staff, admin, app):
    app.config["COMPANIES_HOUSE_API_KEY"] = None
    login_as(client, staff)
    r = client.get("/companies-house/search?q=acme", headers=hx("ch-results"))
    assert r.status_code == 409 and "<html" not in r.text
    assert "No Companies House API key is set" in r.text and "Ask an admin" in r.text
    assert r.headers["HX-Retarget"] == "#toast"
    login_as(client, admin)
    r = client.get("/companies-house/01234567/prefill")
    assert r.status_code == 409 and "<html" in r.text
    assert 'href="/settings"' in r.text


def test_rate_limited_plain_request_says_when_to_retry(user_client, ch_app):
    r = user_client.get("/companies-house/42900429/prefill")
    assert r.status_code == 503 and r.headers.get("Retry-After") == "7"
    assert "limiting requests" in r.text


def test_pages_draw_on_the_shared_budget_and_never_wait(user_client, ch_app, ch_emulator, app):
    """A page's request takes a slot of the budget jobs and other servers share; once it is
    spent, the page says so at once and nothing is sent (jobs wait instead)."""
    assert user_client.get(f"/companies-house/{NORTHWIND}/prefill").status_code == 200
    sent = len(ch_emulator.requests())
    with app.app_context():
        assert db.session.scalar(select(RateBudget.used)) == sent > 0
    app.config["COMPANIES_HOUSE_RATE_LIMIT"] = sent  # what this server sent spent the budget
    r = user_client.get(f"/companies-house/{NORTHWIND}/prefill")
    assert r.status_code == 503 and "limiting requests" in r.text
    assert 0 < int(r.headers["Retry-After"]) <= 300
    assert len(ch_emulator.requests()) == sent


def test_unknown_or_malformed_number_is_not_found(user_client):
    for number in ("99999998", "99999999", "not-a-number"):
        r = user_client.get(f"/companies-house/{number}/prefill")
        assert r.status_code == 404, number


def test_every_companies_house_action_without_a_key_is_409(user_client, app, staff, admin):
    """Search, prefill, create, link, resync, bulk add and resync-all: the same 409 answer."""
    r = user_client.post("/clients", data=create_data())
    linked = r.headers["Location"]
    manual = user_client.post("/clients", data={
        "kind": "business", "legal_name": "Manual Ltd", "action": "save", "status": "customer",
        "contacts-0-first_name": "Mo", "primary": "new:0"}).headers["Location"]
    app.config["COMPANIES_HOUSE_API_KEY"] = None
    login_as(user_client, admin)
    actions = [("get", "/companies-house/search?q=acme"),
               ("get", f"/companies-house/{NORTHWIND}/prefill"),
               ("post", "/clients", create_data("01234567", legal_name="Other Ltd",
                                                confirm_duplicates="1")),
               ("get", f"{manual}/link-company?q=acme"),
               ("post", f"{manual}/link-company", {"number": NORTHWIND}),
               ("post", f"{linked}/resync", {}), ("post", "/companies-house/import",
                                                   {"numbers": NORTHWIND}),
               ("post", "/companies-house/resync-all", {})]
    for method, url, *data in actions:
        for headers in ({}, hx("ch-results"), hx(**{"HX-Boosted": "true"})):
            r = getattr(user_client, method)(url, data=(data or [None])[0], headers=headers)
            assert r.status_code == 409, (url, headers, r.status_code)
            assert "No Companies House API key is set" in r.text, url
            assert 'href="/settings"' in r.text, url
            assert ("<html" in r.text) == (headers == {}), (url, headers)
