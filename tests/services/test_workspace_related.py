"""Related clients: shared contacts, and officers or PSCs seen on other clients."""
from datetime import date

import pytest

from cone.services import clients as cs
from cone.services import contacts, related
from cone.services.models import CompaniesHouseProfile, Officer, SignificantControl, db
from tests.helpers import hx

PANEL = hx("workspace-panel")


def business(user, name, *contact_ids):
    choices = [cs.ContactChoice(i) for i in contact_ids]
    new = [] if choices else [cs.NewContact("Ann", "Archer")]
    return cs.create_client("business", {"legal_name": name},
                            cs.ContactsInput(new=new, existing=choices,
                                             primary="existing:0" if choices else "new:0"),
                            user=user)


def individual(user, first, last, dob=None):
    return cs.create_client("individual", {"first_name": first, "last_name": last,
                                           "date_of_birth": dob},
                            cs.ContactsInput(new=[], existing=[], primary="self"), user=user)


def profile(client, number, officers=(), pscs=()):
    p = CompaniesHouseProfile(client_id=client.id, company_number=number,
                              company_name=client.display_name)
    p.officers = [Officer(**o) for o in officers]
    p.significant_controls = [SignificantControl(**s) for s in pscs]
    db.session.add(p)
    db.session.commit()
    return p


@pytest.mark.parametrize("name, key", [
    ("SMITH, John Andrew", ("john", "smith")),
    ("Mr John Andrew Smith", ("john", "smith")),
    ("O'BRIEN-SMITH, José", ("jose", "obrien-smith")),
    ("Dr. Jane  DOE", ("jane", "doe")),
    ("Smith", None),
    ("", None),
])
def test_name_key(name, key):
    assert related.name_key(name) == key


def test_birth_month_and_year_must_agree_only_when_both_are_known():
    assert related.same_birth((3, 1970), (3, 1970))
    assert related.same_birth((3, 1970), (None, None))
    assert not related.same_birth((3, 1970), (4, 1970))


def test_clients_sharing_a_contact(staff_client, staff):
    jane = contacts.create_contact({"first_name": "Jane", "last_name": "Doe"}, user=None)
    bob = contacts.create_contact({"first_name": "Bob", "last_name": "Roe"}, user=None)
    acme = business(staff, "Acme Ltd", jane.id, bob.id)
    beta = business(staff, "Beta Ltd", jane.id)
    gamma = business(staff, "Gamma Ltd", bob.id, jane.id)
    business(staff, "Unrelated Ltd")
    shared = related.shared_contacts(acme)
    assert [(s.client.display_name, sorted(s.contacts)) for s in shared] == [
        ("Beta Ltd", ["Jane Doe"]), ("Gamma Ltd", ["Bob Roe", "Jane Doe"])]
    r = staff_client.get(f"/clients/{beta.id}?tab=related", headers=PANEL)
    assert "Acme Ltd" in r.text and "Gamma Ltd" in r.text and "Unrelated Ltd" not in r.text
    assert f'href="/clients/{gamma.id}"' in r.text


def test_director_matches_an_individual_client_and_other_companies(staff_client, staff):
    acme, beta, gamma = (business(staff, n) for n in ("Acme Ltd", "Beta Ltd", "Gamma Ltd"))
    john = individual(staff, "John", "Smith", date(1970, 3, 9))
    individual(staff, "John", "Smith", date(1980, 1, 1))  # another John Smith: born elsewhen
    profile(acme, "00000001",
            officers=[{"name": "SMITH, John Andrew", "role": "director", "birth_month": 3,
                       "birth_year": 1970},
                      {"name": "JONES, Mary", "role": "secretary"},
                      {"name": "GONE, Gary", "role": "director", "resigned_on": date(2020, 1, 1)}],
            pscs=[{"name": "Mr John Andrew Smith", "birth_month": 3, "birth_year": 1970,
                   "kind": "individual-person-with-significant-control"}])
    profile(beta, "00000002", officers=[{"name": "SMITH, John", "role": "director",
                                         "birth_month": 3, "birth_year": 1970},
                                        {"name": "GONE, Gary", "role": "director"}])
    profile(gamma, "00000003", officers=[
        {"name": "SMITH, John", "role": "director", "birth_month": 4, "birth_year": 1970},
        {"name": "SMITH, John", "role": "director", "resigned_on": date(2019, 1, 1)}],
        pscs=[{"name": "Mrs Mary Jones", "kind": "individual-person-with-significant-control"}])

    people = related.company_people(acme, db.session.get(CompaniesHouseProfile, 1))
    assert [(p.name, p.roles, p.is_client, [(c.display_name, r) for c, r in p.elsewhere])
            for p in people] == [
        ("JONES, Mary", ["Secretary"], None, [("Gamma Ltd", "Person with significant control")]),
        ("SMITH, John Andrew", ["Director", "Person with significant control"], john,
         [("Beta Ltd", "Director")]),
    ]  # Gamma's John Smith was born in April; Gary resigned from Acme
    r = staff_client.get(f"/clients/{acme.id}?tab=related", headers=PANEL)
    assert "Officers and PSCs known elsewhere" in r.text and f'href="/clients/{john.id}"' in r.text
    assert "Beta Ltd" in r.text and "GONE, Gary" not in r.text

    r = staff_client.get(f"/clients/{john.id}?tab=related", headers=PANEL)
    assert "Acme Ltd" in r.text and "Beta Ltd" in r.text and "Gamma Ltd" not in r.text
    assert "Director (as SMITH, John)" in r.text
    assert [(c.display_name, role) for c, role, _ in related.appointments(john)] == [
        ("Acme Ltd", "Director"), ("Acme Ltd", "Person with significant control"),
        ("Beta Ltd", "Director")]


def test_corporate_psc_matches_a_client_company_by_number(staff, staff_client, make_client):
    parent = make_client(legal_name="Parent Holdings Ltd", company_number="09999999", user=staff)
    child = business(staff, "Child Ltd")
    profile(child, "00000004", pscs=[{
        "name": "PARENT HOLDINGS LIMITED", "registration_number": "09999999",
        "kind": "corporate-entity-person-with-significant-control"}])
    [person] = related.company_people(child, db.session.get(CompaniesHouseProfile, 1))
    assert person.is_client == parent and person.roles == ["Person with significant control"]


def test_related_empty_states(staff_client, staff):
    acme = business(staff, "Acme Ltd")
    r = staff_client.get(f"/clients/{acme.id}?tab=related", headers=PANEL)
    assert "No other client shares a contact" in r.text
    assert "Link this client to Companies House" in r.text
    profile(acme, "00000001", officers=[{"name": "LONE, Larry", "role": "director"}])
    r = staff_client.get(f"/clients/{acme.id}?tab=related", headers=PANEL)
    assert "None of its current officers or PSCs" in r.text
    jane = individual(staff, "Jane", "Doe")
    r = staff_client.get(f"/clients/{jane.id}?tab=related", headers=PANEL)
    assert "is not a current officer or PSC of any client company" in r.text
