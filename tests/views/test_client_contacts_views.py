"""A client's contacts on the workspace: link, add, unlink and make primary, with and without htmx."""
import re

import pytest

from cone.services import clients as cs
from cone.services import contacts
from cone.services.models import ActivityEvent, ClientContact, Contact, db
from tests.helpers import hx

SECTION = hx("client-contacts")


def person(first, last=None, email=None):
    return contacts.create_contact({"first_name": first, "last_name": last, "email": email},
                                   user=None)


@pytest.fixture
def jane(app_ctx):
    return person("Jane", "Doe", "jane@example.com")


@pytest.fixture
def acme(make_client, admin, jane):
    return make_client(contact=jane, user=admin)


def links(client):
    db.session.expire_all()
    rows = db.session.scalars(db.select(ClientContact).where(
        ClientContact.client_id == client.id)).all()
    return {cc.contact.name: (cc.role, cc.is_primary) for cc in rows}


def events(client, action):
    return db.session.scalars(db.select(ActivityEvent).where(
        ActivityEvent.client_id == client.id, ActivityEvent.action == action)).all()


def test_workspace_shows_the_section_primary_first(admin_client, admin, acme):
    cs.add_contact(acme, cs.NewContact("Aaron", "Able", phone="020 7946 0000", role="Director"),
                   make_primary=False, user=admin)
    r = admin_client.get(f"/clients/{acme.id}?tab=contacts")
    assert 'id="client-contacts"' in r.text
    section = r.text[r.text.index('id="client-contacts"'):]
    assert section.index("Jane Doe") < section.index("Aaron Able")
    assert 'href="mailto:jane@example.com"' in section and 'href="tel:02079460000"' in section
    assert 'aria-label="Make primary: Aaron Able"' in section
    assert 'name="contact_q"' in section and 'role="combobox"' in section
    assert 'name="pick_contact_id"' in section and 'name="csrf_token"' in section


def test_section_fragment_for_htmx_get(admin_client, acme):
    r = admin_client.get(f"/clients/{acme.id}", headers=SECTION)
    assert "<html" not in r.text and r.text.lstrip().startswith("<section")


# -- link an existing contact -----------------------------------------------------------

def test_link_existing_plain_redirects_with_flash(admin_client, acme):
    bob = person("Bob", "Roe")
    r = admin_client.post(f"/clients/{acme.id}/contacts",
                          data={"action": "add_existing", "pick_contact_id": bob.id,
                                "role": "Bookkeeper"})
    assert r.status_code == 303 and r.headers["Location"].startswith(f"/clients/{acme.id}")
    assert links(acme)["Bob Roe"] == ("Bookkeeper", False)
    assert "Linked Bob Roe." in admin_client.get(r.headers["Location"]).text
    [event] = events(acme, "contact_linked")[-1:]
    assert event.contact_id == bob.id


def test_link_existing_htmx_answers_the_section_and_event(admin_client, acme):
    bob = person("Bob", "Roe")
    r = admin_client.post(f"/clients/{acme.id}/contacts", headers=SECTION,
                          data={"action": "add_existing", "pick_contact_id": bob.id,
                                "make_primary": "y"})
    assert r.status_code == 200 and "<html" not in r.text
    assert r.headers["HX-Trigger"] == "contacts-changed"
    assert "Linked Bob Roe." in r.text and 'id="client-contacts"' in r.text
    assert links(acme) == {"Bob Roe": (None, True), "Jane Doe": (None, False)}
    # the picker no longer offers contacts already linked
    assert re.search(rf'hx-get="/contacts/options\?exclude=[^"]*\b{bob.id}\b', r.text)


def test_link_without_a_pick_is_422_next_to_the_picker(admin_client, acme):
    r = admin_client.post(f"/clients/{acme.id}/contacts", headers=SECTION,
                          data={"action": "add_existing", "role": "Kept role",
                                "contact_q": "kept query"})
    assert r.status_code == 422 and "Choose a contact to add." in r.text
    assert 'value="Kept role"' in r.text and 'value="kept query"' in r.text
    r = admin_client.post(f"/clients/{acme.id}/contacts", data={"action": "add_existing"})
    assert r.status_code == 422 and "<html" in r.text and "Choose a contact to add." in r.text


def test_link_unknown_contact(admin_client, acme):
    data = {"action": "add_existing", "pick_contact_id": "999"}
    r = admin_client.post(f"/clients/{acme.id}/contacts", headers=SECTION, data=data)
    assert r.status_code == 422 and "no longer exists" in r.text
    r = admin_client.post(f"/clients/{acme.id}/contacts", data=data)
    assert r.status_code == 303
    assert "no longer exists" in admin_client.get(r.headers["Location"]).text
    assert list(links(acme)) == ["Jane Doe"]


def test_link_already_linked_is_refused(admin_client, acme, jane):
    r = admin_client.post(f"/clients/{acme.id}/contacts", headers=SECTION,
                          data={"action": "add_existing", "pick_contact_id": jane.id})
    assert r.status_code == 422 and "already linked" in r.text


def test_role_too_long_is_422_and_nothing_is_written(admin_client, acme):
    bob = person("Bob", "Roe")
    r = admin_client.post(f"/clients/{acme.id}/contacts", headers=SECTION,
                          data={"action": "add_existing", "pick_contact_id": bob.id,
                                "role": "r" * 101})
    assert r.status_code == 422 and 'aria-invalid="true"' in r.text
    assert list(links(acme)) == ["Jane Doe"] and not events(acme, "contact_linked")[1:]


