"""Customer records as the platforms really send them, through each adapter that can send them.

The payloads are recorded-shape pages in tests/data/platforms/ (one list answer per platform),
served over httpx.MockTransport so each adapter pages, maps and yields them as in production.
Every shape asserts the ExternalCustomer fields exactly: names as the ledger shows them, every
name part kept, several e-mails in one field, foreign and empty addresses, jobs, the same
customer twice, and values Cone would refuse coming through as sent.
"""
import httpx
import pytest

from cone.services.imports.csv_file import guess_mapping, read_csv, to_customers
from cone.services.models import Address
from cone.services.providers.accounting import (ContactPerson, first_and_others,
                                                is_business_name, person_parts, split_emails)
from cone.services.providers.freeagent import FreeAgent
from cone.services.providers.quickbooks import QuickBooks
from cone.services.providers.sage import Sage
from cone.services.providers.xero import Xero
from tests.data import platforms

REALM = "9130350000000001"
XERO_TENANT = "a3a1c9d4-0000-4000-8000-000000000001"
SAGE_BUSINESS = "f0e1d2c3b4a5968778695a4b3c2d1e0f"
ADAPTERS = {"xero": (Xero, XERO_TENANT), "quickbooks": (QuickBooks, REALM),
            "freeagent": (FreeAgent, ""), "sage": (Sage, SAGE_BUSINESS)}
LIST_PATHS = {"xero": "/api.xro/2.0/Contacts", "quickbooks": f"/v3/company/{REALM}/query",
              "freeagent": "/contacts", "sage": "/contacts"}


class Token:
    """A token source that never needs refreshing (MockTransport answers every request)."""

    def access_token(self) -> str:
        return "recorded-token"

    def refresh(self) -> str:
        return "recorded-token"


def served(platform: str, *, include_non_customers: bool = True) -> dict:
    """{external_id: ExternalCustomer} from the platform's recorded page, through its adapter."""
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == LIST_PATHS[platform]
        assert request.headers["Authorization"] == "Bearer recorded-token"
        return httpx.Response(200, json=platforms.page(platform))
    cls, tenant = ADAPTERS[platform]
    http = httpx.Client(base_url="https://platform.example", transport=httpx.MockTransport(answer))
    with cls(http, tenant, Token(), sleep=lambda _: None) as adapter:
        found = list(adapter.list_customers(include_non_customers=include_non_customers))
    by_id = {c.external_id: c for c in found}
    assert len(by_id) == len(found) and all(not c.problems for c in found)
    return by_id


@pytest.fixture(scope="module")
def records():
    """Every platform's recorded page, mapped once: {platform: {external_id: customer}}."""
    return {platform: served(platform) for platform in ADAPTERS}


def qb(ident: str) -> str:
    return f"{REALM}:{ident}"


XERO = {"doe": "9b2e61c4-3f0a-4d57-8e1b-5c6a7d8e9f01",
        "obrien": "1c0f7a3e-2b9d-4c8e-a6f5-7d1e2c3b4a05",
        "lodz": "e4d3c2b1-a098-4765-b432-10fedcba9876",
        "nandu": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "harbour": "7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2910",
        "harbour2": "7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2911",
        "amy": "3e2d1c0b-9a8f-4e7d-b6c5-a4b3c2d1e0f9", "jo": "b7a6c5d4-e3f2-4a1b-9c8d-7e6f5a4b3c2d"}
SAGE = {"doe": "5d1e8f2a9c3b4e6f8a7d0c1b2e3f4a51", "smith": "6e2f9a3b0d4c5f708b8e1d2c3f4a5b62",
        "mcdonald": "7f3a0b4c1e5d6a819c9f2e3d4a5b6c73", "ecole": "804b1c5d2f6e7b920a0a3f4e5b6c7d84",
        "kelly": "915c2d6e3a7f8ca31b1b4a5f6c7d8e95", "kelly2": "a26d3e7f4b809db42c2c5b6a7d8e9fa6",
        "sian": "b37e4f8a5c91aec53d3d6c7b8e9fab07"}


