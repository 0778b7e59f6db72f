"""The Companies House adapter over real HTTP against the emulator: every call, every failure."""
import time
from datetime import date

import httpx
import pytest

from cone import wiring
from cone.services import settings
from cone.services.models import Address, db
from cone.services.providers.base import (ProviderAuthError, ProviderBadResponse, ProviderError,
                                          ProviderNotFound, ProviderUnavailable, RateLimited)
from cone.services.providers.codes import (describe_company_status, describe_company_type,
                                           describe_nature_of_control, describe_officer_role,
                                           sic_description)
from cone.services.providers.companies_house import (CompaniesHouse, InvalidCompanyNumber,
                                                     normalise_company_number, rate_hint)
from cone.services.providers.http import RetryPolicy
from cone.services.providers.pacing import DatabasePacer


@pytest.fixture
def http(ch_emulator):
    with httpx.Client(base_url=ch_emulator.url, auth=(ch_emulator.key, ""), timeout=2) as h:
        yield h


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def ch(http, sleeps):
    """The adapter with two retries; its waits are recorded, never slept."""
    return CompaniesHouse(http, policy=RetryPolicy(retries=2), sleep=sleeps.append)


def company_requests(emulator, number):
    return [r for r in emulator.requests() if r.startswith(f"/company/{number}")]


def test_search_returns_neutral_items(ch):
    [item] = ch.search("northwind")
    assert item.company_number == "09876543"
    assert item.title == "NORTHWIND ANALYTICS LTD"
    assert item.company_status == "active" and item.company_type == "ltd"
    assert item.date_of_creation == date(2015, 3, 2)
    assert item.postcode == "M1 3HE"
    assert item.address_snippet == "12 Canal Street, Manchester, M1 3HE"


def test_search_matches_previous_names_and_passes_the_limit(ch, ch_emulator):
    assert [i.company_number for i in ch.search("macleod grocers")] == ["SC123456"]
    assert ch.search("limited", limit=2)
    assert "items_per_page=2" in ch_emulator.requests()[-1]


def test_search_without_hits_or_words(ch, ch_emulator):
    assert ch.search("no such company anywhere") == []
    before = len(ch_emulator.requests())
    assert ch.search("   ") == []
    assert len(ch_emulator.requests()) == before  # a blank search costs no request


def test_stub_search_item_without_status(ch):
    [item] = ch.search("riverside community")
    assert item.company_status is None and item.date_of_creation is None
    assert item.postcode is None


def test_fetch_private_limited_company(ch):
    c = ch.fetch_company("09876543")
    assert c.company_name == "NORTHWIND ANALYTICS LTD"
    assert (c.company_status, c.company_type) == ("active", "ltd")
    assert c.date_of_creation == date(2015, 3, 2) and c.date_of_cessation is None
    assert c.registered_office == Address("12 Canal Street", None, "Manchester", None, "M1 3HE",
                                          "England")
    assert c.sic_codes == ("62020", "62090")
    assert (c.accounting_reference_day, c.accounting_reference_month) == (31, 3)
    assert c.accounts_next_due == date(2026, 12, 31)
    assert c.accounts_next_made_up_to == date(2026, 3, 31)
    assert c.accounts_last_made_up_to == date(2025, 3, 31)
    assert c.accounts_overdue is False
    assert c.confirmation_statement_next_due == date(2026, 3, 15)
    assert c.confirmation_statement_next_made_up_to == date(2026, 3, 1)
    assert c.confirmation_statement_overdue is False
    assert c.previous_names == () and c.etag.startswith("4f1e")
    smith = c.officers[0]
    assert (smith.name, smith.role, smith.appointed_on) == ("SMITH, John Andrew", "director",
                                                            date(2015, 3, 2))
    assert (smith.birth_month, smith.birth_year, smith.nationality) == (5, 1970, "British")
    assert c.officers[2].birth_month is None  # a secretary's birth date is not published
    [psc] = c.pscs
    assert psc.kind == "individual-person-with-significant-control"
    assert psc.natures_of_control[0] == "ownership-of-shares-75-to-100-percent"
    assert (psc.birth_month, psc.birth_year, psc.notified_on) == (5, 1970, date(2016, 4, 6))


@pytest.mark.parametrize("typed, sent", [("9876543", "09876543"), (" 09876543 ", "09876543"),
                                         ("sc123456", "SC123456"), ("sc 123456", "SC123456")])
