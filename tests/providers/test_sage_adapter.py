"""The Sage adapter against its emulator over HTTP: businesses, $next paging, filters, faults."""
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from cone.services.models import Address
from cone.services.providers.accounting import ADAPTERS, ContactPerson
from cone.services.providers.base import (ProviderAuthError, ProviderBadResponse,
                                          ProviderNotFound, ProviderUnavailable, RateLimited)
from cone.services.providers.http import RetryPolicy
from cone.services.providers.sage import Sage, businesses, list_businesses
from tests.helpers import HandTokens
from tests.emulators.sage import LEAD, SECOND, THIRD, contact_id

CUSTOMERS = ["Acme Widgets Ltd", "Old Mill Bakery Ltd", "Siobhán Ó Briain", "Tom Jones",
             "Zürich Café"]


@pytest.fixture
def tokens(sage_emulator):
    return HandTokens(sage_emulator)


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def make(sage_emulator, tokens, sleeps):
    """An adapter for a business on its own HTTP client; sleeps are recorded, not slept."""
    clients = []

    def build(business=LEAD, timeout=5.0, page_size=None, **policy):
        http = httpx.Client(base_url=sage_emulator.api_url, timeout=timeout)
        clients.append(http)
        return Sage(http, business, tokens, policy=RetryPolicy(backoff=0.01, **policy),
                    sleep=sleeps.append, page_size=page_size)
    yield build
    for http in clients:
        http.close()


def by_name(records):
    return {r.name: r for r in records}


def contact_calls(emulator):
    return [r for r in emulator.requests() if r.startswith("/v3.1/contacts")]


def test_registered_as_the_sage_adapter():
    assert ADAPTERS["sage"] is Sage


def test_lists_customers_following_next_and_keeping_the_filters(make, sage_emulator):
    records = list(make(page_size=2).list_customers())
    assert sorted(r.name for r in records) == CUSTOMERS
    calls = contact_calls(sage_emulator)
    assert len(calls) == 3
    for call in calls:
        assert "contact_type_id=CUSTOMER" in call and "attributes=all" in call
        assert "nested_attributes=all" in call and "items_per_page=2" in call
    assert [c.split("page=")[1][0] for c in calls] == ["1", "2", "3"]


def test_system_vendor_and_deleted_contacts_are_left_out(make):
    names = {r.name for r in make().list_customers()}
    assert not names & {"HMRC Payments", "Office Supplies Co", "Gone Away Ltd"}


def test_several_pages_of_generated_customers(make, sage_emulator):
    sage_emulator.generate(450)
    records = list(make().list_customers())
    assert len(records) == 455
    assert len({r.external_id for r in records}) == 455
    assert len(contact_calls(sage_emulator)) == 3


def test_the_business_header_chooses_the_business(make, sage_emulator):
    assert [r.name for r in make(SECOND).list_customers()] == ["Other Business Client Ltd"]
    assert list(make(THIRD).list_customers()) == []
    record = next(iter(make(SECOND).list_customers()))
    assert record.tenant_id == SECOND


def test_a_business_the_user_cannot_reach_is_an_auth_error(make):
    with pytest.raises(ProviderAuthError, match="business"):
        list(make("f" * 32).list_customers())


def test_include_non_customers_lists_vendors_too(make):
    records = by_name(make().list_customers(include_non_customers=True))
    assert records["Office Supplies Co"].is_customer is False
    assert records["Acme Widgets Ltd"].is_customer is True
    assert "HMRC Payments" not in records


def test_maps_a_business_with_its_contact_person(make):
    acme = by_name(make().list_customers())["Acme Widgets Ltd"]
    assert acme.provider == "sage" and acme.external_id == contact_id(1)
    assert acme.tenant_id == LEAD and acme.kind == "business"
    assert acme.company_number == "01234567" and acme.vat_number == "GB123456782"
    assert acme.email == "accounts@acme.example" and acme.phone == "020 7946 0000"
    assert acme.address == Address(line1="1 High Street", town="London", postcode="EC1A 1BB",
                                   country="United Kingdom")
    assert acme.people == (ContactPerson("Jane", "Doe", None, "020 7946 0000"),)
    assert (acme.first_name, acme.last_name) == (None, None)
    assert acme.updated_at == datetime(2024, 1, 2, 9, 1, tzinfo=timezone.utc)
    assert acme.archived is False and acme.problems == ()


def test_maps_people_unicode_missing_emails_and_fallbacks(make):
    records = by_name(make().list_customers())
    person = records["Siobhán Ó Briain"]
    assert person.kind == "individual" and person.people == ()
    assert (person.first_name, person.last_name) == ("Siobhán", "Ó Briain")
    assert person.email is None and person.phone == "+353 87 123 4567"
    assert person.address.country == "Ireland"
    cafe = records["Zürich Café"]
    assert cafe.kind == "business"
    assert cafe.email == "hans@cafe.example"
    assert cafe.people == (ContactPerson("Hans", "Müller", "hans@cafe.example", None),)
    assert cafe.address == Address(line1="9 Market Row", town="Leeds", postcode="LS1 1AA",
                                   country="United Kingdom")
    tom = records["Tom Jones"]
    assert (tom.kind, tom.first_name, tom.last_name) == ("individual", "Tom", "Jones")
    assert tom.address == Address() and tom.phone is None
    assert records["Old Mill Bakery Ltd"].archived is True
    assert records["Old Mill Bakery Ltd"].kind == "business"


