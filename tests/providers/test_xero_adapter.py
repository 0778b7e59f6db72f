"""The Xero adapter against the Xero emulator: paging, filters, since, mapping and faults."""
from datetime import datetime, timezone

import httpx
import pytest

from cone.services.models import Address
from cone.services.providers.accounting import ADAPTERS
from cone.services.providers.base import (ProviderAuthError, ProviderBadResponse,
                                          ProviderNotFound, ProviderUnavailable, RateLimited)
from cone.services.providers.http import NEVER, RetryPolicy
from cone.services.providers.xero import Xero, parse_date, rate_hint
from tests.helpers import HandTokens

TENANT = "a3a1c9d4-0000-4000-8000-000000000001"
CONTACTS = "/api.xro/2.0/Contacts"


@pytest.fixture
def tokens(xero_emulator):
    return HandTokens(xero_emulator)


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def make(xero_emulator, tokens, sleeps):
    """An adapter on its own HTTP client under a policy; sleeps are recorded, not slept."""
    adapters = []

    def build(timeout=2.0, **policy):
        http = httpx.Client(base_url=xero_emulator.url, timeout=timeout)
        adapters.append(Xero(http, TENANT, tokens, policy=RetryPolicy(**policy),
                             sleep=sleeps.append))
        return adapters[-1]
    yield build
    for adapter in adapters:
        adapter.close()


@pytest.fixture
def xero(make):
    return make()


def by_name(customers):
    return {c.name: c for c in customers}


def contact_requests(emulator):
    return [r for r in emulator.requests() if r["path"] == CONTACTS]


def test_registered_under_its_key():
    assert ADAPTERS["xero"] is Xero


def test_customers_only_by_default_archived_included(xero, xero_emulator):
    found = by_name(xero.list_customers())
    assert set(found) == {"Acme Widgets Ltd", "Zoë Łukasiewicz-Ñúñez", "Brontë Bakery",
                          "Old Client Ltd", "Tom Jones"}
    assert found["Old Client Ltd"].archived and not found["Acme Widgets Ltd"].archived
    (request,) = contact_requests(xero_emulator)
    assert request["args"] == {"page": "1", "pageSize": "1000", "includeArchived": "true",
                               "where": "IsCustomer==true"}
    assert request["tenant"] == TENANT and request["accept"] == "application/json"
    assert request["if_modified_since"] is None


def test_all_contacts_on_request(xero, xero_emulator):
    found = by_name(xero.list_customers(include_non_customers=True))
    assert {"Prospect Partners LLP", "Supplier Co"} <= set(found)
    assert found["Prospect Partners LLP"].is_customer is False
    assert "where" not in contact_requests(xero_emulator)[0]["args"]


def test_pages_until_page_count(xero, xero_emulator):
    xero_emulator.generate(2100)
    customers = list(xero.list_customers(include_non_customers=True))
    assert len(customers) == 2107
    assert len({c.external_id for c in customers}) == 2107
    assert [r["args"]["page"] for r in contact_requests(xero_emulator)] == ["1", "2", "3"]


def test_maps_a_business(xero):
    acme = by_name(xero.list_customers())["Acme Widgets Ltd"]
    assert acme.provider == "xero" and acme.tenant_id == TENANT
    assert acme.external_id == "00000000-0000-0000-0000-000000000001"
    assert acme.kind == "business" and acme.email == "accounts@acme.example"
    assert acme.company_number == "01234567" and acme.vat_number == "GB123456789"
    assert acme.phone == "0113 496000"  # DEFAULT before MOBILE, empty country code dropped
    assert acme.address == Address("1 High Street", "Unit 4", "Leeds", "West Yorkshire",
                                   "LS1 1AA", "United Kingdom")  # POBOX before STREET
    assert [(p.first_name, p.last_name, p.email) for p in acme.people] == [
        ("Jane", "Smith", "accounts@acme.example"), ("Raj", "Patel", "raj@acme.example")]
    assert acme.updated_at == datetime.fromtimestamp(1_700_000_060, tz=timezone.utc)
    assert acme.raw["Name"] == "Acme Widgets Ltd" and acme.problems == ()


