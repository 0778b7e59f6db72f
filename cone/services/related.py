"""Related clients: who shares a contact, and the people behind a company seen elsewhere.

People are matched on a normalised name (first given name and surname, accents, titles
and punctuation dropped) and, when both sides know it, month and year of birth. A
prefilter on the surname runs in SQL; the exact rule runs here, so the query count stays
fixed however many officers a company has.
"""
from __future__ import annotations

import dataclasses
import re
import unicodedata

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from cone.services.models import (Client, ClientContact, CompaniesHouseProfile, Officer,
                                  SignificantControl, db)
from cone.services.providers.codes import describe_officer_role

TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "sir", "dame", "lord", "lady", "prof",
          "professor", "rev", "revd", "the", "hon"}
NOT_LETTERS = re.compile(r"[^a-z\s,-]")
CORPORATE = ("corporate", "legal-person")

Key = tuple[str, str]


def _fold(text: str) -> str:
    """Lower case, accents and punctuation gone: "O'Brien-Smith, José" -> "obrien-smith jose"."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return NOT_LETTERS.sub("", text.replace(".", " "))


def name_key(name: str) -> Key | None:
    """(first given name, surname) of a person's name as Companies House or a form writes it.

    "SMITH, John Andrew" (officers) and "Mr John Andrew Smith" (PSCs) both give
    ("john", "smith"). None when there is no given name and surname to compare.
    """
    folded = _fold(name)
    if "," in folded:
        surname, _, given = folded.partition(",")
        given_parts, surname = given.split(), " ".join(surname.split())
    else:
        parts = folded.split()
        given_parts, surname = parts[:-1], parts[-1] if parts else ""
    given_parts = [p for p in given_parts if p not in TITLES]
    return (given_parts[0], surname) if given_parts and surname else None


def client_key(client: Client) -> Key | None:
    """The name key of an individual client."""
    first = _fold(client.first_name or "").split()
    last = " ".join(_fold(client.last_name or "").split())
    return (first[0], last) if first and last else None


def same_birth(a: tuple[int | None, int | None], b: tuple[int | None, int | None]) -> bool:
    """Month and year of birth agree, or one side does not know them."""
    return None in a or None in b or a == b


def _surname_filter(column, surnames: set[str]):
    """SQL prefilter: the lowered name contains one of the surnames."""
    return or_(*(func.lower(column).contains(s, autoescape=True) for s in sorted(surnames)))


def _role(row) -> str:
    """An officer's role in words ("llp-designated-member" -> "LLP Designated Member"), or PSC."""
    if isinstance(row, Officer):
        return describe_officer_role(row.role) or "Officer"
    return "Person with significant control"


def _is_corporate(row) -> bool:
    """True for a company or other legal person rather than a human being."""
    kind = row.role if isinstance(row, Officer) else row.kind
    return any(word in (kind or "") for word in CORPORATE)


def _current(model):
    """SQL condition: the officer has not resigned, the PSC has not ceased."""
    return (model.resigned_on if model is Officer else model.ceased_on).is_(None)


@dataclasses.dataclass
class SharedContact:
    """Another client linked to one or more of this client's contacts."""
    client: Client
    contacts: list[str]


