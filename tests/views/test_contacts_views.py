"""Contact pages: list and live search, detail, create, edit (409 when stale), picker options."""
import re

import pytest

from cone.services import clients as cs
from cone.services import contacts
from cone.services.models import ActivityEvent, Contact, db
from tests.helpers import hx

HOSTILE = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"


def person(first, last=None, email=None, **extra):
    return contacts.create_contact({"first_name": first, "last_name": last, "email": email,
                                    **extra}, user=None)


def form_for(contact, **changes):
    data = {"first_name": contact.first_name, "last_name": contact.last_name or "",
            "email": contact.email or "", "phone": contact.phone or "",
            "version": str(contact.version)}
    data.update(changes)
    return data


# -- list -------------------------------------------------------------------------------

def test_list_empty_state(admin_client):
    r = admin_client.get("/contacts")
    assert r.status_code == 200 and "<html" in r.text
    assert "No contacts yet." in r.text


def test_list_search_page_and_fragment(admin_client):
    person("John", "Smith", "john@example.com")
    person("Emily", "Jones")
    r = admin_client.get("/contacts?q=jo+sm")
    assert "<html" in r.text and "1 contact matching" in r.text
    assert "John Smith" in r.text and "Emily Jones" not in r.text
    r = admin_client.get("/contacts?q=jones", headers=hx("contact-results"))
    assert "<html" not in r.text and 'id="contact-results"' in r.text
    assert "Emily Jones" in r.text and "John Smith" not in r.text
    assert "HX-Target" in r.headers["Vary"]


def test_boosted_list_gets_the_whole_page(admin_client):
    r = admin_client.get("/contacts", headers=hx("page", **{"HX-Boosted": "true"}))
    assert "<html" in r.text


def test_list_no_match_and_pager_with_real_links(admin_client):
    for i in range(30):
        person(f"Person{i:02d}", "Doe")
    r = admin_client.get("/contacts?q=nobody")
    assert "No contacts match" in r.text
    r = admin_client.get("/contacts?q=doe")
    assert "30 contacts" in r.text and "Page 1 of 2" in r.text
    assert 'href="/contacts?q=doe&amp;page=2"' in r.text
    r = admin_client.get("/contacts?q=doe&page=2")
    assert "Person29" in r.text and "Person00" not in r.text


def test_list_shows_linked_clients(admin_client, admin, make_client):
    jane = person("Jane", "Doe")
    make_client(legal_name="Acme Ltd", contact=jane, user=admin)
    r = admin_client.get("/contacts")
    assert "<bdi>Acme Ltd</bdi> (primary)" in r.text


def test_pages_need_sign_in(client):
    assert client.get("/contacts").status_code == 302
    assert client.get("/contacts/options?q=a", headers=hx("contact-options")).status_code == 401


# -- detail -----------------------------------------------------------------------------

def test_show_lists_all_linked_clients_with_role_primary_and_archived(admin_client, admin,
                                                                     make_client):
    jane = person("Jane", "Doe", "jane@example.com", phone="020 7946 0000")
    acme = make_client(legal_name="Acme Ltd", contact=jane, user=admin)
    old = make_client(legal_name="Old Ltd", contact=jane, user=admin)
    other = person("Other", "Person")
    beta = make_client(legal_name="Beta Ltd", contact=other, user=admin)
    cs.link_contact(beta, jane.id, role="Company secretary", make_primary=False, user=admin)
    cs.archive_client(old, user=admin)
    r = admin_client.get(f"/contacts/{jane.id}")
    assert r.status_code == 200
    for client in (acme, beta, old):
        assert f'href="/clients/{client.id}"' in r.text
    assert "Company secretary" in r.text and "Archived" in r.text
    assert r.text.count("badge badge-ok\">Primary") == 2
    assert 'href="mailto:jane@example.com"' in r.text and 'href="tel:02079460000"' in r.text


def test_show_unknown_contact_is_404(admin_client):
    assert admin_client.get("/contacts/999").status_code == 404


# -- create -----------------------------------------------------------------------------

def test_new_form(admin_client):
    r = admin_client.get("/contacts/new")
    assert r.status_code == 200 and 'name="first_name"' in r.text
    assert 'maxlength="100"' in r.text and 'maxlength="254"' in r.text


