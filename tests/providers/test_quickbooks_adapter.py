"""The QuickBooks adapter against its emulator: query paging, filters, since, mapping, faults."""
from datetime import datetime, timezone

import httpx
import pytest

from cone.services.models import Address
from cone.services.providers.accounting import ADAPTERS
from cone.services.providers.base import (ProviderAuthError, ProviderBadResponse,
                                          ProviderNotFound, ProviderUnavailable, RateLimited)
from cone.services.providers.http import RetryPolicy
from cone.services.providers.quickbooks import QuickBooks
from tests.helpers import HandTokens

REALM = "9130350000000001"
QUERY = f"/v3/company/{REALM}/query"


@pytest.fixture
def tokens(quickbooks_emulator):
    return HandTokens(quickbooks_emulator)


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def books(quickbooks_emulator, tokens, sleeps):
    """The adapter under the default policy; its sleeps are recorded, not slept."""
    adapter = QuickBooks(httpx.Client(base_url=quickbooks_emulator.url, timeout=2), REALM,
                         tokens, policy=RetryPolicy(), sleep=sleeps.append)
    yield adapter
    adapter.close()


def by_name(customers):
    return {c.name: c for c in customers}


def queries(emulator):
    return [r["args"] for r in emulator.requests() if r["path"] == QUERY]


def test_registered_under_its_key():
    assert ADAPTERS["quickbooks"] is QuickBooks


def test_lists_active_and_inactive_customers_without_jobs(books, quickbooks_emulator):
    found = by_name(books.list_customers())
    assert set(found) == {"Amy's Bird Sanctuary", "Søren Ødegård", "Cool Cars",
                          "United States Treasury", "Diego Rodriguez"}
    assert found["United States Treasury"].archived  # " (deleted)" stripped from the name
    assert not found["Cool Cars"].archived
    (args,) = queries(quickbooks_emulator)
    assert args["minorversion"] == "75"
    assert args["query"] == ("select * from Customer where Active IN (true, false) orderby Id "
                             "STARTPOSITION 1 MAXRESULTS 1000")


def test_sub_customers_on_request(books):
    found = by_name(books.list_customers(include_non_customers=True))
    assert found["Cool Cars:Paint job"].is_customer is False


def test_pages_until_a_short_page(books, quickbooks_emulator):
    quickbooks_emulator.generate(2000)
    customers = list(books.list_customers())
    assert len({c.external_id for c in customers}) == len(customers) >= 2000
    starts = [a["query"].split("STARTPOSITION ")[1].split()[0] for a in queries(
        quickbooks_emulator)]
    assert starts == ["1", "1001", "2001"]


def test_a_full_last_page_ends_with_an_empty_one(quickbooks_emulator, tokens):
    books = QuickBooks(httpx.Client(base_url=quickbooks_emulator.url, timeout=2), REALM, tokens,
                       page_size=3)
    assert len(list(books.list_customers())) == 5  # six rows, one of them a job
    assert len(queries(quickbooks_emulator)) == 3  # 3 + 3 + an empty answer
    quickbooks_emulator._post("/_control/customers", [{"DisplayName": "Seventh Ltd",
                                                      "CompanyName": "Seventh Ltd"}])
    assert len(list(books.list_customers())) == 6
    assert len(queries(quickbooks_emulator)) == 6  # 3 + 3 + 1
    books.close()


def test_maps_a_business(books):
    amy = by_name(books.list_customers())["Amy's Bird Sanctuary"]
    assert (amy.provider, amy.tenant_id, amy.external_id) == ("quickbooks", REALM, f"{REALM}:1")
    assert amy.kind == "business" and amy.email == "birds@intuit.example"
    assert amy.phone == "(650) 555-3311" and amy.company_number is None
    assert amy.vat_number is None  # QuickBooks masks tax ids on read
    assert amy.address == Address("4581 Finch St.", None, "Bayshore", "CA", "94326", "USA")
    assert [(p.first_name, p.last_name) for p in amy.people] == [("Amy", "Lauterbach")]
    assert amy.updated_at == datetime(2025, 1, 1, 1, tzinfo=timezone.utc)
    assert amy.raw["Id"] == "1"


def test_maps_individuals_unicode_and_sparse_records(books):
    found = by_name(books.list_customers())
    soren = found["Søren Ødegård"]
    assert soren.kind == "individual" and soren.people == ()
    assert (soren.first_name, soren.last_name) == ("Søren", "Ødegård")
    assert soren.email is None and soren.phone == "07700 900789"  # Mobile when no PrimaryPhone
    assert soren.address.country == "United Kingdom" and soren.address.postcode == "BA1 1AA"
    assert soren.updated_at == datetime(2025, 1, 1, 2, tzinfo=timezone.utc)  # from -08:00
    assert found["Cool Cars"].email == "cool@cars.example"  # first of several
    assert found["Cool Cars"].address == Address()
    diego = found["Diego Rodriguez"]
    assert diego.address.line1 == "321 Channing"  # ShipAddr when there is no BillAddr


