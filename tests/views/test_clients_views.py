"""Client pages: list, create (business / individual with contacts), workspace, archive."""
import pytest
from sqlalchemy import select

from cone.services.models import ActivityEvent, Client, ClientContact, Contact, db
from tests.helpers import BUSINESS, count, hx, INDIVIDUAL


def make_contact(first="Bob", last="Baker", email="bob@example.com") -> Contact:
    contact = Contact(first_name=first, last_name=last, email=email)
    db.session.add(contact)
    db.session.commit()
    return contact


# ---- the create form ---------------------------------------------------------------------

def test_new_form_page_and_fragment(staff_client):
    page = staff_client.get("/clients/new")
    assert page.status_code == 200 and "<html" in page.text
    assert 'name="legal_name"' in page.text and 'name="contacts-0-first_name"' in page.text
    assert 'name="contact_q"' in page.text and 'name="pick_contact_id"' in page.text
    frag = staff_client.get("/clients/new?kind=individual", headers=hx("client-form"))
    assert frag.status_code == 200 and "<html" not in frag.text
    assert 'id="client-form"' in frag.text and 'name="first_name"' in frag.text
    assert 'name="legal_name"' not in frag.text and 'value="self"' in frag.text


def test_switching_kind_keeps_common_fields(staff_client):
    r = staff_client.get("/clients/new", query_string={
        "kind": "individual", "email": "kept@example.com", "phone": "01234 567890",
        "tags": "vip", "contacts-0-first_name": "Kim", "primary": "new:0"},
        headers=hx("client-form"))
    assert r.status_code == 200
    for kept in ('value="kept@example.com"', 'value="01234 567890"', 'value="vip"',
                 'value="Kim"'):
        assert kept in r.text
    assert 'value="new:0" checked' in r.text


def test_boosted_request_gets_whole_page(staff_client):
    r = staff_client.get("/clients/new", headers=hx("client-form", **{"HX-Boosted": "true"}))
    assert "<html" in r.text


def test_create_business_with_new_and_existing_contact(staff_client, staff):
    bob = make_contact()
    data = dict(BUSINESS, **{"linked-0-contact_id": str(bob.id), "linked-0-role": "Bookkeeper"})
    r = staff_client.post("/clients", data=data)
    assert r.status_code == 303
    client = db.session.scalar(select(Client))
    assert r.headers["Location"].endswith(f"/clients/{client.id}")
    assert client.legal_name == "Acme Widgets Ltd" and client.display_name == "Acme Widgets Ltd"
    assert client.company_number == "01234567"
    assert client.registered_address.postcode == "SW1A 1AA"
    assert client.created_by_id == staff.id
    links = {cc.contact.first_name: cc for cc in client.contact_links}
    assert set(links) == {"Ann", "Bob"}
    assert links["Ann"].is_primary and not links["Bob"].is_primary
    assert links["Bob"].role == "Bookkeeper"
    page = staff_client.get(r.headers["Location"])
    assert "Created Acme Widgets Ltd." in page.text


def test_create_individual_as_own_primary_contact(staff_client):
    r = staff_client.post("/clients", data=INDIVIDUAL)
    assert r.status_code == 303
    client = db.session.scalar(select(Client))
    assert client.kind == "individual" and client.display_name == "Jane Doe"
    assert client.status == "prospect"
    assert client.primary_contact.first_name == "Jane"


def test_blank_contact_row_is_ignored_and_lone_contact_becomes_primary(staff_client):
    bob = make_contact()
    data = {"kind": "business", "legal_name": "Solo Ltd", "contacts-0-first_name": "",
            "primary": "new:0", "linked-0-contact_id": str(bob.id)}
    r = staff_client.post("/clients", data=data)
    assert r.status_code == 303
    client = db.session.scalar(select(Client))
    assert client.primary_contact.id == bob.id and count(Contact) == 1