# -- 1. The client's name is the name in the ledger; an individual keeps every part ----------

@pytest.mark.parametrize("platform, ident, name, kind, parts", [
    # parts: (title, first, middle, last, suffix)
    ("quickbooks", qb("50"), "Dr María José García-López PhD", "individual",
     ("Dr", "María", "José", "García-López", "PhD")),
    ("quickbooks", qb("53"), "Doe, Jane", "individual", (None, "Jane", None, "Doe", None)),
    ("quickbooks", qb("63"), "Mr & Mrs Patel", "individual", ("Mr", "Raj", None, "Patel", None)),
    ("quickbooks", qb("64"), "Émile Zola Jr.", "individual", (None, "Émile", None, "Zola", "Jr.")),
    ("xero", XERO["doe"], "Doe, Jane", "individual", (None, "Jane", None, "Doe", None)),
    ("xero", XERO["amy"], "Amy O’Brien", "individual", (None, "Amy", None, "O’Brien", None)),
    ("freeagent", "702", "Jane Doe", "individual", (None, "Jane", None, "Doe", None)),
    ("freeagent", "704", "Seán O'Brien", "individual", (None, "Seán", None, "O'Brien", None)),
    ("sage", SAGE["doe"], "Doe, Jane", "individual", (None, "Jane", None, "Doe", None)),
    ("sage", SAGE["smith"], "Mr John Smith", "individual", ("Mr", "John", None, "Smith", None)),
    ("sage", SAGE["sian"], "Siân O’Connor-Jones", "individual",
     (None, "Siân", None, "O’Connor-Jones", None)),
])
def test_an_individual_keeps_the_ledger_name_and_every_name_part(records, platform, ident, name,
                                                                  kind, parts):
    c = records[platform][ident]
    assert (c.name, c.kind) == (name, kind)
    assert (c.title, c.first_name, c.middle_name, c.last_name, c.suffix) == parts
    assert c.people == ()


def test_a_deleted_quickbooks_name_loses_only_its_marker(records):
    zola = records["quickbooks"][qb("64")]
    assert zola.name == "Émile Zola Jr." and zola.archived is True


# -- 2. Business or individual --------------------------------------------------------------

@pytest.mark.parametrize("platform, ident, name, person", [
    # a person's names but a business name, no company name: the person is its contact
    ("quickbooks", qb("51"), "Doe Plumbing LLC",
     ContactPerson("John", "Doe", "john@doeplumbing.example", "07700 900 311")),
    ("quickbooks", qb("52"), "Jane Smith Services",
     ContactPerson("Jane", "Smith", "jane@smithservices.example", "0207 ABC 1234")),
    ("quickbooks", qb("54"), "O’Brien & Daughters",
     ContactPerson("Siobhán", "O’Brien", "siobhan@obrien.example", None)),
    ("xero", XERO["jo"], "Jo Bloggs Plumbing",
     ContactPerson("Jo", "Bloggs", "jo@bloggsplumbing.example", None)),
    ("freeagent", "701", "Smith, Jones & Co",
     ContactPerson("Hannah", "Jones", "hannah@smithjones.example", "+49 30 1234567")),
    ("sage", SAGE["mcdonald"], "McDonald & Sons",
     ContactPerson("Angus", "McDonald", "angus@mcdonaldsons.example", "0207 ABC 1234")),
    ("sage", SAGE["ecole"], "ÉCOLE ÉTOILE 🌟",
     ContactPerson("Élodie", "Martin", "elodie@ecole.example", "call Jane")),
])
def test_a_business_name_makes_a_business_and_the_person_its_contact(records, platform, ident,
                                                                      name, person):
    c = records[platform][ident]
    assert (c.name, c.kind, c.people) == (name, "business", (person,))


def test_quickbooks_business_keeps_the_person_s_parts_for_a_change_of_kind(records):
    plumber = records["quickbooks"][qb("51")]
    assert (plumber.first_name, plumber.last_name) == ("John", "Doe")


