"""The contacts service: search, create, edit with optimistic locking and events."""
import pytest

from cone.services import clients as cs
from cone.services import contacts
from cone.services.models import ActivityEvent, Address, ClientContact, Contact, db


def person(first, last=None, email=None, **extra):
    return contacts.create_contact({"first_name": first, "last_name": last, "email": email,
                                    **extra}, user=None)


def names(found):
    return [c.name for c in found]


@pytest.fixture
def people(app_ctx):
    return [person("John", "Smith", "john@example.com"), person("Joanna", "Smithers"),
            person("Emily", "Jones", "em@jones.example"), person("Zoë", "Brontë-Ávila"),
            person("Ann", "smith")]


@pytest.mark.parametrize("q, expected", [
    ("jo sm", ["John Smith", "Joanna Smithers"]),
    ("JOHN", ["John Smith"]),
    ("smith", ["Ann smith", "John Smith", "Joanna Smithers"]),
    ("john smith", ["John Smith"]),
    ("em@jon", ["Emily Jones"]),
    ("zoe", ["Zoë Brontë-Ávila"]),
    ("avila", ["Zoë Brontë-Ávila"]),
    ("BRONTË", ["Zoë Brontë-Ávila"]),
    ("mith", []),
    ("%", []),
    ("_ohn", []),
])
def test_search_matches_word_prefixes_ignoring_case_and_accents(people, q, expected):
    assert names(contacts.search_contacts(q)) == expected


def test_search_orders_by_last_then_first_name_and_honours_limit_and_exclude(people):
    everyone = names(contacts.search_contacts(""))
    assert everyone == ["Zoë Brontë-Ávila", "Emily Jones", "Ann smith", "John Smith",
                        "Joanna Smithers"]
    assert len(contacts.search_contacts("", limit=2)) == 2
    john = people[0]
    assert names(contacts.search_contacts("smith", exclude_ids=[john.id])) == [
        "Ann smith", "Joanna Smithers"]


def test_choices_label_name_and_email(people):
    assert contacts.choices("john", 5) == [(people[0].id, "John Smith · john@example.com")]
    assert contacts.choices("joanna", 5) == [(people[1].id, "Joanna Smithers")]


def test_list_contacts_paginates(people):
    page = contacts.list_contacts("", page=2, per_page=2)
    assert page.total == 5 and page.pages == 3
    assert names(page.items) == ["Ann smith", "John Smith"]
    assert contacts.list_contacts("jo sm", page=1, per_page=25).total == 2


def test_create_normalises_and_records(app_ctx, admin):
    c = contacts.create_contact({"first_name": "  Jane ", "last_name": "Doe",
                                 "email": "Jane@Example.COM", "phone": "020 7946 0000",
                                 "address": Address(line1="1 High St", postcode="sw1a1aa")},
                                user=admin)
    assert (c.first_name, c.email, c.address.postcode) == ("Jane", "Jane@example.com", "SW1A 1AA")
    event = db.session.scalars(db.select(ActivityEvent)).one()
    assert (event.action, event.contact_id, event.client_id, event.user_id) == (
        "contact_created", c.id, None, admin.id)


@pytest.mark.parametrize("data, field, message", [
    ({"first_name": "  "}, "first_name", "Enter a first name."),
    ({"first_name": "A", "email": "not-an-email"}, "email", "e-mail"),
    ({"first_name": "A", "phone": "12"}, "phone", ""),
    ({"first_name": "A", "last_name": "x" * 101}, "last_name", "at most 100 characters"),
    ({"first_name": "A\x00B"}, "first_name", "control character"),
    ({"first_name": "A", "address": Address(postcode="nope")}, "address_postcode", "postcode"),
])
def test_create_refuses_bad_data_and_writes_nothing(app_ctx, data, field, message):
    with pytest.raises(contacts.ContactInvalid) as e:
        contacts.create_contact(data, user=None)
    assert field in e.value.errors
    assert message.lower() in " ".join(e.value.errors[field]).lower()
    assert db.session.scalar(db.select(db.func.count(Contact.id))) == 0
    assert db.session.scalar(db.select(db.func.count(ActivityEvent.id))) == 0


def test_foreign_postcode_is_not_checked_against_uk_format(app_ctx):
    c = person("Hans", address=Address(postcode="10115", country="Germany"))
    assert c.address.postcode == "10115"