def test_maps_unicode_individuals_and_sparse_records(xero):
    found = by_name(xero.list_customers())
    zoe = found["Zoë Łukasiewicz-Ñúñez"]
    assert zoe.kind == "individual"
    assert (zoe.first_name, zoe.last_name) == ("Zoë", "Łukasiewicz-Ñúñez")
    assert zoe.email is None and zoe.phone == "07700 900456"
    assert not zoe.address and zoe.people == ()  # an address holding only its AddressType
    bronte = found["Brontë Bakery"]
    assert bronte.kind == "business" and bronte.email is None
    assert bronte.address == Address("3 Mill Lane", None, "Haworth", None, "BD22 8DR", None)
    assert found["Tom Jones"].kind == "individual"
    assert found["Old Client Ltd"].updated_at is not None  # /Date(ms)/ without an offset


def test_parse_date_forms():
    assert parse_date("/Date(1573755038314+0000)/") == datetime(
        2019, 11, 14, 18, 10, 38, 314000, tzinfo=timezone.utc)
    assert parse_date("/Date(1551399323399)/").year == 2019
    assert parse_date("2019-01-01") is None and parse_date(None) is None


def test_since_sends_if_modified_since(xero, xero_emulator):
    xero_emulator.add_contacts([{"ContactID": "00000000-0000-0000-0000-000000000003",
                                 "EmailAddress": "hello@bronte.example"}])
    since = datetime.fromtimestamp((1_700_000_000_000 + 10**9) / 1000, tz=timezone.utc)
    changed = list(xero.list_customers(since=since))
    assert [c.name for c in changed] == ["Brontë Bakery"]
    assert changed[0].email == "hello@bronte.example"
    assert contact_requests(xero_emulator)[0]["if_modified_since"] == since.strftime(
        "%Y-%m-%dT%H:%M:%S")


def test_fetch_one_and_not_found(xero):
    assert xero.fetch_customer("00000000-0000-0000-0000-000000000007").name == "Tom Jones"
    with pytest.raises(ProviderNotFound):
        xero.fetch_customer("00000000-0000-0000-0000-00000000ffff")


def test_expired_token_is_refreshed_once(xero, xero_emulator, tokens):
    xero_emulator.expire_tokens()
    assert len(list(xero.list_customers())) == 5
    assert tokens.refreshes == 1


class DeadTokens:
    """Refreshes "succeed" but the platform keeps refusing the token."""

    refreshes = 0

    def access_token(self):
        return "at-not-valid"

    def refresh(self):
        self.refreshes += 1
        return "at-still-not-valid"


def test_a_second_401_is_an_auth_error(xero_emulator):
    dead = DeadTokens()
    with Xero(httpx.Client(base_url=xero_emulator.url), TENANT, dead) as xero:
        with pytest.raises(ProviderAuthError, match="reconnect"):
            list(xero.list_customers())
    assert dead.refreshes == 1


def test_refused_refresh_is_an_auth_error(xero, xero_emulator):
    xero_emulator.expire_tokens()
    xero_emulator.oauth(refuse_refresh=True)
    with pytest.raises(ProviderAuthError):
        list(xero.list_customers())


def test_wrong_tenant_is_refused(xero_emulator, tokens):
    with Xero(httpx.Client(base_url=xero_emulator.url), "not-a-tenant", tokens) as xero:
        with pytest.raises(ProviderAuthError, match="organisation"):
            list(xero.list_customers())


def test_429_waits_out_a_short_retry_after(xero, xero_emulator, sleeps):
    xero_emulator.fail_next(CONTACTS, 429, retry_after=1)
    assert len(list(xero.list_customers())) == 5
    assert len(contact_requests(xero_emulator)) == 2 and sleeps == [1]