@dataclasses.dataclass
class Person:
    """A current officer or PSC of this company and where else the firm knows them."""
    name: str
    roles: list[str]
    is_client: Client | None = None  # the individual (or company) client this person is
    elsewhere: list[tuple[Client, str]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Related:
    """Everything the Related clients tab shows."""
    shared: list[SharedContact]
    people: list[Person]        # for a company: its officers and PSCs who match someone
    appointments: list[tuple[Client, str, str]]  # for an individual: (company, role, name there)


def shared_contacts(client: Client) -> list[SharedContact]:
    """Other clients linked to any contact of this client, by name."""
    mine = select(ClientContact.contact_id).where(ClientContact.client_id == client.id)
    stmt = (select(ClientContact).where(ClientContact.contact_id.in_(mine),
                                        ClientContact.client_id != client.id)
            .options(joinedload(ClientContact.client), joinedload(ClientContact.contact)))
    found: dict[int, SharedContact] = {}
    for link in db.session.scalars(stmt):
        entry = found.setdefault(link.client_id, SharedContact(link.client, []))
        entry.contacts.append(link.contact.name)
    return sorted(found.values(), key=lambda s: s.client.display_name.lower())


def _others(model, surnames: set[str], exclude_client: int):
    """Current officers or PSCs of other clients' companies whose name holds a surname."""
    if not surnames:
        return []
    stmt = (select(model, Client)
            .join(CompaniesHouseProfile, model.profile_id == CompaniesHouseProfile.id)
            .join(Client, Client.id == CompaniesHouseProfile.client_id)
            .where(Client.id != exclude_client, _current(model),
                   _surname_filter(model.name, surnames)))
    return db.session.execute(stmt).all()


def company_people(client: Client, profile: CompaniesHouseProfile | None) -> list[Person]:
    """This company's current officers and PSCs who are clients or sit on other client companies."""
    if profile is None:
        return []
    rows = [r for r in (*profile.officers, *profile.significant_controls)
            if (r.resigned_on if isinstance(r, Officer) else r.ceased_on) is None]
    people: dict[tuple, Person] = {}
    corporate: dict[str, Person] = {}
    for row in rows:
        if _is_corporate(row):
            ident = (getattr(row, "registration_number", None) or "").upper() or row.name.lower()
            corporate.setdefault(ident, Person(row.name, [])).roles.append(_role(row))
            continue
        key = name_key(row.name)
        if key is None:
            continue
        # the same person as officer and PSC is one row with two roles
        ident = (key, row.birth_month, row.birth_year)
        people.setdefault(ident, Person(row.name, [])).roles.append(_role(row))
    surnames = {ident[0][1] for ident in people}
    for model in (Officer, SignificantControl):
        for row, other in _others(model, surnames, client.id):
            key = name_key(row.name)
            for (pkey, month, year), person in people.items():
                seen = (other, _role(row))
                if key == pkey and same_birth((month, year), (row.birth_month, row.birth_year)) \
                        and seen not in person.elsewhere:
                    person.elsewhere.append(seen)
    if surnames:
        stmt = select(Client).where(Client.kind == "individual", Client.id != client.id,
                                    func.lower(Client.last_name).in_(surnames))
        for individual in db.session.scalars(stmt):
            born = individual.date_of_birth
            dob = (born.month, born.year) if born else (None, None)
            for (pkey, month, year), person in people.items():
                if client_key(individual) == pkey and same_birth((month, year), dob):
                    person.is_client = individual
    _match_companies(corporate, client.id)
    found = [p for p in (*people.values(), *corporate.values()) if p.is_client or p.elsewhere]
    for p in found:
        p.elsewhere.sort(key=lambda pair: pair[0].display_name.lower())
    return sorted(found, key=lambda p: p.name.lower())


def _match_companies(corporate: dict[str, Person], exclude_client: int) -> None:
    """Corporate officers and PSCs that are client companies, by number or exact name."""
    if not corporate:
        return
    idents = list(corporate)
    stmt = select(Client).where(Client.kind == "business", Client.id != exclude_client, or_(
        Client.company_number.in_(idents), func.lower(Client.legal_name).in_(idents)))
    for company in db.session.scalars(stmt):
        for ident in ((company.company_number or "").upper(), (company.legal_name or "").lower()):
            if ident in corporate:
                corporate[ident].is_client = company


def appointments(client: Client) -> list[tuple[Client, str, str]]:
    """Client companies where this individual is a current officer or PSC: (company, role, name)."""
    key = client_key(client)
    if key is None:
        return []
    born = client.date_of_birth
    dob = (born.month, born.year) if born else (None, None)
    found = []
    for model in (Officer, SignificantControl):
        for row, company in _others(model, {key[1]}, client.id):
            if name_key(row.name) == key and same_birth(dob, (row.birth_month, row.birth_year)):
                found.append((company, _role(row), row.name))
    return sorted(found, key=lambda t: (t[0].display_name.lower(), t[1]))


def related_clients(client: Client, profile: CompaniesHouseProfile | None) -> Related:
    """Everything the Related clients tab shows for this client."""
    if client.kind == "business":
        return Related(shared_contacts(client), company_people(client, profile), [])
    return Related(shared_contacts(client), [], appointments(client))