@pytest.mark.parametrize("platform, ident", [
    ("quickbooks", qb("55")), ("quickbooks", qb("58")), ("quickbooks", qb("60")),
    ("xero", XERO["obrien"]), ("xero", XERO["lodz"]), ("xero", XERO["nandu"]),
    ("freeagent", "703"), ("freeagent", "707"), ("sage", SAGE["kelly"]), ("sage", SAGE["kelly2"]),
])
def test_organisations_without_a_person_are_businesses(records, platform, ident):
    c = records[platform][ident]
    assert c.kind == "business" and (c.title, c.middle_name, c.suffix) == (None, None, None)


@pytest.mark.parametrize("name, parts, business", [
    ("Smith & Co", (), True), ("Jones and Sons", (), True),
    ("Doe Plumbing LLC", ("John", "Doe"), True),
    ("Acme Widgets Ltd", (), True), ("Harbour Lights Limited", (), True), ("Bell LLP", (), True),
    ("Bob Smith T/A Smith Plumbing", ("Bob", "Smith"), True),
    ("Rodriguez Consulting", ("Diego", "Rodriguez"), True),
    ("Diego Rodriguez", ("Diego", "Rodriguez"), False), ("Doe, Jane", ("Jane", "Doe"), False),
    ("DR J. DOE", ("Jane", "Doe"), False), ("Mr & Mrs Patel", ("Raj", "Patel"), False),
    ("Amy O’Brien", ("Amy", "O’Brien"), False), ("Jean-Luc Picard", ("Jean-Luc", "Picard"), False),
    ("Siobhán Ó Briain", (), False), ("Tom Jones", (), False),
])
def test_the_business_name_test(name, parts, business):
    assert is_business_name(name, *parts) is business


@pytest.mark.parametrize("name, parts", [
    ("Mr John Smith", ("Mr", "John", "Smith")), ("Doe, Jane", (None, "Jane", "Doe")),
    ("Siobhán Ó Briain", (None, "Siobhán", "Ó Briain")), ("Cher", (None, None, "Cher")),
    ("  Dr.  Ann   Lee Ray ", ("Dr.", "Ann", "Lee Ray")), ("", (None, None, None)),
])
def test_a_one_field_name_is_split_family_name_first_after_a_comma(name, parts):
    assert person_parts(name) == parts


# -- 3. Several e-mails in one field ---------------------------------------------------------

@pytest.mark.parametrize("platform, ident, email, others", [
    ("quickbooks", qb("50"), "maria@garcia-lopez.example", ("mj.garcia@correo.example",)),
    ("quickbooks", qb("53"), "jane.doe@example.com", ("jane@doe-family.example",)),
    ("quickbooks", qb("54"), "siobhan@obrien.example", ("accounts@obrien.example",)),
    ("quickbooks", qb("52"), "jane@smithservices.example", ()),
    ("quickbooks", qb("60"), "FINANCE@GREENWOOD.EXAMPLE", ("accounts@greenwood.example",)),
    ("xero", XERO["doe"], "jane.doe@example.com", ("jane@doe-family.example",)),
    ("xero", XERO["amy"], "amy@obrien.example", ("amy.obrien@work.example",)),
    ("xero", XERO["nandu"], "hola@nandu.example", ()),
    # no e-mail of its own: the person Xero e-mails invoices to, her second address kept
    ("xero", XERO["obrien"], "mary@obrien-sons.example", ("accounts@obrien-sons.example",)),
    ("freeagent", "701", "hannah@smithjones.example",
     ("info@smithjones.example", "billing@smithjones.example")),
    ("freeagent", "702", "jane@doe.example", ()),
    ("freeagent", "704", "sean@obrien.example", ("sean.obrien@work.example",)),
    ("freeagent", "707", "orders@bloom.example", ("accounts@bloom.example",)),
    ("sage", SAGE["doe"], "jane.doe@example.com", ("jane@doe-family.example",)),
    ("sage", SAGE["mcdonald"], "accounts@mcdonaldsons.example", ("boss@mcdonaldsons.example",)),
    ("sage", SAGE["sian"], "sian@oconnor.example", ("sian.personal@correo.example",)),
])
def test_the_first_address_is_the_email_and_the_rest_other_emails(records, platform, ident,
                                                                   email, others):
    c = records[platform][ident]
    assert (c.email, c.other_emails) == (email, others)


