"""The recorded-shape records served by each platform's emulator (opt-in: POST /_control/messy,
or create_emulator(messy=True)), read back through the real adapters: paging, filters and
nested attributes as the emulators apply them, and a reset leaving the standard samples alone."""
from collections import Counter

import httpx
import pytest

from cone.services.providers.freeagent import FreeAgent
from cone.services.providers.quickbooks import QuickBooks
from cone.services.providers.sage import Sage
from cone.services.providers.xero import Xero
from tests.data import platforms
from tests.emulators import freeagent, quickbooks, sage, xero
from tests.emulators.sage import LEAD
from tests.emulators.xero_data import TENANTS
from tests.helpers import HandTokens

REALM = "9130350000000001"
BUILD = {"xero": (Xero, TENANTS[0]["tenantId"]), "quickbooks": (QuickBooks, REALM),
         "freeagent": (FreeAgent, ""), "sage": (Sage, LEAD)}


# The names each adapter gives the recorded records (trimmed, " (deleted)" dropped)
platform_names = {
    "xero": ["Doe, Jane", "O'Brien & Sons Ltd", "ŁÓDŹ TRADING", "Café Ñandú 🌮",
             "Harbour Lights Ltd", "Harbour Lights Ltd", "Amy O’Brien", "Jo Bloggs Plumbing"],
    "quickbooks": ["Dr María José García-López PhD", "Doe Plumbing LLC", "Jane Smith Services",
                   "Doe, Jane", "O’Brien & Daughters", "Zoë's Café ☕", "Parent Co",
                   "Kitchen refit", "GREENWOOD HOLDINGS", "Ahmed Khan", "Khan, Ahmed",
                   "Mr & Mrs Patel", "Émile Zola Jr."],
    "freeagent": ["Smith, Jones & Co", "Jane Doe", "MÜLLER GMBH", "Seán O'Brien", "Priya Shah",
                  "Priya Shah", "Bloom 🌸 Florist"],
    "sage": ["Doe, Jane", "Mr John Smith", "McDonald & Sons", "ÉCOLE ÉTOILE 🌟", "Kelly's Café",
             "Kelly's Café", "Siân O’Connor-Jones"],
}


def adapter(emulator, key: str):
    cls, tenant = BUILD[key]
    return cls(httpx.Client(base_url=emulator.api_url, timeout=5), tenant, HandTokens(emulator),
               sleep=lambda _: None, page_size=3)  # small pages: the records span several


def names(emulator, key: str, **options) -> list[str]:
    with adapter(emulator, key) as platform:
        return [c.name for c in platform.list_customers(**options)]


@pytest.fixture(params=list(BUILD))
def messy(request):
    """(platform key, its emulator) with the recorded-shape records added."""
    emulator = request.getfixturevalue(f"{request.param}_emulator")
    before = names(emulator, request.param, include_non_customers=True)
    emulator.http.post("/_control/messy").raise_for_status()
    emulator.http.post("/_control/messy").raise_for_status()  # once only, however often asked
    return request.param, emulator, before


def test_the_emulator_serves_every_recorded_record_once(messy):
    key, emulator, before = messy
    found = Counter(names(emulator, key, include_non_customers=True))
    assert found - Counter(before) == Counter(
        platform_names[key]), "the standard samples stay, the recorded ones come once each"


def test_a_reset_leaves_only_the_standard_samples(messy):
    key, emulator, before = messy
    emulator.reset()
    assert sorted(names(emulator, key, include_non_customers=True)) == sorted(before)


def test_quickbooks_jobs_only_with_non_customers(quickbooks_emulator):
    quickbooks_emulator.http.post("/_control/messy").raise_for_status()
    with adapter(quickbooks_emulator, "quickbooks") as books:
        jobs = {c.name: c for c in books.list_customers(include_non_customers=True)
                if c.parent_external_id}
        customers = {c.name for c in books.list_customers()}
    assert jobs["Kitchen refit"].parent_external_id == f"{REALM}:58"
    assert jobs["Kitchen refit"].parent_name == "Parent Co"
    assert jobs["Cool Cars:Paint job"].parent_external_id == f"{REALM}:3"
    assert jobs["Cool Cars:Paint job"].parent_name == "Cool Cars"  # from the qualified name
    assert not set(jobs) & customers and "Parent Co" in customers


def test_sage_reads_the_recorded_addresses_through_nested_attributes(sage_emulator):
    sage_emulator.http.post("/_control/messy").raise_for_status()
    with adapter(sage_emulator, "sage") as books:
        found = {c.name: c for c in books.list_customers()}
    assert found["McDonald & Sons"].address.town == "Edinburgh"
    assert found["Doe, Jane"].address.country == "United States"


@pytest.mark.parametrize("module, make", [
    (xero, lambda: xero.create_emulator(messy=True)),
    (quickbooks, lambda: quickbooks.create_emulator(messy=True)),
    (freeagent, lambda: freeagent.create_emulator(messy=True)),
    (sage, lambda: sage.create_emulator(messy=True)),
])
def test_an_emulator_can_start_with_the_recorded_records(module, make):
    state = make().config["STATE"]
    held = {xero: lambda s: sum(s.contacts.values(), []),
            quickbooks: lambda s: s.customers,
            freeagent: lambda s: [c["body"] for c in s.contacts],
            sage: lambda s: s["contacts"][LEAD]}[module](state)
    key = module.__name__.rsplit(".", 1)[-1]
    assert all(record in held for record in platforms.records(key))
