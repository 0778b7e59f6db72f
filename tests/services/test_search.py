"""Client list search: words as prefixes, accents, numbers, contacts, archived; index upkeep."""
import pytest
from sqlalchemy import delete, func, insert, select, text

from cone.services import search
from cone.services.models import Client, ClientContact, Contact, db, utcnow
from cone.services.search import ClientQuery, search_clients


def business(name, **fields):
    client = Client(kind="business", status=fields.pop("status", "customer"), display_name=name,
                    legal_name=name, **fields)
    db.session.add(client)
    db.session.commit()
    return client


def person(first, last, **fields):
    client = Client(kind="individual", status="customer", display_name=f"{first} {last}",
                    first_name=first, last_name=last, **fields)
    db.session.add(client)
    db.session.commit()
    return client


def link(client, first, last=None, email=None, primary=True):
    contact = Contact(first_name=first, last_name=last, email=email)
    db.session.add(ClientContact(client=client, contact=contact, is_primary=primary))
    db.session.commit()
    return contact


def names(q="", **params) -> list[str]:
    return [r.display_name for r in search_clients(ClientQuery(q=q, **params)).rows]


@pytest.fixture
def sample(app_ctx):
    acme = business("ACME Trading Limited", company_number="SC123456", vat_number="GB123456789",
                    email="accounts@acme.example", phone="020 7946 0000", ct_utr="1234567890",
                    registered_postcode="SW1A 1AA", trading_name="Roadrunner Supplies")
    link(acme, "Wile", "Coyote", "wile@desert.example")
    zoe = person("Zoë", "Łukasiewicz", sa_utr="9876543210", home_postcode="EH1 1AB")
    beta = business("Béta Holdings Ltd", company_number="01234567")
    return {"acme": acme, "zoe": zoe, "beta": beta}


@pytest.mark.parametrize("q", ["acm", "acm ltd", "ACME tra", "acme limited", "  acme,  trading  "])
def test_words_are_prefixes_in_any_order(sample, q):
    if q == "acm ltd":
        assert names(q) == []  # "ltd" is not a prefix of any word of ACME Trading Limited
    else:
        assert names(q) == ["ACME Trading Limited"]


def test_acm_ltd_finds_a_limited_company_with_ltd_in_its_name(sample):
    business("Acme Widgets Ltd")
    assert names("acm ltd") == ["Acme Widgets Ltd"]


@pytest.mark.parametrize("q, expected", [
    ("zoe", "Zoë Łukasiewicz"), ("ZOË", "Zoë Łukasiewicz"), ("lukas", "Zoë Łukasiewicz"),
    ("beta", "Béta Holdings Ltd"), ("BÉTA hold", "Béta Holdings Ltd"),
])
def test_case_and_accents_are_ignored(sample, q, expected):
    assert names(q) == [expected]


@pytest.mark.parametrize("q", [
    "SC123456", "sc 123456", "SC-123456", "gb123456789", "GB 123 456 789", "123456789",
    "020 7946 0000", "02079460000", "sw1a 1aa", "SW1A1AA", "sw1a", "1234567890",
    "accounts@acme.example", "accounts", "roadrunner", "wile", "coyote", "wile coyote",
    "wile@desert.example", "desert",
])
def test_numbers_contacts_and_other_fields_match(sample, q):
    assert names(q) == ["ACME Trading Limited"]


@pytest.mark.parametrize("q, expected", [("9876543210", "Zoë Łukasiewicz"),
                                         ("eh1 1ab", "Zoë Łukasiewicz"),
                                         ("01234567", "Béta Holdings Ltd")])
def test_utr_postcode_and_company_number_of_others(sample, q, expected):
    assert names(q) == [expected]


def test_words_may_match_client_and_contact_together(sample):
    assert names("acme coyote") == ["ACME Trading Limited"]
    assert names("acme zzz") == []


@pytest.mark.parametrize("q", ['"', "*", "acme\"*", "-", "AND", "acme OR", "NEAR(", "a:b", "!!",
                               "'; drop table client; --", "(", "x" * 200])
def test_hostile_queries_never_fail(sample, q):
    search_clients(ClientQuery(q=q))


def test_punctuation_only_query_lists_everyone(sample):
    assert len(names("-- !")) == 3


def test_archived_excluded_unless_asked(sample):
    sample["acme"].archived_at = utcnow()
    db.session.commit()
    assert names("acme") == []
    assert names("acme", archived=True) == ["ACME Trading Limited"]
    assert "ACME Trading Limited" not in names()


def test_words_helper_folds_and_splits():
    assert search.words("Zoë  O'Brien-Smith SC/123") == ["zoe", "o", "brien", "smith", "sc", "123"]
    assert search.words("") == []


# ---- index upkeep: the index follows every change to clients, contacts and links ----------

def test_index_follows_client_edit_and_delete(sample):
    acme = sample["acme"]
    acme.display_name = acme.legal_name = "Globex Corporation"
    db.session.commit()
    assert names("acme trad") == [] and names("globex") == ["Globex Corporation"]
    db.session.execute(delete(Client).where(Client.id == acme.id))
    db.session.commit()
    assert names("globex") == []
    assert index_size() == 2


def test_index_follows_contact_edit_link_and_unlink(sample):
    acme, beta = sample["acme"], sample["beta"]
    contact = db.session.scalar(select(Contact).where(Contact.first_name == "Wile"))
    contact.last_name = "Roadrunnerson"
    db.session.commit()
    assert names("coyote") == [] and names("roadrunnerson") == ["ACME Trading Limited"]
    db.session.add(ClientContact(client=beta, contact=contact, is_primary=False))
    db.session.commit()
    assert names("roadrunnerson") == ["ACME Trading Limited", "Béta Holdings Ltd"]
    db.session.execute(delete(ClientContact).where(ClientContact.client_id == acme.id))
    db.session.commit()
    assert names("roadrunnerson") == ["Béta Holdings Ltd"]
    db.session.execute(delete(Contact).where(Contact.id == contact.id))
    db.session.commit()
    assert names("roadrunnerson") == []


def test_index_follows_bulk_core_inserts(app_ctx):
    db.session.execute(insert(Client.__table__), [
        {"id": 7, "kind": "business", "status": "customer", "display_name": "Bulk Alpha",
         "created_at": utcnow(), "updated_at": utcnow(), "version": 1},
        {"id": 8, "kind": "business", "status": "customer", "display_name": "Bulk Beta",
         "created_at": utcnow(), "updated_at": utcnow(), "version": 1}])
    db.session.execute(insert(Contact.__table__), [
        {"id": 3, "first_name": "Quentin", "last_name": "Blake", "created_at": utcnow(),
         "updated_at": utcnow(), "version": 1}])
    db.session.execute(insert(ClientContact.__table__), [
        {"client_id": 7, "contact_id": 3, "is_primary": True},
        {"client_id": 8, "contact_id": 3, "is_primary": True}])
    db.session.commit()
    assert names("bulk") == ["Bulk Alpha", "Bulk Beta"]
    assert names("quentin bla") == ["Bulk Alpha", "Bulk Beta"]


def test_index_rows_match_client_rows_after_a_mix_of_changes(sample):
    for i in range(5):
        business(f"Extra {i}")
    db.session.execute(delete(Client).where(Client.id == sample["beta"].id))
    db.session.commit()
    assert index_size() == db.session.scalar(select(func.count()).select_from(Client))


def index_size() -> int:
    return db.session.scalar(text("SELECT count(*) FROM client_search"))