def test_create_then_go_to_the_contact(admin_client, admin):
    r = admin_client.post("/contacts/new", data={"first_name": "Jane", "last_name": "Doe",
                                                 "email": "JANE@EXAMPLE.COM",
                                                 "address_postcode": "sw1a 1aa"})
    contact = db.session.scalars(db.select(Contact)).one()
    assert r.status_code == 303 and r.headers["Location"] == f"/contacts/{contact.id}"
    assert (contact.email, contact.address.postcode) == ("JANE@example.com", "SW1A 1AA")
    event = db.session.scalars(db.select(ActivityEvent)).one()
    assert event.action == "contact_created" and event.user_id == admin.id


@pytest.mark.parametrize("next_url, location", [
    ("/clients/new?kind=business", "/clients/new?kind=business"),
    ("https://evil.example/", None),
    ("//evil.example/x", None),
    ("/\\evil.example", None),
    ("javascript:alert(1)", None),
])
def test_create_goes_to_next_only_when_same_site(admin_client, next_url, location):
    r = admin_client.post("/contacts/new", query_string={"next": next_url},
                          data={"first_name": "Jane"})
    contact = db.session.scalars(db.select(Contact)).one()
    assert r.status_code == 303
    assert r.headers["Location"] == (location or f"/contacts/{contact.id}")


def test_next_is_kept_through_an_invalid_post(admin_client):
    r = admin_client.post("/contacts/new?next=/clients/new", data={"first_name": ""})
    assert r.status_code == 422
    assert 'action="/contacts/new?next=/clients/new"' in r.text or \
        'action="/contacts/new?next=%2Fclients%2Fnew"' in r.text


@pytest.mark.parametrize("data, message", [
    ({"first_name": ""}, "Enter a first name."),
    ({"first_name": "A", "email": "not an email"}, "e-mail"),
    ({"first_name": "A", "phone": "call me"}, "phone"),
    ({"first_name": "A", "address_postcode": "XYZ"}, "postcode"),
    ({"first_name": "x" * 101}, "100 characters"),
])
def test_create_invalid_is_422_with_message_and_keeps_input(admin_client, data, message):
    data = {"last_name": "Kept Lastname", **data}
    r = admin_client.post("/contacts/new", data=data)
    assert r.status_code == 422
    assert message.lower() in r.text.lower()
    assert 'value="Kept Lastname"' in r.text and 'aria-invalid="true"' in r.text
    assert db.session.scalar(db.select(db.func.count(Contact.id))) == 0


def test_hostile_text_is_stored_exactly_and_rendered_inert(admin_client, admin, make_client):
    r = admin_client.post("/contacts/new", data={"first_name": HOSTILE, "last_name": HOSTILE})
    contact = db.session.scalars(db.select(Contact)).one()
    assert contact.first_name == HOSTILE
    make_client(legal_name="Acme Ltd", contact=contact, user=admin)
    for url in ("/contacts", f"/contacts/{contact.id}", f"/contacts/{contact.id}/edit",
                "/contacts/options?q=%3Cscript"):
        r = admin_client.get(url)
        assert "<script>alert" not in r.text and "<img src=x" not in r.text, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text, url
    r = admin_client.get("/contacts/options?q=%3Cscript", headers=hx("contact-options"))
    assert "<script>alert" not in r.text and "&lt;script&gt;" in r.text


# -- edit -------------------------------------------------------------------------------

def test_edit_form_is_filled(admin_client):
    jane = person("Jane", "Doe", "jane@example.com")
    r = admin_client.get(f"/contacts/{jane.id}/edit")
    assert r.status_code == 200
    assert 'value="Jane"' in r.text and 'value="jane@example.com"' in r.text
    assert re.search(r'name="version"[^>]*value="1"|value="1"[^>]*name="version"', r.text)


def test_edit_saves_for_every_linked_client(admin_client, admin, make_client):
    jane = person("Jane", "Doe", "jane@example.com")
    acme = make_client(legal_name="Acme Ltd", contact=jane, user=admin)
    beta = make_client(legal_name="Beta Ltd", contact=jane, user=admin)
    r = admin_client.post(f"/contacts/{jane.id}/edit",
                          data=form_for(jane, email="jane.doe@example.com"))
    assert r.status_code == 303 and r.headers["Location"] == f"/contacts/{jane.id}"
    events = db.session.scalars(db.select(ActivityEvent).where(
        ActivityEvent.action == "contact_updated")).all()
    assert {e.client_id for e in events} == {acme.id, beta.id, None}
    assert [e.contact_id for e in events if e.client_id is None] == [jane.id]
    assert all(e.changes == [{"field": "email", "before": "jane@example.com",
                              "after": "jane.doe@example.com"}] for e in events)
    for client in (acme, beta):
        assert "jane.doe@example.com" in admin_client.get(f"/clients/{client.id}").text