def test_numbers_are_normalised_before_the_call(ch, ch_emulator, typed, sent):
    assert ch.fetch_company(typed).company_number == sent
    assert company_requests(ch_emulator, sent)


@pytest.mark.parametrize("bad", ["", "ABC", "123456789", "XX123456"])
def test_impossible_numbers_make_no_request(ch, ch_emulator, bad):
    with pytest.raises(InvalidCompanyNumber) as e:
        ch.fetch_company(bad)
    assert "01234567" in str(e.value)  # the message shows what a number looks like
    assert ch_emulator.requests() == []
    assert normalise_company_number("123") == "00000123"


def test_llp_without_sic_codes_and_with_a_corporate_member(ch):
    c = ch.fetch_company("OC412345")
    assert c.company_type == "llp" and c.sic_codes == ()
    assert [o.role for o in c.officers] == ["llp-designated-member", "llp-member",
                                            "corporate-llp-designated-member"]
    assert c.registered_office.line1 == "Harbour House, 1 Harbour Lane"
    assert c.pscs == ()  # the statement is not a person


def test_plc_officers_over_several_pages(ch, ch_emulator):
    ch_emulator.page_size(2)
    c = ch.fetch_company("03456789")
    assert [o.name for o in c.officers] == ["WRIGHT, Margaret Anne", "OKAFOR, Chinedu",
                                            "BELL, Thomas", "NAKAMURA, Yuki", "HUGHES, Gareth"]
    pages = [r for r in ch_emulator.requests() if "/officers" in r]
    assert [p.split("start_index=")[1] for p in pages] == ["0", "2", "4"]
    assert c.registered_office.county == "East Riding of Yorkshire"


def test_dissolved_company(ch):
    c = ch.fetch_company("07654321")
    assert c.company_status == "dissolved" and c.date_of_cessation == date(2022, 8, 9)
    assert c.confirmation_statement_next_due is None and c.accounts_next_due is None
    assert c.accounts_last_made_up_to == date(2020, 5, 31)
    assert c.officers[0].resigned_on == date(2022, 8, 9)


def test_overdue_accounts_and_confirmation_statement(ch):
    c = ch.fetch_company("08123456")
    assert c.accounts_overdue is True and c.confirmation_statement_overdue is True
    assert c.registered_office == Address("1 High Street", None, None, None, "OX1 1AA", None)


def test_previous_names(ch):
    c = ch.fetch_company("SC123456")
    assert [p["name"] for p in c.previous_names] == ["THISTLE TRADING LIMITED",
                                                      "MACLEOD GROCERS LIMITED"]
    assert c.previous_names[0]["ceased_on"] == "2014-09-30"


def test_resigned_officers_and_corporate_legal_and_ceased_pscs(ch):
    c = ch.fetch_company("11223344")
    assert [o.resigned_on is not None for o in c.officers] == [False, True, True]
    corporate, legal, ceased = c.pscs
    assert corporate.kind == "corporate-entity-person-with-significant-control"
    assert corporate.registration_number == "10999888" and corporate.birth_year is None
    assert legal.kind == "legal-person-person-with-significant-control"
    assert ceased.ceased_on == date(2020, 12, 31)


def test_pscs_over_several_pages_skip_statements(ch, ch_emulator):
    ch_emulator.page_size(1)
    ch_emulator.update_company("11223344", pscs=[
        {"kind": "persons-with-significant-control-statement", "statement": "x"},
        {"kind": "individual-person-with-significant-control", "name": "Ms Ann Lee",
         "natures_of_control": "not-a-list"},
        {"kind": "super-secure-person-with-significant-control",
         "description": "super-secure-persons-with-significant-control"}])
    c = ch.fetch_company("11223344")
    assert [p.name for p in c.pscs] == ["Ms Ann Lee",
                                        "super-secure-persons-with-significant-control"]
    assert c.pscs[0].natures_of_control == ()


def test_missing_optional_members_are_fine(ch):
    c = ch.fetch_company("CE000123")
    assert c.company_status is None and c.date_of_creation is None
    assert c.accounting_reference_day is None and c.accounts_overdue is False
    assert c.registered_office == Address(line1="Riverside Hall")
    assert c.officers == () and c.pscs == () and c.etag is None


