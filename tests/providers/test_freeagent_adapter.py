"""The FreeAgent adapter against its emulator over HTTP: paging, views, since, mapping, faults."""
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from cone.services.models import Address
from cone.services.providers.accounting import ADAPTERS, ContactPerson
from cone.services.providers.base import (ProviderAuthError, ProviderBadResponse,
                                          ProviderNotFound, ProviderUnavailable, RateLimited)
from cone.services.providers.freeagent import FreeAgent
from cone.services.providers.http import RetryPolicy
from tests.helpers import HandTokens


@pytest.fixture
def tokens(freeagent_emulator):
    return HandTokens(freeagent_emulator)


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def make(freeagent_emulator, tokens, sleeps):
    """An adapter on its own HTTP client; sleeps are recorded instead of slept."""
    clients = []

    def build(timeout=5.0, page_size=None, **policy):
        http = httpx.Client(base_url=freeagent_emulator.api_url, timeout=timeout)
        clients.append(http)
        return FreeAgent(http, "", tokens, policy=RetryPolicy(backoff=0.01, **policy),
                         sleep=sleeps.append, page_size=page_size)
    yield build
    for http in clients:
        http.close()


def by_name(records):
    return {r.name: r for r in records}


def contact_calls(emulator):
    return [r for r in emulator.requests() if r.startswith("/v2/contacts")]


def test_registered_as_the_freeagent_adapter():
    assert ADAPTERS["freeagent"] is FreeAgent


def test_lists_clients_across_pages_following_the_link_header(make, freeagent_emulator):
    records = list(make(page_size=2).list_customers())
    assert sorted(r.name for r in records) == [
        "Acme Widgets Ltd", "Old Mill Bakery", "Siobhán Ó Briain", "Zürich Café Ltd"]
    calls = contact_calls(freeagent_emulator)
    assert len(calls) == 2
    assert all("view=clients" in c and "per_page=2" in c for c in calls)
    assert "page=2" in calls[1]


def test_a_single_page_with_an_empty_link_header_is_one_request(make, freeagent_emulator):
    records = list(make().list_customers())
    assert len(records) == 4
    assert len(contact_calls(freeagent_emulator)) == 1


def test_several_pages_of_generated_contacts(make, freeagent_emulator):
    freeagent_emulator.generate(250)
    records = list(make().list_customers(include_non_customers=True))
    assert len(records) == 256
    assert len({r.external_id for r in records}) == 256
    assert len(contact_calls(freeagent_emulator)) == 6  # 3 pages of clients + 3 of all
    assert any(r.email is None for r in records) and any(r.archived for r in records)


def test_include_non_customers_lists_every_contact_and_flags_customers(make):
    records = by_name(make(page_size=3).list_customers(include_non_customers=True))
    assert len(records) == 6
    assert records["Office Landlord Ltd"].is_customer is False
    assert records["Priya Patel"].is_customer is False
    assert records["Acme Widgets Ltd"].is_customer is True
    assert records["Old Mill Bakery"].is_customer is True


def test_maps_an_organisation_with_its_person(make):
    acme = by_name(make().list_customers())["Acme Widgets Ltd"]
    assert acme.provider == "freeagent" and acme.external_id == "101" and acme.tenant_id == ""
    assert acme.kind == "business"
    assert acme.email == "accounts@acme.example" and acme.phone == "020 7946 0000"
    assert acme.address == Address(line1="1 High Street", line2="Floor 2, Unit 4",
                                   town="London", county="Greater London",
                                   postcode="EC1A 1BB", country="United Kingdom")
    assert acme.vat_number == "GB123456782" and acme.company_number is None
    assert acme.people == (ContactPerson("Jane", "Doe", "accounts@acme.example",
                                         "020 7946 0000"),)
    assert acme.updated_at == datetime(2024, 4, 11, 9, 0, tzinfo=timezone.utc)
    assert acme.raw["url"].endswith("/contacts/101")
    assert acme.archived is False and acme.problems == ()


def test_maps_people_unicode_missing_emails_and_fallbacks(make):
    records = by_name(make().list_customers())
    person = records["Siobhán Ó Briain"]
    assert person.kind == "individual" and person.people == ()
    assert (person.first_name, person.last_name) == ("Siobhán", "Ó Briain")
    assert person.email is None and person.phone is None
    assert person.address.country == "Ireland"
    cafe = records["Zürich Café Ltd"]
    assert cafe.email == "billing@cafe.example" and cafe.phone == "07700 900123"
    assert cafe.people == ()
    assert records["Old Mill Bakery"].archived is True