def test_a_xero_contact_person_keeps_one_address_each(records):
    people = records["xero"][XERO["obrien"]].people
    assert people == (ContactPerson("Mary", "O'Brien", "mary@obrien-sons.example", None),
                      ContactPerson("Pádraig", "Ó Súilleabháin", "padraig@obrien-sons.example",
                                    None))


@pytest.mark.parametrize("value, found", [
    ("a@x.com, b@y.com", ("a@x.com", "b@y.com")),
    ("a@x.com; b@y.com", ("a@x.com", "b@y.com")),
    ("a@x.com b@y.com", ("a@x.com", "b@y.com")),
    ("  a@x.com ;; b@y.com ,", ("a@x.com", "b@y.com")),
    ("Jane <jane@x.com>", ("jane@x.com",)),
    ('"Doe, Jane" <jane@x.com>, Bob <bob@y.com>', ("jane@x.com", "bob@y.com")),
    ("jane@x.com (accounts)", ("jane@x.com",)),
    ("a@x.com, A@X.COM", ("a@x.com",)),
    ("a@x, not-an-email@", ("a@x", "not-an-email@")),  # not validated here
    ("call Jane", ("call Jane",)),                    # kept for the cleaning to refuse
    ("", ()), (None, ()), ("   ", ()),
])
def test_split_emails(value, found):
    assert split_emails(value) == found


def test_first_and_others_across_fields():
    assert first_and_others(None, "a@x.com; b@y.com", "B@y.com, c@z.com") == (
        "a@x.com", ("b@y.com", "c@z.com"))
    assert first_and_others(None, "") == (None, ())


# -- 4. Addresses: outside the UK, empty blocks, a country alone ------------------------------

@pytest.mark.parametrize("platform, ident, address", [
    ("quickbooks", qb("50"), Address("1600 Mission Street", "Suite 4B", "San Francisco", "CA",
                                     "94103-2414", "USA")),
    ("quickbooks", qb("53"), Address(None, None, "Toronto", "ON", "M5V 2T6", "Canada")),
    ("quickbooks", qb("51"), Address("14 Canal Wharf", None, "Leeds", None, "LS11 5PS",
                                     "United Kingdom")),
    ("quickbooks", qb("54"), Address(country="Ireland")),   # empty BillAddr, ShipAddr a country
    ("quickbooks", qb("60"), Address(country="USA")),
    ("quickbooks", qb("63"), Address()),                    # only Lat/Long "INVALID"
    ("quickbooks", qb("55"), Address("Zoë's Café ☕",
                                     "Attn: Zoë, 3 Mill Lane, Haworth, West Yorkshire BD22 8DR")),
    ("quickbooks", qb("58"), Address("8 Quay Street", None, "Bristol", None, "BS1 4DJ",
                                     "United Kingdom")),
    # an empty POBOX gives way to the STREET address
    ("xero", XERO["doe"], Address("350 Fifth Avenue", "Floor 21", "New York", "NY", "10118",
                                  "USA")),
    ("xero", XERO["obrien"], Address("Unit 7, Riverside Estate", "Dock Road, Ringsend",
                                     "Dublin", None, "D04 Y8V6", "Ireland")),
    ("xero", XERO["lodz"], Address(country="Poland")),
    ("xero", XERO["nandu"], Address()),                     # both types sent with no lines
    ("xero", XERO["jo"], Address()),
    ("xero", XERO["amy"], Address("12 Rue de Rivoli", None, "Paris", None, "75004", "France")),
    ("freeagent", "701", Address("Friedrichstraße 123", "Hinterhaus", "Berlin", None, "10117",
                                 "Germany")),
    ("freeagent", "703", Address("1 Market Street", "Suite 300", "San Francisco", "CA", "94105",
                                 "United States")),
    ("freeagent", "702", Address(country="United States")),
    ("freeagent", "707", Address()),
    ("sage", SAGE["doe"], Address("9 Beverly Drive", None, "Beverly Hills", "California",
                                  "90210", "United States")),
    ("sage", SAGE["smith"], Address(country="France")),
    # main_address a bare reference: the delivery address instead
    ("sage", SAGE["mcdonald"], Address("12 Rose Street", None, "Edinburgh", None, "EH2 2PR",
                                       "United Kingdom")),
    ("sage", SAGE["sian"], Address("Calle Mayor 1", "3º izquierda", "Madrid", None, "28013",
                                   "Spain")),
    ("sage", SAGE["ecole"], Address()),
])
def test_addresses_are_kept_as_sent_with_their_country(records, platform, ident, address):
    assert records[platform][ident].address == address