@pytest.mark.parametrize("data, field, message", [
    ({"legal_name": ""}, "legal_name", "Enter the legal name."),
    ({"company_number": "12-34"}, "company_number", "company number"),
    ({"company_number": "ZZ123456"}, "company_number", "prefix"),
    ({"vat_number": "GB123456780"}, "vat_number", "VAT number"),
    ({"ct_utr": "1234567890"}, "ct_utr", "UTR"),
    ({"registered_postcode": "NOT A CODE"}, "registered_postcode", "postcode"),
    ({"email": "not-an-email"}, "email", "mail"),
    ({"contacts-0-email": "nope@"}, "contacts-0-email", "mail"),
    ({"incorporation_date": "2999-01-01"}, "incorporation_date", "future"),
    ({"incorporation_date": "yesterday"}, "incorporation_date", "date"),
    ({"year_end_day": "31", "year_end_month": ""}, "year_end_month", "both"),
    ({"year_end_day": "31", "year_end_month": "2"}, "year_end_month", ""),
    ({"legal_name": "x" * 301}, "legal_name", "at most 300 characters"),
    ({"contacts-0-first_name": "", "contacts-0-email": "a@b.example"},
     "contacts-0-first_name", "first name"),
])
def test_create_business_invalid(staff_client, data, field, message):
    before = count(Client)
    r = staff_client.post("/clients", data=dict(BUSINESS, **data))
    assert r.status_code == 422 and "<html" in r.text
    assert f'id="{field}-error"' in r.text
    error = r.text.split(f'id="{field}-error">', 1)[1].split("</p>", 1)[0]
    assert message.lower() in error.lower()
    assert count(Client) == before
    assert 'value="1 High Street"' in r.text  # what was typed is still there


@pytest.mark.parametrize("data, field, message", [
    ({"first_name": ""}, "first_name", "Enter the first name."),
    ({"last_name": " "}, "last_name", "Enter the last name."),
    ({"ni_number": "QQ12345"}, "ni_number", "National Insurance"),
    ({"ni_number": "DA123456A"}, "ni_number", ""),
    ({"sa_utr": "12345"}, "sa_utr", "UTR"),
    ({"date_of_birth": "2999-12-31"}, "date_of_birth", "Date of birth cannot be in the future."),
    ({"home_postcode": "123"}, "home_postcode", "postcode"),
])
def test_create_individual_invalid(staff_client, data, field, message):
    r = staff_client.post("/clients", data=dict(INDIVIDUAL, **data))
    assert r.status_code == 422
    error = r.text.split(f'id="{field}-error">', 1)[1].split("</p>", 1)[0]
    assert message.lower() in error.lower()
    assert count(Client) == 0


def test_invalid_htmx_post_answers_the_form_fragment(staff_client):
    r = staff_client.post("/clients", data=dict(BUSINESS, legal_name=""), headers=hx("client-form"))
    assert r.status_code == 422 and "<html" not in r.text
    assert r.text.lstrip().startswith("<form") and "Enter the legal name." in r.text


def test_postcode_abroad_is_kept_as_typed(staff_client):
    data = dict(BUSINESS, registered_postcode="75008", registered_country="France")
    assert staff_client.post("/clients", data=data).status_code == 303
    assert db.session.scalar(select(Client)).registered_address.postcode == "75008"


@pytest.mark.parametrize("data, message", [
    ({"primary": "", "contacts-1-first_name": "Second"}, "Choose which contact is the primary"),
    ({"primary": "", "contacts-0-first_name": "", "contacts-0-last_name": "",
      "contacts-0-email": ""}, "Add a contact"),
    ({"primary": "self", "contacts-1-first_name": "Second"}, "Choose which contact"),
])
def test_business_needs_one_primary_contact(staff_client, data, message):
    r = staff_client.post("/clients", data=dict(BUSINESS, **data))
    assert r.status_code == 422
    assert message in r.text.split('id="primary-error"', 1)[1].split("</div>", 1)[0]
    assert count(Client) == 0 and count(Contact) == 0


def test_unknown_contact_id_writes_nothing(staff_client):
    counts = [count(m) for m in (Client, Contact, ClientContact, ActivityEvent)]
    data = dict(BUSINESS, **{"linked-0-contact_id": "987654", "primary": "existing:0"})
    r = staff_client.post("/clients", data=data)
    assert r.status_code == 422
    assert "no longer exists" in r.text
    assert [count(m) for m in (Client, Contact, ClientContact, ActivityEvent)] == counts


def test_other_kinds_fields_are_ignored(staff_client):
    data = dict(BUSINESS, first_name="Sneaky", ni_number="QQ123456C", sa_utr="1234567890",
                home_line1="Elsewhere", date_of_birth="1980-01-01")
    assert staff_client.post("/clients", data=data).status_code == 303
    client = db.session.scalar(select(Client))
    assert client.first_name is None and client.ni_number is None and client.sa_utr is None
    assert not client.home_address and client.date_of_birth is None