def test_unknown_members_and_enumeration_values_are_accepted(ch, ch_emulator):
    ch_emulator.update_company("09876543", {
        "company_status": "brand-new-status", "type": "novel-entity", "future": {"a": [1]},
        "accounts": {"accounting_reference_date": {"day": "05", "month": "04"},
                     "overdue": "true", "next_due": "2026-01-05"},
        "registered_office_address": {"po_box": "123", "locality": "York", "surprise": 1},
        "sic_codes": ["99999", ""]},
        remove=["confirmation_statement"],
        officers=[{"name": "DOE, Jane", "officer_role": "space-captain", "appointed_on": "bad",
                   "date_of_birth": {"month": "07", "year": "1990"}, "links": {}}])
    c = ch.fetch_company("09876543")
    assert c.company_status == "brand-new-status"
    assert describe_company_status(c.company_status) == "Brand new status"
    assert describe_company_type(c.company_type) == "Novel entity"
    assert (c.accounting_reference_day, c.accounting_reference_month) == (5, 4)
    assert c.accounts_overdue is True and c.accounts_next_due == date(2026, 1, 5)
    assert c.registered_office == Address(line1=None, line2="PO Box 123", town="York")
    assert c.sic_codes == ("99999",)
    [jane] = c.officers
    assert (jane.role, jane.appointed_on, jane.birth_month) == ("space-captain", None, 7)
    assert describe_officer_role("space-captain") == "Space captain"


def test_bad_key_is_an_auth_error(ch_emulator, sleeps):
    with httpx.Client(base_url=ch_emulator.url, auth=("wrong", ""), timeout=2) as http:
        with pytest.raises(ProviderAuthError) as e:
            CompaniesHouse(http, sleep=sleeps.append).search("northwind")
    assert "refused the API key" in str(e.value)
    assert e.value.message == str(e.value) and sleeps == []  # a refusal is not retried


@pytest.mark.parametrize("number", ["99999999", "99999998", "12345678"])
def test_unknown_company_is_not_found_whatever_the_body(ch, number):
    with pytest.raises(ProviderNotFound) as e:
        ch.fetch_company(number)
    assert "no company with that number" in e.value.message


def test_429_reads_retry_after(ch, ch_emulator, sleeps):
    with pytest.raises(RateLimited) as e:
        ch.fetch_company("42900429")
    assert e.value.retry_after == 7 and "try again in 7 seconds" in e.value.message
    assert e.value.message.startswith("Companies House is limiting requests")
    # No pacer means a page is waiting: say when to try again rather than sleep
    assert len(company_requests(ch_emulator, "42900429")) == 1 and sleeps == []


def test_429_without_retry_after_waits_for_the_window_reset(ch, ch_emulator):
    ch_emulator.rate_limit(2)
    ch.search("northwind")
    ch.search("northwind")
    with pytest.raises(RateLimited) as e:
        ch.search("northwind")
    assert 250 <= e.value.retry_after <= 301
    assert "try again in 5 minutes" in e.value.message


def test_rate_hint_prefers_retry_after_then_the_window_reset():
    now = lambda: 1_000_000.0  # noqa: E731
    assert rate_hint(httpx.Response(429, headers={"Retry-After": "0"}), now) == 1
    assert rate_hint(httpx.Response(429, headers={"X-Ratelimit-Reset": "1000120"}), now) == 121
    assert rate_hint(httpx.Response(429, headers={"X-Ratelimit-Reset": "999000"}), now) == 1
    assert rate_hint(httpx.Response(429), now) is None


@pytest.mark.parametrize("number, status", [("50000500", 500), ("50000503", 503)])
def test_server_errors_retry_a_bounded_number_of_times(ch, ch_emulator, sleeps, number,
                                                       status):
    with pytest.raises(ProviderUnavailable) as e:
        ch.fetch_company(number)
    assert f"error {status}" in e.value.message
    assert len(company_requests(ch_emulator, number)) == 3  # the first try and two retries
    assert sleeps == [0.5, 1]


def test_a_passing_failure_is_retried_with_backoff(http, ch_emulator):
    waits = []
    ch_emulator.fail_next("/company/09876543", 503, times=2)
    ch = CompaniesHouse(http, policy=RetryPolicy(backoff=0.25), sleep=waits.append)
    assert ch.fetch_company("09876543").company_name == "NORTHWIND ANALYTICS LTD"
    assert waits == [0.25, 0.5]