def test_hostile_text_is_stored_exactly(app_ctx):
    text = "<script>alert('x')</script> O'Brien & \"Sons\""
    c = person(text, text)
    db.session.expire_all()
    assert db.session.get(Contact, c.id).last_name == text


def test_update_writes_one_event_per_linked_client_and_one_for_the_contact(admin, make_client):
    jane = person("Jane", "Doe", "jane@example.com")
    acme = make_client(legal_name="Acme Ltd", contact=jane, user=admin)
    beta = make_client(legal_name="Beta Ltd", contact=jane, user=admin)
    contacts.update_contact(jane, {"first_name": "Jane", "last_name": "Smith",
                                   "email": "jane@example.com"},
                            expected_version=jane.version, user=admin)
    events = db.session.scalars(db.select(ActivityEvent).where(
        ActivityEvent.action == "contact_updated")).all()
    assert sorted((e.client_id or 0, e.contact_id or 0) for e in events) == [
        (0, jane.id), (acme.id, 0), (beta.id, 0)]
    for e in events:
        assert e.changes == [{"field": "last_name", "before": "Doe", "after": "Smith"}]
        assert e.user_id == admin.id
    assert jane.version == 2


def test_update_without_changes_writes_nothing(app_ctx, admin):
    jane = person("Jane", "Doe")
    contacts.update_contact(jane, {"first_name": "Jane", "last_name": "Doe"},
                            expected_version=1, user=admin)
    assert jane.version == 1
    assert db.session.scalar(db.select(db.func.count(ActivityEvent.id)).where(
        ActivityEvent.action == "contact_updated")) == 0


def test_stale_update_is_refused_with_the_differences(app_ctx, admin, staff):
    jane = person("Jane", "Doe", "jane@example.com")
    contacts.update_contact(jane, {"first_name": "Jane", "last_name": "Roe",
                                   "email": "jane@example.com"}, expected_version=1, user=staff)
    with pytest.raises(contacts.StaleContact) as e:
        contacts.update_contact(jane, {"first_name": "Janet", "last_name": "Doe",
                                       "email": "jane@example.com"},
                                expected_version=1, user=admin)
    assert e.value.updated_by.id == staff.id
    assert e.value.differences == [
        {"field": "first_name", "label": "First name", "saved": "Jane", "yours": "Janet"},
        {"field": "last_name", "label": "Last name", "saved": "Roe", "yours": "Doe"}]
    db.session.expire_all()
    saved = db.session.get(Contact, jane.id)
    assert (saved.first_name, saved.last_name, saved.version) == ("Jane", "Roe", 2)


def test_concurrent_update_in_the_database_is_refused(app_ctx, admin):
    jane = person("Jane", "Doe")
    assert jane.version == 1  # loaded: the session now holds version 1
    # another worker saves between our read and our write
    with db.engine.begin() as other:
        other.execute(db.update(Contact).where(Contact.id == jane.id)
                      .values(last_name="Roe", version=2))
    with pytest.raises(contacts.StaleContact) as e:
        contacts.update_contact(jane, {"first_name": "Jane", "last_name": "Poe"},
                                expected_version=1, user=admin)
    assert e.value.contact.last_name == "Roe"
    db.session.expire_all()
    assert db.session.get(Contact, jane.id).last_name == "Roe"


def test_invalid_update_changes_nothing(app_ctx, admin):
    jane = person("Jane", "Doe")
    with pytest.raises(contacts.ContactInvalid):
        contacts.update_contact(jane, {"first_name": "", "email": "bad"}, expected_version=1,
                                user=admin)
    db.session.expire_all()
    assert db.session.get(Contact, jane.id).first_name == "Jane"


def test_linked_clients_current_first_then_by_name(admin, make_client):
    jane = person("Jane", "Doe")
    zed = make_client(legal_name="Zed Ltd", contact=jane, user=admin)
    acme = make_client(legal_name="Acme Ltd", contact=jane, user=admin)
    old = make_client(legal_name="Old Ltd", contact=jane, user=admin)
    cs.archive_client(old, user=admin)
    assert [cc.client.display_name for cc in contacts.linked_clients(jane)] == [
        "Acme Ltd", "Zed Ltd", "Old Ltd"]
    assert db.session.scalar(db.select(db.func.count()).select_from(ClientContact)) == 3
    assert zed.primary_contact is jane