# -- 5. Sub-customers (QuickBooks jobs) -------------------------------------------------------

def test_a_job_names_its_parent_and_is_no_customer(records):
    job = records["quickbooks"][qb("59")]
    assert (job.name, job.is_customer, job.parent_external_id, job.parent_name) == (
        "Kitchen refit", False, qb("58"), "Parent Co")
    parent = records["quickbooks"][qb("58")]
    assert (parent.is_customer, parent.parent_external_id, parent.parent_name) == (
        True, None, None)


def test_jobs_come_only_with_non_customers():
    assert qb("59") not in served("quickbooks", include_non_customers=False)
    assert qb("58") in served("quickbooks", include_non_customers=False)


# -- 6. Names kept exactly (trimmed); the same customer twice ---------------------------------

@pytest.mark.parametrize("platform, ident, name", [
    ("quickbooks", qb("54"), "O’Brien & Daughters"),    # sent with spaces around it
    ("quickbooks", qb("55"), "Zoë's Café ☕"),
    ("quickbooks", qb("60"), "GREENWOOD HOLDINGS"),
    ("xero", XERO["lodz"], "ŁÓDŹ TRADING"),
    ("xero", XERO["nandu"], "Café Ñandú 🌮"),
    ("xero", XERO["obrien"], "O'Brien & Sons Ltd"),
    ("freeagent", "703", "MÜLLER GMBH"),
    ("freeagent", "707", "Bloom 🌸 Florist"),
    ("sage", SAGE["ecole"], "ÉCOLE ÉTOILE 🌟"),
    ("sage", SAGE["kelly"], "Kelly's Café"),
])
def test_names_are_kept_exactly(records, platform, ident, name):
    assert records[platform][ident].name == name


@pytest.mark.parametrize("platform, first, second", [
    ("quickbooks", qb("61"), qb("62")), ("xero", XERO["harbour"], XERO["harbour2"]),
    ("freeagent", "705", "706"), ("sage", SAGE["kelly"], SAGE["kelly2"]),
])
def test_the_same_customer_twice_comes_through_twice(records, platform, first, second):
    one, two = records[platform][first], records[platform][second]
    assert one.external_id != two.external_id
    assert one.email == two.email and one.email


def test_the_same_person_under_two_display_names(records):
    khan = [records["quickbooks"][qb(n)] for n in ("61", "62")]
    assert [(c.name, c.kind, c.first_name, c.last_name) for c in khan] == [
        ("Ahmed Khan", "individual", "Ahmed", "Khan"), ("Khan, Ahmed", "individual", "Ahmed",
                                                         "Khan")]


# -- 7. Values Cone would refuse come through as sent ----------------------------------------