def test_timeout_is_unavailable(ch_emulator, sleeps):
    ch_emulator.slow(1.0)
    with httpx.Client(base_url=ch_emulator.url, auth=(ch_emulator.key, ""), timeout=0.2) as http:
        with pytest.raises(ProviderUnavailable) as e:
            CompaniesHouse(http, policy=RetryPolicy(retries=1),
                           sleep=sleeps.append).fetch_company("77777777")
    assert "did not answer in time" in e.value.message
    assert sleeps == [0.5]


def test_connection_refused_is_unavailable(sleeps):
    with httpx.Client(base_url="http://127.0.0.1:9", timeout=1) as http:
        with pytest.raises(ProviderUnavailable) as e:
            CompaniesHouse(http, policy=RetryPolicy(retries=1), sleep=sleeps.append).search("x")
    assert "could not connect" in e.value.message


@pytest.mark.parametrize("call", [lambda ch: ch.fetch_company("88888888"),
                                  lambda ch: ch.search("garbage")])
def test_malformed_json_is_a_bad_response(ch, call):
    with pytest.raises(ProviderBadResponse) as e:
        call(ch)
    assert "could not read" in e.value.message


def test_other_refusals_are_provider_errors(ch, ch_emulator):
    ch_emulator.fail_next("/search/companies", 416)
    with pytest.raises(ProviderError) as e:
        ch.search("northwind")
    assert e.value.message == "Companies House refused the request (error 416)."


def test_enumeration_words():
    assert sic_description("62020") == "Information technology consultancy activities"
    assert sic_description("00000") == ""
    assert describe_nature_of_control("ownership-of-shares-75-to-100-percent") == (
        "Ownership of shares – 75% or more")
    assert describe_officer_role("llp-designated-member") == "LLP Designated Member"
    assert describe_company_type("ltd") == "Private limited company"
    assert describe_company_status("dissolved") == "Dissolved"


def test_wiring_needs_a_key(app, app_ctx):
    app.config["COMPANIES_HOUSE_API_KEY"] = None
    with pytest.raises(ProviderAuthError) as e:
        wiring.companies_house(app)
    assert str(e.value) == wiring.NO_KEY


def test_wiring_uses_the_key_saved_on_the_settings_page(app, ch_emulator, admin):
    app.config.update(COMPANIES_HOUSE_API_KEY=None, COMPANIES_HOUSE_API_URL=ch_emulator.url)
    settings.set_secret(settings.COMPANIES_HOUSE_API_KEY, ch_emulator.key, app.config, user=admin)
    try:
        assert wiring.companies_house(app).search("thistle")[0].company_number == "SC123456"
    finally:
        wiring.close_http_clients(app)


def test_wiring_reports_a_key_the_encryption_key_cannot_read(app, admin):
    app.config["COMPANIES_HOUSE_API_KEY"] = None
    settings.set_secret(settings.COMPANIES_HOUSE_API_KEY, "k", app.config, user=admin)
    app.config["SECRET_KEY"] = "another secret"
    with pytest.raises(ProviderAuthError) as e:
        wiring.companies_house(app)
    assert "cannot be read" in str(e.value)


def test_injected_provider_wins(app):
    fake = object()
    app.extensions["cone.providers"]["companies_house"] = fake
    assert wiring.companies_house(app) is fake


class Clock:
    def __init__(self):
        self.now, self.slept = 1_000_000.0, []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_pacer_keeps_within_the_budget_across_instances(app_ctx):
    clock = Clock()
    first = DatabasePacer(db.engine, "test", limit=2, window=300, clock=clock, sleep=clock.sleep)
    second = DatabasePacer(db.engine, "test", limit=2, window=300, clock=clock,
                           sleep=clock.sleep)
    first.acquire()
    second.acquire()
    assert clock.slept == []
    first.acquire()  # the shared budget is spent: wait for the window to end
    assert sum(clock.slept) == 300


def test_pacer_obeys_the_server_count_and_429(app_ctx, ch_emulator, http):
    clock = Clock()
    clock.now = time.time()
    pacer = DatabasePacer(db.engine, "companies_house", limit=600, window=300, clock=clock,
                          sleep=clock.sleep)
    ch_emulator.fail_next("/company/09876543", 429)
    ch = CompaniesHouse(http, pacer=pacer, policy=RetryPolicy(retries=2), sleep=clock.sleep)
    assert ch.fetch_company("09876543").company_number == "09876543"
    assert clock.slept == [7]  # waited out Retry-After once; the shared budget agreed
    pacer.observe(0, int(clock.now) + 42)
    before = sum(clock.slept)
    pacer.acquire()
    assert 41 <= sum(clock.slept) - before <= 43