def test_edit_invalid_is_422_and_changes_nothing(admin_client):
    jane = person("Jane", "Doe")
    r = admin_client.post(f"/contacts/{jane.id}/edit",
                          data=form_for(jane, first_name="Janet", email="bad@"))
    assert r.status_code == 422 and 'value="Janet"' in r.text
    db.session.expire_all()
    assert db.session.get(Contact, jane.id).first_name == "Jane"


def test_stale_edit_is_409_with_differences_and_the_next_save_wins(admin_client, admin, staff):
    jane = person("Jane", "Doe", "jane@example.com")
    opened = form_for(jane)
    contacts.update_contact(jane, {"first_name": "Jane", "last_name": "Roe",
                                   "email": "jane@example.com"}, expected_version=1, user=staff)
    r = admin_client.post(f"/contacts/{jane.id}/edit", data={**opened, "first_name": "Janet"})
    assert r.status_code == 409
    assert "<bdi>Sam Staff</bdi> saved this contact" in r.text
    assert "Roe" in r.text and 'value="Janet"' in r.text  # saved value shown, input kept
    db.session.expire_all()
    assert db.session.get(Contact, jane.id).first_name == "Jane"
    assert re.search(r'name="version"[^>]*value="2"|value="2"[^>]*name="version"', r.text)
    r = admin_client.post(f"/contacts/{jane.id}/edit",
                          data={**opened, "first_name": "Janet", "version": "2"})
    assert r.status_code == 303
    db.session.expire_all()
    saved = db.session.get(Contact, jane.id)
    assert (saved.first_name, saved.last_name) == ("Janet", "Doe")


def test_edit_without_version_counts_as_stale(admin_client):
    jane = person("Jane", "Doe")
    data = form_for(jane, first_name="Janet")
    del data["version"]
    assert admin_client.post(f"/contacts/{jane.id}/edit", data=data).status_code == 409


def test_edit_checks_csrf(app, admin_client):
    jane = person("Jane", "Doe")
    app.config["WTF_CSRF_ENABLED"] = True
    r = admin_client.post(f"/contacts/{jane.id}/edit", data=form_for(jane, first_name="X"))
    assert r.status_code == 400
    db.session.expire_all()
    assert db.session.get(Contact, jane.id).first_name == "Jane"


# -- picker options ---------------------------------------------------------------------

def test_options_fragment_items(admin_client):
    john = person("John", "Smith", "john@example.com")
    person("Joanna", "Smithers")
    r = admin_client.get("/contacts/options?q=jo+sm", headers=hx("contact-options"))
    assert r.status_code == 200 and "<html" not in r.text
    assert f'<li role="option" id="contact-option-{john.id}" data-value="{john.id}"' in r.text
    assert "John Smith · john@example.com" in r.text
    assert r.text.count('role="option"') == 2


def test_options_accepts_contact_q_and_exclude(admin_client):
    john, joanna = person("John", "Smith"), person("Joanna", "Smithers")
    r = admin_client.get(f"/contacts/options?contact_q=smi&exclude={john.id},x",
                         headers=hx("contact-options"))
    assert f"contact-option-{joanna.id}" in r.text and f"contact-option-{john.id}" not in r.text


def test_options_no_match_item(admin_client):
    r = admin_client.get("/contacts/options?q=zzz", headers=hx("contact-options"))
    assert "No contacts match" in r.text and 'aria-disabled="true"' in r.text


def test_options_whole_page_lists_links(admin_client):
    john = person("John", "Smith")
    r = admin_client.get("/contacts/options?q=john")
    assert "<html" in r.text and f'href="/contacts/{john.id}"' in r.text
    assert 'role="option"' not in r.text


def test_list_page_past_the_end(admin_client):
    person("Jane", "Doe")
    r = admin_client.get("/contacts?page=9")
    assert r.status_code == 200 and "There is no page 9." in r.text
