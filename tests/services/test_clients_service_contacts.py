"""clients service: linking, adding, unlinking contacts and moving the primary flag."""
import pytest
from sqlalchemy import func, select

from cone.services import clients as cs
from cone.services.models import ActivityEvent, Client, ClientContact, Contact, db


def business(user, name="Acme Ltd"):
    contacts = cs.ContactsInput(new=[cs.NewContact("Jane", "Doe")], existing=[], primary="new:0")
    return cs.create_client("business", {"legal_name": name}, contacts, user=user)


def bulk_client(name="Imported Ltd") -> Client:
    """A client as an import makes it: no "created" event and no contacts yet."""
    client = Client(kind="business", legal_name=name, display_name=name)
    db.session.add(client)
    db.session.commit()
    return client


def person(first="Raj", last="Patel") -> Contact:
    contact = Contact(first_name=first, last_name=last)
    db.session.add(contact)
    db.session.commit()
    return contact


def last_event(client) -> ActivityEvent:
    return db.session.scalar(select(ActivityEvent).where(ActivityEvent.client_id == client.id)
                             .order_by(ActivityEvent.id.desc()).limit(1))


def primaries(client) -> list[str]:
    return [cc.contact.first_name for cc in client.contact_links if cc.is_primary]


def test_link_an_existing_contact(admin):
    client, raj = business(admin), person()
    link = cs.link_contact(client, raj.id, role=" Bookkeeper ", make_primary=False, user=admin)
    assert (link.role, link.is_primary) == ("Bookkeeper", False)
    assert primaries(client) == ["Jane"]
    event = last_event(client)
    assert (event.action, event.contact_id, event.user_id) == ("contact_linked", raj.id, admin.id)
    assert event.summary == "Linked contact Raj Patel (Bookkeeper)"
    assert client.version == 1  # contact changes do not make open edit forms stale


def test_link_as_primary_moves_the_flag(admin):
    client, raj = business(admin), person()
    cs.link_contact(client, raj.id, role=None, make_primary=True, user=admin)
    db.session.expire_all()
    assert primaries(client) == ["Raj"]
    event = last_event(client)
    assert event.changes == [{"field": "primary_contact", "before": "Jane Doe",
                              "after": "Raj Patel"}]
    assert event.summary == "Linked contact Raj Patel as the primary contact"


def test_the_first_contact_of_a_bulk_client_becomes_primary(admin):
    client, raj = bulk_client(), person()
    cs.link_contact(client, raj.id, role=None, make_primary=False, user=admin)
    assert primaries(client) == ["Raj"]


def test_link_refusals(admin):
    client = business(admin)
    jane = client.primary_contact
    with pytest.raises(cs.UnknownContact) as err:
        cs.link_contact(client, 9999, role=None, make_primary=False, user=admin)
    assert err.value.errors["contacts"] == ["That contact no longer exists."]
    with pytest.raises(cs.ClientInvalid) as err:
        cs.link_contact(client, jane.id, role=None, make_primary=False, user=admin)
    assert err.value.errors["contacts"] == ["Jane Doe is already linked to this client."]
    with pytest.raises(cs.ClientInvalid) as err:
        cs.link_contact(client, person().id, role="r" * 101, make_primary=False, user=admin)
    assert "at most 100 characters" in err.value.errors["role"][0]
    assert db.session.scalar(select(func.count()).select_from(ClientContact)) == 1


def test_add_a_new_contact(admin):
    client = business(admin)
    link = cs.add_contact(client, cs.NewContact("Łucja", "Nowak", email="LUCJA@Example.com",
                                                role="Finance"), make_primary=True, user=admin)
    assert link.contact.email == "LUCJA@example.com" and link.is_primary
    assert primaries(client) == ["Łucja"]
    event = last_event(client)
    assert event.action == "contact_added" and event.contact_id == link.contact_id
    assert event.summary == "Added new contact Łucja Nowak (Finance) as the primary contact"


def test_add_contact_refuses_bad_details(admin):
    client = business(admin)
    with pytest.raises(cs.ClientInvalid) as err:
        cs.add_contact(client, cs.NewContact("", email="nope", phone="12"), make_primary=False,
                       user=admin)
    assert set(err.value.errors) == {"first_name", "email", "phone"}
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 1


def test_unlink_a_secondary_contact(admin):
    client, raj = business(admin), person()
    cs.link_contact(client, raj.id, role=None, make_primary=False, user=admin)
    cs.unlink_contact(client, raj.id, user=admin)
    assert [cc.contact_id for cc in client.contact_links] == [client.primary_contact.id]
    assert db.session.get(Contact, raj.id) is not None  # the person stays in the register
    event = last_event(client)
    assert (event.action, event.summary, event.contact_id) == (
        "contact_unlinked", "Unlinked contact Raj Patel", raj.id)


def test_the_primary_cannot_be_unlinked(admin):
    client, raj = business(admin), person()
    jane = client.primary_contact
    with pytest.raises(cs.ClientInvalid) as err:  # the only contact of a hand-made client
        cs.unlink_contact(client, jane.id, user=admin)
    assert err.value.errors["contacts"] == ["Make another contact primary first."]
    cs.link_contact(client, raj.id, role=None, make_primary=False, user=admin)
    with pytest.raises(cs.ClientInvalid):
        cs.unlink_contact(client, jane.id, user=admin)
    db.session.expire_all()
    assert primaries(client) == ["Jane"] and len(client.contact_links) == 2


def test_the_only_contact_of_a_bulk_client_can_be_unlinked(admin):
    client, raj = bulk_client(), person()
    cs.link_contact(client, raj.id, role=None, make_primary=False, user=admin)
    cs.unlink_contact(client, raj.id, user=admin)
    assert client.contact_links == []


def test_unlink_a_contact_that_is_not_linked(admin):
    client = business(admin)
    with pytest.raises(cs.ClientInvalid) as err:
        cs.unlink_contact(client, person().id, user=admin)
    assert err.value.errors["contacts"] == ["That contact is not linked to this client."]


def test_set_primary_contact(admin):
    client, raj = business(admin), person()
    jane_id = client.primary_contact.id
    cs.link_contact(client, raj.id, role=None, make_primary=False, user=admin)
    cs.set_primary_contact(client, raj.id, user=admin)
    db.session.expire_all()
    assert primaries(client) == ["Raj"]
    event = last_event(client)
    assert (event.action, event.summary) == ("primary_changed", "Made Raj Patel the primary contact")
    assert event.changes == [{"field": "primary_contact", "before": "Jane Doe",
                              "after": "Raj Patel"}]
    count = db.session.scalar(select(func.count()).select_from(ActivityEvent))
    cs.set_primary_contact(client, raj.id, user=admin)  # already primary: nothing recorded
    assert db.session.scalar(select(func.count()).select_from(ActivityEvent)) == count
    with pytest.raises(cs.ClientInvalid):
        cs.set_primary_contact(client, person("Ann", "Lee").id, user=admin)
    # The old primary is now an ordinary contact and can go
    cs.unlink_contact(client, jane_id, user=admin)
    assert [cc.contact_id for cc in client.contact_links] == [raj.id]


def test_a_contact_linked_to_two_clients_is_one_person(admin):
    first, second = business(admin), business(admin, "Beta Ltd")
    jane = first.primary_contact
    cs.link_contact(second, jane.id, role="Adviser", make_primary=False, user=admin)
    assert {cc.client_id for cc in jane.client_links} == {first.id, second.id}