def test_since_adds_a_last_updated_condition(books, quickbooks_emulator):
    quickbooks_emulator._post("/_control/customers", [{"Id": "3", "DisplayName": "Cool Cars",
                                                      "CompanyName": "Cool Cars Ltd"}])
    since = datetime(2025, 12, 31, tzinfo=timezone.utc)
    changed = list(books.list_customers(since=since))
    assert [c.external_id for c in changed] == [f"{REALM}:3"]
    assert "MetaData.LastUpdatedTime > '2025-12-31T00:00:00+00:00'" in queries(
        quickbooks_emulator)[0]["query"]


def test_fetch_one_and_not_found(books):
    assert books.fetch_customer(f"{REALM}:6").name == "Diego Rodriguez"
    with pytest.raises(ProviderNotFound):
        books.fetch_customer(f"{REALM}:999")
    with pytest.raises(ProviderNotFound):
        books.fetch_customer("nonsense")


def test_expired_token_is_refreshed_once(books, quickbooks_emulator, tokens):
    quickbooks_emulator.expire_tokens()
    assert len(list(books.list_customers())) == 5
    assert tokens.refreshes == 1


def test_refused_refresh_is_an_auth_error(books, quickbooks_emulator):
    quickbooks_emulator.expire_tokens()
    quickbooks_emulator.oauth(refuse_refresh=True)
    with pytest.raises(ProviderAuthError):
        list(books.list_customers())


def test_other_company_is_refused(quickbooks_emulator, tokens):
    with QuickBooks(httpx.Client(base_url=quickbooks_emulator.url), "123", tokens) as books:
        with pytest.raises(ProviderAuthError, match="company"):
            list(books.list_customers())


def test_429_without_retry_after_backs_off_by_the_default(books, quickbooks_emulator, sleeps):
    quickbooks_emulator.fail_next(QUERY, 429, times=2)
    assert len(list(books.list_customers())) == 5
    assert len(queries(quickbooks_emulator)) == 3
    assert sleeps == [10, 20]


def test_429_that_persists_is_rate_limited(books, quickbooks_emulator, sleeps):
    quickbooks_emulator._post("/_control/rate-limit", {"minute": 0})
    with pytest.raises(RateLimited, match="QuickBooks is limiting requests"):
        list(books.list_customers())
    assert sleeps == [10, 20, 30]  # a minute in all, QuickBooks' window


def test_5xx_retry_then_unavailable(books, quickbooks_emulator, sleeps):
    quickbooks_emulator.fail_next(QUERY, 502, times=1)
    assert len(list(books.list_customers())) == 5
    assert sleeps == [0.5]
    quickbooks_emulator.fail_next(QUERY, 503, times=10)
    with pytest.raises(ProviderUnavailable):
        list(books.list_customers())
    assert sleeps == [0.5, 0.5, 1, 2]


def test_fault_and_malformed_bodies(books, quickbooks_emulator):
    quickbooks_emulator.fail_next(QUERY, "malformed")
    with pytest.raises(ProviderBadResponse):
        list(books.list_customers())
    with pytest.raises(ProviderBadResponse, match="QueryParserError"):
        books._get("/query", {"query": "select nonsense"})


def test_a_malformed_record_is_reported_not_fatal(books, quickbooks_emulator):
    quickbooks_emulator._post("/_control/customers", [
        {"DisplayName": "", "Active": True},
        {"DisplayName": "Odd Ltd", "PrimaryEmailAddr": "not an object"}])
    found = list(books.list_customers())
    broken = [c for c in found if c.problems]
    assert len(found) == 7 and len(broken) == 2
    assert all(c.external_id.startswith(f"{REALM}:") for c in broken)


def test_emulator_rejects_old_minor_versions(quickbooks_emulator, tokens):
    r = httpx.get(quickbooks_emulator.url + QUERY, params={
        "query": "select * from Customer", "minorversion": "65"},
        headers={"Authorization": f"Bearer {tokens.access_token()}"})
    assert r.status_code == 400 and r.json()["Fault"]["type"] == "ValidationFault"


def test_emulator_counts_and_escapes(quickbooks_emulator, tokens):
    headers = {"Authorization": f"Bearer {tokens.access_token()}"}
    count = httpx.get(quickbooks_emulator.url + QUERY, headers=headers,
                      params={"query": "select count(*) from Customer"}).json()
    assert count["QueryResponse"] == {"totalCount": 5}  # active only, jobs included
    amy = httpx.get(quickbooks_emulator.url + QUERY, headers=headers, params={
        "query": r"select * from Customer where DisplayName = 'Amy\'s Bird Sanctuary'"}).json()
    assert amy["QueryResponse"]["maxResults"] == 1
