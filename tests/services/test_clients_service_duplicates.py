"""clients service: possible duplicates by identifier and by similar name."""
import pytest

from cone.services import clients as cs
from cone.services.clients.duplicates import normalise_name

CONTACTS = cs.ContactsInput(new=[cs.NewContact("Jane", "Doe")], existing=[], primary="new:0")


def business(user, name, **data):
    return cs.create_client("business", {"legal_name": name, **data}, CONTACTS, user=user)


def individual(user, first, last, **data):
    return cs.create_client("individual", {"first_name": first, "last_name": last, **data},
                            cs.ContactsInput(primary="self"), user=user)


def reasons(kind, data, **kw):
    return [(d.client.display_name, d.reason) for d in cs.find_duplicates(kind, data, **kw)]


@pytest.mark.parametrize("name, expected", [
    ("Acme Ltd", "acme"), ("ACME Limited", "acme"), ("The Acme Co.", "acme"),
    ("Smith & Jones LLP", "smith jones"), ("Smith and Jones PLC", "smith jones"),
    ("Café-Bar (Leeds) Company", "cafe bar leeds"), ("", ""), (None, ""),
])
def test_normalise_name(name, expected):
    assert normalise_name(name) == expected


@pytest.mark.parametrize("typed", ["ACME Limited", "Acme Trading Limited", "acme ltd.",
                                   "The Acme Company", "Acme", "Acme Ltd"])
def test_similar_business_names(admin, typed):
    business(admin, "Acme Ltd")
    business(admin, "Zenith Widgets Ltd")
    assert reasons("business", {"legal_name": typed}) == [("Acme Ltd", "Similar name")]


def test_trading_names_are_compared_too(admin):
    business(admin, "A. Smith Holdings Ltd", trading_name="Blue Door Bakery")
    found = cs.find_duplicates("business", {"legal_name": "Bluedoor Ltd",
                                            "trading_name": "Blue Door Bakery"})
    assert [(d.reason, d.score) for d in found] == [("Similar name", 100)]


def test_different_names_are_not_duplicates(admin):
    business(admin, "Acme Ltd")
    assert cs.find_duplicates("business", {"legal_name": "Apex Ltd"}) == []
    assert cs.find_duplicates("business", {"legal_name": "Ltd"}) == []
    assert cs.find_duplicates("individual", {"first_name": "Acme", "last_name": ""}) == []


@pytest.mark.parametrize("field, stored, typed, reason", [
    ("company_number", "01234567", "1234567", "Same company number"),
    ("vat_number", "GB980780684", "980 780 684", "Same VAT number"),
    ("ct_utr", "1955839661", "19558 39661K", "Same UTR"),
    ("email", "Office@Acme.example", "office@acme.EXAMPLE", "Same e-mail"),
])
def test_same_identifiers(admin, field, stored, typed, reason):
    business(admin, "Acme Ltd", **{field: stored})
    business(admin, "Other Ltd")
    found = cs.find_duplicates("business", {"legal_name": "Unrelated Name", field: typed})
    assert [(d.client.display_name, d.reason, d.score) for d in found] == [
        ("Acme Ltd", reason, 100)]


def test_individual_identifiers_and_names(admin):
    individual(admin, "Zoë", "O'Brien", ni_number="AB123456C", sa_utr="1955839661")
    assert reasons("individual", {"first_name": "X", "last_name": "Y", "ni_number": "ab 123456 c"}
                   ) == [("Zoë O'Brien", "Same NI number")]
    assert reasons("business", {"legal_name": "Q", "ct_utr": "1955839661"}) == [
        ("Zoë O'Brien", "Same UTR")]
    assert reasons("individual", {"first_name": "Zoe", "last_name": "OBrien"}) == [
        ("Zoë O'Brien", "Similar name")]


def test_several_reasons_are_joined_and_rank_first(admin):
    business(admin, "Acme Ltd", company_number="01234567", email="a@acme.example")
    business(admin, "Acme Trading Ltd")
    found = cs.find_duplicates("business", {"legal_name": "Acme", "company_number": "1234567",
                                            "email": "a@acme.example"})
    assert [(d.client.display_name, d.reason) for d in found] == [
        ("Acme Ltd", "Same company number, same e-mail, similar name"),
        ("Acme Trading Ltd", "Similar name"),
    ]


def test_archived_clients_are_reported_as_archived(admin):
    old = business(admin, "Acme Ltd", company_number="01234567")
    cs.archive_client(old, user=admin)
    assert reasons("business", {"legal_name": "Acme Limited", "company_number": "01234567"}) == [
        ("Acme Ltd", "Same company number, similar name (archived)")]


def test_exclude_id_and_limit(admin):
    acme = business(admin, "Acme Ltd", company_number="01234567")
    for i in range(4):
        business(admin, f"Acme {i} Ltd")
    data = {"legal_name": "Acme Ltd", "company_number": "01234567"}
    assert acme.id not in [d.client.id for d in cs.find_duplicates("business", data,
                                                                   exclude_id=acme.id)]
    assert len(cs.find_duplicates("business", data, limit=2)) == 2
    assert cs.find_duplicates("business", data)[0].client.id == acme.id


def test_malformed_identifiers_are_ignored(admin):
    business(admin, "Acme Ltd", company_number="01234567")
    assert cs.find_duplicates("business", {"company_number": "not a number",
                                           "vat_number": "GB1", "email": "x@"}) == []
