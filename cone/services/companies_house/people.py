"""Officers and PSCs of a mapped client as contacts, one contact per real person.

Contacts carry no date of birth, so "the same person" is found through Companies House itself:
another client's officer or PSC row with the same name and month/year of birth, whose client
is linked to a contact of that name.
"""
from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select

from cone.services.clients.contacts import add_contact, link_contact
from cone.services.clients.fields import NewContact
from cone.services.models import (ClientContact, Client, CompaniesHouseProfile, Contact, Officer,
                                 SignificantControl, User, db)
from cone.services.providers.codes import describe_officer_role

TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "sir", "dame", "lady", "lord", "prof",
          "professor", "rev", "revd", "reverend", "hon", "the"}
PSC_ROLE = "Person with significant control"


class CannotAddPerson(ValueError):
    """The row is not a current person of this client (a company, resigned, or gone)."""


def _nice(word: str) -> str:
    """"SMITH" → "Smith", "O'BRIEN-JONES" → "O'Brien-Jones"; mixed case is kept as typed."""
    return word.title() if word.isupper() else word


def person_name(name: str, *, surname_first: bool) -> tuple[str | None, str, str | None]:
    """(title, first names, surname) from "SMITH, John Andrew" or "Mr John Andrew Smith"."""
    if surname_first and "," in name:
        surname, _, rest = name.partition(",")
        words = rest.replace(",", " ").split()
    else:
        words = name.replace(",", " ").split()
        surname = words.pop() if len(words) > 1 else ""
    title = None
    while words and words[0].rstrip(".").casefold() in TITLES:
        title = (title + " " if title else "") + words.pop(0)
    first = " ".join(_nice(w) for w in words)
    last = " ".join(_nice(w) for w in surname.split())
    if not first:  # a single word: keep it as the first name so the contact is valid
        return title, last, None
    return title, first, last or None


def fold(text: str | None) -> str:
    """Lower case without accents or punctuation, for comparing names."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def _key(first: str | None, last: str | None) -> str:
    """A person's name folded for matching (case, accents and spacing ignored)."""
    return fold(f"{first or ''} {last or ''}")


def _row(client: Client, kind: str, row_id: int):
    """The officer or PSC row with this id on the client's own profile."""
    model = {"officer": Officer, "psc": SignificantControl}.get(kind)
    row = db.session.get(model, row_id) if model else None
    profile = db.session.get(CompaniesHouseProfile, row.profile_id) if row else None
    if row is None or profile.client_id != client.id:
        raise CannotAddPerson("That person is no longer in the Companies House details: "
                              "reload the page.")
    return row


def _role_and_name(kind: str, row) -> tuple[str, tuple]:
    """The role and (title, first, last) of a person to add; refuses companies and leavers."""
    if kind == "officer":
        if (row.role or "").startswith("corporate"):
            raise CannotAddPerson(f"{row.name} is a company, not a person.")
        if row.resigned_on:
            raise CannotAddPerson(f"{row.name} resigned on {row.resigned_on:%d %B %Y}.")
        role = describe_officer_role(row.role) or "Officer"
        return role, person_name(row.name, surname_first=True)
    if not row.kind.startswith("individual"):
        raise CannotAddPerson(f"{row.name} is not a person.")
    if row.ceased_on:
        raise CannotAddPerson(f"{row.name} stopped being a person with significant control "
                              f"on {row.ceased_on:%d %B %Y}.")
    return PSC_ROLE, person_name(row.name, surname_first=False)


def _same_person(row, first: str, last: str | None, exclude_client: Client) -> Contact | None:
    """A contact already standing for this person on another mapped client."""
    if not (row.birth_month and row.birth_year):
        return None  # without a birth month and year two namesakes cannot be told apart
    wanted = _key(first, last)
    for model in (Officer, SignificantControl):
        stmt = (select(Contact, model.name)
                .join(ClientContact, ClientContact.contact_id == Contact.id)
                .join(CompaniesHouseProfile,
                      CompaniesHouseProfile.client_id == ClientContact.client_id)
                .join(model, model.profile_id == CompaniesHouseProfile.id)
                .where(model.birth_month == row.birth_month, model.birth_year == row.birth_year,
                       ClientContact.client_id != exclude_client.id)
                .order_by(Contact.id))
        for contact, other_name in db.session.execute(stmt):
            _, o_first, o_last = person_name(other_name, surname_first=model is Officer)
            if _key(o_first, o_last) == wanted and _key(contact.first_name,
                                                         contact.last_name) == wanted:
                return contact
    return None


def add_person_as_contact(client: Client, kind: str, row_id: int, *,
                          user: User) -> tuple[Contact, bool]:
    """Link the officer/PSC as a contact (the existing one if known); returns (contact, created)."""
    row = _row(client, kind, row_id)
    role, (title, first, last) = _role_and_name(kind, row)
    for cc in client.contact_links:
        if _key(cc.contact.first_name, cc.contact.last_name) == _key(first, last):
            return cc.contact, False  # already a contact of this client
    existing = _same_person(row, first, last, client)
    if existing is not None:
        link_contact(client, existing.id, role=role, make_primary=False, user=user)
        return existing, False
    link = add_contact(client, NewContact(first_name=first, last_name=last, title=title,
                                          role=role), make_primary=False, user=user)
    return link.contact, True