def test_since_asks_for_changes_and_deletions(make, sage_emulator):
    sage_emulator.update_contact(contact_id(8), email="tom@new.example")
    since = datetime.now(timezone.utc) - timedelta(minutes=1)
    records = list(make().list_customers(since=since))
    assert [(r.name, r.email) for r in records] == [("Tom Jones", "tom@new.example")]
    calls = contact_calls(sage_emulator)
    assert "updated_or_created_since=" in calls[0] and "deleted_since=" in calls[1]


def test_contacts_deleted_since_come_back_archived(make):
    records = list(make().list_customers(since=datetime(2025, 1, 1, tzinfo=timezone.utc)))
    gone = by_name(records)["Gone Away Ltd"]
    assert gone.archived is True and gone.external_id == contact_id(7)
    assert gone.problems == ("Deleted in Sage (2025-02-04).",)  # reported, never imported


def test_fetches_one_customer_with_its_address(make):
    record = make().fetch_customer(contact_id(1))
    assert record.name == "Acme Widgets Ltd" and record.address.postcode == "EC1A 1BB"
    assert make().fetch_customer(f"{LEAD}:{contact_id(2)}").name == "Siobhán Ó Briain"


def test_an_unknown_or_deleted_customer_is_not_found(make):
    with pytest.raises(ProviderNotFound):
        make().fetch_customer(contact_id(7))
    with pytest.raises(ProviderNotFound):
        make().fetch_customer("../businesses")


def test_lists_businesses_lead_first(sage_emulator, tokens):
    with httpx.Client(base_url=sage_emulator.api_url, timeout=5) as http:
        found = list_businesses(http, tokens.access_token())
    assert [b.id for b in found] == [LEAD, SECOND, THIRD]
    assert found[0].name == "Emulated Practice Ltd"
    assert businesses(sage_emulator.api_url, tokens.access_token()) == found


def test_listing_businesses_with_a_dead_token_is_an_auth_error(sage_emulator):
    with pytest.raises(ProviderAuthError):
        businesses(sage_emulator.api_url, "at-expired")


def test_an_expired_token_is_refreshed_once_and_the_old_refresh_token_dies(
        make, sage_emulator, tokens):
    spent = tokens.pair["refresh_token"]
    sage_emulator.expire_tokens()
    assert len(list(make().list_customers())) == 5
    assert tokens.refreshes == 1
    again = sage_emulator.token_request({"grant_type": "refresh_token", "refresh_token": spent})
    assert again == {"error": "invalid_grant"}


def test_a_second_401_after_refreshing_is_an_auth_error(make, sage_emulator, tokens):
    sage_emulator.fail_next("/v3.1/contacts", 401, times=2)
    with pytest.raises(ProviderAuthError, match="reconnect"):
        list(make().list_customers())
    assert tokens.refreshes == 1


def test_429_waits_for_retry_after_then_carries_on(make, sage_emulator, sleeps):
    sage_emulator.fail_next("/v3.1/contacts", 429, retry_after=4)
    assert len(list(make().list_customers())) == 5
    assert sleeps == [4]


def test_429_without_retry_after_backs_off_then_gives_up(make, sage_emulator, sleeps):
    sage_emulator.fail_next("/v3.1/contacts", 429, times=5, retry_after=None)
    with pytest.raises(RateLimited):
        list(make().list_customers())
    assert sleeps == [10, 20, 30]  # the documented default: 10 s doubling, capped at 30 s


def test_a_backoff_longer_than_max_wait_gives_up_first(make, sage_emulator, sleeps):
    sage_emulator.fail_next("/v3.1/contacts", 429, times=5, retry_after=None)
    with pytest.raises(RateLimited):
        list(make(max_wait=15).list_customers())
    assert sleeps == [10]


def test_5xx_is_retried_with_backoff(make, sage_emulator, sleeps):
    sage_emulator.fail_next("/v3.1/contacts", 502, times=3)
    assert len(list(make().list_customers())) == 5
    assert sleeps == [0.01, 0.02, 0.04]


def test_5xx_beyond_the_retries_is_unavailable(make, sage_emulator):
    sage_emulator.fail_next("/v3.1/contacts", 503, times=9)
    with pytest.raises(ProviderUnavailable, match="error 503"):
        list(make(retries=1).list_customers())


def test_a_body_that_is_not_json_is_a_bad_response(make, sage_emulator):
    sage_emulator.fail_next("/v3.1/contacts", "malformed")
    with pytest.raises(ProviderBadResponse):
        list(make().list_customers())


def test_malformed_records_are_reported_and_the_others_still_read(make, sage_emulator):
    sage_emulator.add_contacts([
        {"name": "No Id Ltd", "contact_types": [{"id": "CUSTOMER"}]},
        {"id": "abc123", "contact_types": [{"id": "CUSTOMER"}]},
        {"id": "def456", "name": "Odd Shapes", "contact_types": [{"id": "CUSTOMER"}],
         "main_address": "12", "main_contact_person": ["x"], "updated_at": "soon",
         "email": {"a": 1}},
    ])
    records = list(make().list_customers())
    assert len(records) == 8
    broken = [r for r in records if r.problems]
    assert {r.external_id for r in broken} == {"", "abc123"}
    odd = by_name(records)["Odd Shapes"]
    assert odd.problems == () and odd.address == Address() and odd.email is None
    assert odd.updated_at is None and odd.kind == "individual"


def test_the_token_endpoint_wants_credentials_in_the_body(sage_emulator):
    r = sage_emulator.http.post(sage_emulator.token_url, auth=("test-client", "test-secret"),
                                data={"grant_type": "refresh_token", "refresh_token": "x"})
    assert r.status_code == 401 and r.json() == {"error": "invalid_client"}