def test_search_without_javascript_fills_the_select(admin_client, acme):
    bob, rob = person("Bob", "Roe"), person("Robert", "Roe")
    r = admin_client.post(f"/clients/{acme.id}/contacts",
                          data={"action": "search_contacts", "contact_q": "roe", "role": "x"})
    assert r.status_code == 200 and "<html" in r.text
    for c in (bob, rob):
        assert f'<option value="{c.id}"' in r.text
    assert "Jane Doe · jane@example.com</option>" not in r.text  # already linked
    assert list(links(acme)) == ["Jane Doe"]


# -- add a new contact inline -----------------------------------------------------------

def test_add_new_contact_htmx(admin_client, acme):
    r = admin_client.post(f"/clients/{acme.id}/contacts", headers=SECTION,
                          data={"action": "add_new", "first_name": "Ann", "last_name": "Lee",
                                "email": "ANN@Example.com", "role": "Director"})
    assert r.status_code == 200 and r.headers["HX-Trigger"] == "contacts-changed"
    assert links(acme)["Ann Lee"] == ("Director", False)
    assert db.session.scalars(db.select(Contact).where(
        Contact.first_name == "Ann")).one().email == "ANN@example.com"
    assert events(acme, "contact_added")


@pytest.mark.parametrize("headers", [SECTION, {}])
def test_add_new_contact_invalid_keeps_input(admin_client, acme, headers):
    r = admin_client.post(f"/clients/{acme.id}/contacts", headers=headers,
                          data={"action": "add_new", "first_name": "", "last_name": "Lee",
                                "email": "nope"})
    assert r.status_code == 422
    assert "first name" in r.text.lower() and 'value="Lee"' in r.text
    assert 'id="new-contact-email-error"' in r.text
    assert db.session.scalar(db.select(db.func.count(Contact.id))) == 1  # only Jane


def test_add_new_contact_plain(admin_client, acme):
    r = admin_client.post(f"/clients/{acme.id}/contacts",
                          data={"action": "add_new", "first_name": "Ann", "make_primary": "y"})
    assert r.status_code == 303
    assert links(acme) == {"Ann": (None, True), "Jane Doe": (None, False)}


# -- unlink and primary -----------------------------------------------------------------

def test_make_primary_and_unlink_htmx(admin_client, admin, acme, jane):
    link = cs.add_contact(acme, cs.NewContact("Bob", "Roe"), make_primary=False, user=admin)
    bob_id = link.contact_id
    r = admin_client.post(f"/clients/{acme.id}/contacts/{bob_id}/primary", headers=SECTION)
    assert r.status_code == 200 and r.headers["HX-Trigger"] == "contacts-changed"
    assert "Bob Roe is now the primary contact." in r.text
    assert links(acme) == {"Bob Roe": (None, True), "Jane Doe": (None, False)}
    assert events(acme, "primary_changed")
    r = admin_client.post(f"/clients/{acme.id}/contacts/{jane.id}/unlink", headers=SECTION)
    assert r.status_code == 200 and "Unlinked Jane Doe." in r.text
    assert links(acme) == {"Bob Roe": (None, True)}
    assert db.session.get(Contact, jane.id) is not None  # still in the register
    assert events(acme, "contact_unlinked")


def test_unlinking_the_primary_is_refused(admin_client, admin, acme, jane):
    cs.add_contact(acme, cs.NewContact("Bob", "Roe"), make_primary=False, user=admin)
    r = admin_client.post(f"/clients/{acme.id}/contacts/{jane.id}/unlink", headers=SECTION)
    assert r.status_code == 422 and "Make another contact primary first." in r.text
    assert "HX-Trigger" not in r.headers
    r = admin_client.post(f"/clients/{acme.id}/contacts/{jane.id}/unlink")
    assert r.status_code == 303
    page = admin_client.get(r.headers["Location"]).text
    assert "Make another contact primary first." in page
    assert links(acme)["Jane Doe"] == (None, True)


def test_plain_make_primary_redirects(admin_client, admin, acme):
    link = cs.add_contact(acme, cs.NewContact("Bob"), make_primary=False, user=admin)
    r = admin_client.post(f"/clients/{acme.id}/contacts/{link.contact_id}/primary")
    assert r.status_code == 303 and links(acme)["Bob"] == (None, True)


def test_operations_on_unknown_things(admin_client, acme):
    assert admin_client.post("/clients/999/contacts", data={"action": "add_new"}
                             ).status_code == 404
    r = admin_client.post(f"/clients/{acme.id}/contacts/999/primary", headers=SECTION)
    assert r.status_code == 422 and "not linked" in r.text
    r = admin_client.post(f"/clients/{acme.id}/contacts/999/unlink", headers=SECTION)
    assert r.status_code == 422


def test_get_is_not_allowed(admin_client, acme, jane):
    assert admin_client.get(f"/clients/{acme.id}/contacts/{jane.id}/unlink").status_code == 405


def test_csrf_is_required(app, admin_client, acme, jane):
    app.config["WTF_CSRF_ENABLED"] = True
    r = admin_client.post(f"/clients/{acme.id}/contacts/{jane.id}/unlink", headers=SECTION)
    assert r.status_code == 400


def test_hostile_role_and_name_rendered_inert(admin_client, acme):
    evil = "<script>alert(1)</script>"
    r = admin_client.post(f"/clients/{acme.id}/contacts", headers=SECTION,
                          data={"action": "add_new", "first_name": evil, "role": evil})
    assert r.status_code == 200
    assert evil not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert links(acme)[evil] == (evil, False)
    assert evil not in admin_client.get(f"/clients/{acme.id}").text


def test_search_without_javascript_says_when_nothing_matches(admin_client, acme):
    r = admin_client.post(f"/clients/{acme.id}/contacts",
                          data={"action": "search_contacts", "contact_q": "nobody"})
    assert r.status_code == 200 and "No contacts match “\u2068nobody\u2069”" in r.text