def test_since_asks_for_contacts_updated_after_it(make, freeagent_emulator):
    freeagent_emulator.update_contact(103, email="new@cafe.example")
    since = datetime.now(timezone.utc) - timedelta(minutes=1)
    records = list(make().list_customers(since=since))
    assert [(r.name, r.email) for r in records] == [("Zürich Café Ltd", "new@cafe.example")]
    assert "updated_since=" in contact_calls(freeagent_emulator)[0]


def test_fetches_one_customer(make):
    assert make().fetch_customer("102").name == "Siobhán Ó Briain"


def test_an_unknown_customer_is_not_found(make, freeagent_emulator):
    with pytest.raises(ProviderNotFound):
        make().fetch_customer("999")
    with pytest.raises(ProviderNotFound):
        make().fetch_customer("../company")
    assert contact_calls(freeagent_emulator) == ["/v2/contacts/999"]


def test_company_name(make):
    assert make().company_name() == "Emulated Practice Ltd"


def test_an_expired_token_is_refreshed_once(make, freeagent_emulator, tokens):
    freeagent_emulator.expire_tokens()
    assert len(list(make().list_customers())) == 4
    assert tokens.refreshes == 1
    assert freeagent_emulator.oauth_report()["counts"]["refresh"] == 1


def test_a_second_401_after_refreshing_is_an_auth_error(make, freeagent_emulator, tokens):
    freeagent_emulator.fail_next("/v2/contacts", 401, times=2)
    with pytest.raises(ProviderAuthError, match="reconnect"):
        list(make().list_customers())
    assert tokens.refreshes == 1


def test_a_refused_refresh_is_an_auth_error(make, freeagent_emulator, tokens):
    freeagent_emulator.oauth(refuse_refresh=True)
    freeagent_emulator.expire_tokens()
    with pytest.raises(ProviderAuthError):
        list(make().list_customers())
    assert tokens.refreshes == 1


def test_429_waits_for_retry_after_then_carries_on(make, freeagent_emulator, sleeps):
    freeagent_emulator.fail_next("/v2/contacts", 429, retry_after=3)
    assert len(list(make().list_customers())) == 4
    assert sleeps == [3]


def test_a_spent_budget_with_a_long_wait_is_rate_limited(make, freeagent_emulator, sleeps):
    freeagent_emulator.rate_limit(2, window=60)
    with pytest.raises(RateLimited) as caught:
        list(make(page_size=1, max_wait=5).list_customers())
    assert 5 < caught.value.retry_after <= 60
    assert sleeps == []


def test_5xx_is_retried_with_backoff(make, freeagent_emulator, sleeps):
    freeagent_emulator.fail_next("/v2/contacts", 503, times=2)
    assert len(list(make().list_customers())) == 4
    assert sleeps == [0.01, 0.02]


def test_5xx_beyond_the_retries_is_unavailable(make, freeagent_emulator, sleeps):
    freeagent_emulator.fail_next("/v2/contacts", 500, times=4)
    with pytest.raises(ProviderUnavailable, match="error 500"):
        list(make().list_customers())
    assert len(sleeps) == 3


def test_a_timeout_is_retried(make, freeagent_emulator, sleeps):
    freeagent_emulator.slow(1.0)
    freeagent_emulator.fail_next("/v2/contacts", "timeout")
    assert len(list(make(timeout=0.3).list_customers())) == 4
    assert len(sleeps) == 1


def test_a_body_that_is_not_json_is_a_bad_response(make, freeagent_emulator):
    freeagent_emulator.fail_next("/v2/contacts", "malformed")
    with pytest.raises(ProviderBadResponse):
        list(make().list_customers())


def test_malformed_records_are_reported_and_the_others_still_read(make, freeagent_emulator):
    freeagent_emulator.add_contacts([
        {"organisation_name": "No Id Ltd"},
        {"url": "https://api.freeagent.com/v2/contacts/990", "email": "x@example.com"},
        "not an object",
        {"url": "https://api.freeagent.com/v2/contacts/991", "organisation_name": {"x": 1},
         "first_name": "Ok", "last_name": "Person", "updated_at": "yesterday", "email": 42,
         "address1": " Studio 1\n  Mill Lane "},
    ])
    records = list(make().list_customers())
    assert len(records) == 8
    broken = [r for r in records if r.problems]
    assert len(broken) == 3
    assert {r.external_id for r in broken} == {"", "990"}
    assert any("without an id" in p for r in broken for p in r.problems)
    assert any("neither an organisation" in p for r in broken for p in r.problems)
    odd = next(r for r in records if r.external_id == "991")
    assert (odd.name, odd.kind, odd.updated_at, odd.email) == ("Ok Person", "individual",
                                                               None, "42")
    assert odd.address.line1 == "Studio 1 Mill Lane" and odd.problems == ()