@pytest.mark.parametrize("kind", ["unknown", "", "BUSINESS"])
def test_unknown_kind_is_refused(staff_client, kind):
    r = staff_client.post("/clients", data=dict(BUSINESS, kind=kind))
    assert r.status_code == 422 and "business or an individual" in r.text
    assert count(Client) == 0


def test_unknown_manager_is_refused(staff_client):
    r = staff_client.post("/clients", data=dict(BUSINESS, manager_id="999"))
    assert r.status_code == 422 and count(Client) == 0


# ---- sub-actions: re-render with nothing lost -----------------------------------------------

def test_add_new_contact_row_keeps_everything(staff_client):
    r = staff_client.post("/clients", data=dict(BUSINESS, action="add_new"))
    assert r.status_code == 200 and count(Client) == 0
    assert 'name="contacts-1-first_name"' in r.text
    for kept in ('value="Acme Widgets Ltd"', 'value="Ann"', 'value="ann@acme.example"',
                 'value="1 High Street"', 'value="new:0" checked'):
        assert kept in r.text


def test_sub_action_htmx_answers_the_form_fragment(staff_client):
    r = staff_client.post("/clients", data=dict(BUSINESS, action="add_new"),
                          headers=hx("client-form"))
    assert r.status_code == 200 and "<html" not in r.text
    assert 'name="contacts-1-first_name"' in r.text


def test_remove_new_contact_row_moves_primary_along(staff_client):
    data = dict(BUSINESS, **{"contacts-1-first_name": "Second", "contacts-2-first_name": "Third",
                             "primary": "new:2", "action": "remove_new:0"})
    r = staff_client.post("/clients", data=data)
    assert r.status_code == 200
    assert 'value="Ann"' not in r.text and 'value="Second"' in r.text
    assert 'value="new:1" checked' in r.text  # "Third" is still the primary
    assert count(Client) == 0 and count(Contact) == 0


def test_search_and_add_existing_contact(staff_client):
    bob = make_contact()
    make_contact("Zed", "Zulu", "zed@example.com")
    r = staff_client.post("/clients", data=dict(BUSINESS, action="search_contacts",
                                                contact_q="bob"))
    assert r.status_code == 200
    select_html = r.text.split('name="pick_contact_id"', 1)[1].split("</select>", 1)[0]
    assert "Bob Baker" in select_html and "Zed" not in select_html
    assert 'value="bob"' in r.text and 'value="Acme Widgets Ltd"' in r.text
    r = staff_client.post("/clients", data=dict(BUSINESS, action="add_existing",
                                                pick_contact_id=str(bob.id)))
    assert r.status_code == 200
    assert f'name="linked-0-contact_id" type="hidden" value="{bob.id}"' in r.text
    assert "Bob Baker" in r.text and 'value="Ann"' in r.text
    assert count(ClientContact) == 0


def test_remove_existing_contact(staff_client):
    bob = make_contact()
    data = dict(BUSINESS, **{"linked-0-contact_id": str(bob.id), "action": "remove_existing:0"})
    r = staff_client.post("/clients", data=data)
    assert r.status_code == 200 and 'name="linked-0-contact_id"' not in r.text


def test_add_existing_without_choice_says_so(staff_client):
    r = staff_client.post("/clients", data=dict(BUSINESS, action="add_existing",
                                                pick_contact_id=""))
    assert r.status_code == 200 and "Choose a contact in the list first." in r.text


# ---- duplicates ------------------------------------------------------------------------------

def test_possible_duplicate_asks_before_creating(staff_client):
    assert staff_client.post("/clients", data=BUSINESS).status_code == 303
    first = db.session.scalar(select(Client))
    again = dict(BUSINESS, legal_name="ACME Widgets Limited", **{"contacts-0-first_name": "Al"})
    r = staff_client.post("/clients", data=again)
    assert r.status_code == 409 and count(Client) == 1
    panel = r.text.split('class="card duplicates"', 1)[1].split("</section>", 1)[0]
    assert f'/clients/{first.id}"' in panel and "Same company number" in panel
    assert 'name="confirm_duplicates" value="1"' in panel and "Create anyway" in panel
    assert 'value="ACME Widgets Limited"' in r.text and 'value="Al"' in r.text
    r = staff_client.post("/clients", data=dict(again, confirm_duplicates="1"))
    assert r.status_code == 303 and count(Client) == 2