def test_429_beyond_the_wait_limit_is_rate_limited(make, xero_emulator, sleeps):
    xero_emulator.fail_next(CONTACTS, 429, retry_after=22)
    with pytest.raises(RateLimited) as caught:
        list(make(max_wait=20).list_customers())
    assert caught.value.retry_after == 22 and "22 seconds" in str(caught.value)
    assert sleeps == []


def test_day_limit_stops_at_once(xero, xero_emulator, sleeps):
    xero_emulator._post("/_control/fail", {"path": CONTACTS, "status": 429, "problem": "day",
                                           "retry_after": 1})
    with pytest.raises(RateLimited, match="try again later"):
        list(xero.list_customers())
    assert len(contact_requests(xero_emulator)) == 1 and sleeps == []


@pytest.mark.parametrize("headers, wait", [
    ({"X-Rate-Limit-Problem": "day", "Retry-After": "1"}, NEVER),
    ({"X-Rate-Limit-Problem": "minute", "Retry-After": "22"}, 22),
    ({"X-Rate-Limit-Problem": "concurrent"}, 1),
    ({"X-Rate-Limit-Problem": "minute"}, 60),
    ({"X-MinLimit-Remaining": "0"}, 60),
    ({}, None)])
def test_rate_hint_reads_the_limit_xero_names(headers, wait):
    assert rate_hint(httpx.Response(429, headers=headers)) == wait


def test_minute_limit_headers_are_read(make, xero_emulator):
    xero_emulator._post("/_control/rate-limit", {"minute": 2, "retry_after": 22})
    xero = make(max_wait=0)
    list(xero.list_customers())
    assert xero.limits["X-MinLimit-Remaining"] == "1"
    assert xero.limits["X-DayLimit-Remaining"] == "4999"
    list(xero.list_customers())
    with pytest.raises(RateLimited):
        list(xero.list_customers())


def test_5xx_is_retried_with_backoff(xero, xero_emulator, sleeps):
    xero_emulator.fail_next(CONTACTS, 503, times=2)
    assert len(list(xero.list_customers())) == 5
    assert sleeps == [0.5, 1]


def test_persistent_5xx_is_unavailable(xero, xero_emulator, sleeps):
    xero_emulator.fail_next(CONTACTS, 500, times=10)
    with pytest.raises(ProviderUnavailable, match=r"Xero is having problems \(error 500\)"):
        list(xero.list_customers())
    assert len(contact_requests(xero_emulator)) == 4  # one try and three retries
    assert sleeps == [0.5, 1, 2]


def test_timeouts_are_retried(make, xero_emulator, sleeps):
    xero = make(timeout=0.3)
    xero_emulator._post("/_control/fail", {"path": CONTACTS, "status": "timeout",
                                           "seconds": 1})
    assert len(list(xero.list_customers())) == 5
    assert sleeps == [0.5]


def test_malformed_page_is_a_bad_response(xero, xero_emulator):
    xero_emulator.fail_next(CONTACTS, "malformed")
    with pytest.raises(ProviderBadResponse):
        list(xero.list_customers())


def test_a_malformed_record_is_reported_not_fatal(xero, xero_emulator):
    xero_emulator.add_contacts([{"ContactID": "bad-1", "Name": "", "IsCustomer": True},
                                {"ContactID": "bad-2", "Name": "Odd Address Ltd",
                                 "IsCustomer": True, "Addresses": 5}])
    found = list(xero.list_customers())
    broken = [c for c in found if c.problems]
    assert len(found) == 7 and len(broken) == 2
    assert {c.external_id for c in broken} == {"bad-1", "bad-2"}
    assert "could not read" in broken[0].problems[0]


def test_emulator_answers_xml_without_the_accept_header(xero_emulator, tokens):
    r = httpx.get(xero_emulator.url + CONTACTS, headers={
        "Authorization": f"Bearer {tokens.access_token()}", "xero-tenant-id": TENANT})
    assert r.headers["content-type"].startswith("text/xml")