@pytest.mark.parametrize("platform, ident, company_number, vat_number, phone", [
    ("xero", XERO["obrien"], "12345", "DE123456789", "0207 ABC 1234"),
    ("xero", XERO["lodz"], "SC12345X", "GB123456789", None),
    ("xero", XERO["nandu"], "1234567890", None, "call Jane"),   # a UTR in the number's box
    ("quickbooks", qb("52"), None, None, "0207 ABC 1234"),
    ("quickbooks", qb("55"), None, None, "call Jane"),          # masked tax id: not a number
    ("freeagent", "701", None, "DE123456789", "+49 30 1234567"),
    ("freeagent", "703", None, "GB123456789", None),
    ("freeagent", "702", None, None, "call Jane"),
    ("freeagent", "704", None, None, "0207 ABC 1234"),
    ("sage", SAGE["mcdonald"], "SC12345X", "DE123456789", "0207 ABC 1234"),
    ("sage", SAGE["ecole"], "1234567890", None, "call Jane"),
    ("sage", SAGE["kelly"], "12345", "GB123456789", None),
])
def test_invalid_values_come_through_raw(records, platform, ident, company_number, vat_number,
                                         phone):
    c = records[platform][ident]
    assert (c.company_number, c.vat_number, c.phone) == (company_number, vat_number, phone)


def test_an_email_field_without_an_address_comes_through_raw(records):
    ecole = records["sage"][SAGE["ecole"]]
    assert (ecole.email, ecole.other_emails) == ("call Jane", ())


# -- The recorded page is the whole page, and the raw record is kept --------------------------

@pytest.mark.parametrize("platform", list(ADAPTERS))
def test_every_recorded_record_comes_through_with_its_raw_json(records, platform):
    raw = platforms.records(platform)
    assert len(records[platform]) == len(raw)
    assert sorted(map(repr, (c.raw for c in records[platform].values()))) == sorted(
        map(repr, raw))


# -- CSV: the same shapes in a spreadsheet ----------------------------------------------------

CSV = ('Name,First name,Last name,Email,Address line 1,Town,County,Postcode,Country,'
       'Company number,Phone\n'
       '"Doe, Jane",Jane,Doe,"jane@doe.example; jane.doe@work.example",350 Fifth Avenue,'
       'New York,NY,10118,USA,,\n'
       '  O’Brien & Sons  ,,,Mary <mary@obrien.example> accounts@obrien.example,,,,,Ireland,'
       'SC12345X,call Jane\n'
       'Jo Bloggs Plumbing,Jo,Bloggs,jo@bloggs.example,,,,,,,\n')


def test_csv_rows_with_the_same_shapes():
    headers, rows = read_csv(CSV.encode())
    customers, errors = to_customers(rows, guess_mapping(headers))
    assert errors == {}
    doe, obrien, jo = customers
    assert (doe.name, doe.kind, doe.first_name, doe.last_name) == ("Doe, Jane", "individual",
                                                                   "Jane", "Doe")
    assert (doe.email, doe.other_emails) == ("jane@doe.example", ("jane.doe@work.example",))
    assert doe.address == Address("350 Fifth Avenue", None, "New York", "NY", "10118", "USA")
    assert (obrien.name, obrien.kind) == ("O’Brien & Sons", "business")
    assert (obrien.email, obrien.other_emails) == ("mary@obrien.example",
                                                   ("accounts@obrien.example",))
    assert obrien.address == Address(country="Ireland")
    assert (obrien.company_number, obrien.phone) == ("SC12345X", "call Jane")
    assert jo.kind == "business"  # a person's names in a business name


def test_csv_title_middle_name_and_suffix_columns():
    headers, rows = read_csv("Title,First name,Middle name,Last name,Suffix,E-mail\n"
                             "Dr,María,José,García-López,PhD,maria@example.com\n".encode())
    mapping = guess_mapping(headers)
    assert {"title", "middle_name", "suffix"} <= set(mapping)
    (maria,), _ = to_customers(rows, mapping)
    assert (maria.name, maria.kind) == ("Dr María José García-López PhD", "individual")
    assert (maria.title, maria.first_name, maria.middle_name, maria.last_name, maria.suffix) == (
        "Dr", "María", "José", "García-López", "PhD")
