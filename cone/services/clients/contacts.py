"""The people linked to a client: choosing them in the client form, linking, unlinking, primary.

Public names are re-exported by cone.services.clients.editing; import them from there.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from sqlalchemy import select

from cone.services import audit
from cone.services.clients.fields import (ClientInvalid, Errors, NewContact, UnknownContact,
                                         clean_contact, column_length, text)
from cone.services.models import ActivityEvent, Client, ClientContact, Contact, User, db
from cone.services.tx import transaction

ROLE_LENGTH = column_length(ClientContact, "role")


@dataclass
class ContactChoice:
    contact_id: int
    role: str | None = None


@dataclass
class ContactsInput:
    new: list[NewContact] = field(default_factory=list)
    existing: list[ContactChoice] = field(default_factory=list)
    primary: str = ""  # "new:<i>" | "existing:<i>" | "self"


@dataclass
class PreparedContacts:
    """Checked contacts input, ready to be written once the client exists."""
    new: list[NewContact]
    existing: list[tuple[Contact, str | None]]
    primary: tuple[str, int]  # ("new" | "existing" | "self", index)


def prepare_contacts(kind: str, contacts: ContactsInput, errors: Errors
                     ) -> tuple[PreparedContacts | None, bool]:
    """Check the contacts section; returns (prepared or None, whether an id was unknown)."""
    new = [clean_contact(c, errors, f"contacts-{i}-") for i, c in enumerate(contacts.new)]
    ids = [c.contact_id for c in contacts.existing]
    found = {c.id: c for c in db.session.scalars(select(Contact).where(Contact.id.in_(ids)))}
    unknown = any(i not in found for i in ids)
    if unknown:
        errors.add("contacts", "A contact you picked no longer exists: pick it again.")
    existing = []
    for i, choice in enumerate(contacts.existing):
        role = text(choice.role, "Role", ROLE_LENGTH, errors, f"linked-{i}-role")
        existing.append((found.get(choice.contact_id), role))
    kind_, _, index = (contacts.primary or "").partition(":")
    counts = {"new": len(new), "existing": len(existing)}
    if kind_ == "self":
        if kind != "individual":
            errors.add("contacts", "A business cannot be its own contact: "
                                   "choose a person as the primary contact.")
        return PreparedContacts(new, existing, ("self", 0)), unknown
    if kind_ in counts and index.isdigit() and int(index) < counts[kind_]:
        return PreparedContacts(new, existing, (kind_, int(index))), unknown
    if not new and not existing:
        errors.add("contacts", "Add a contact and mark them as the primary contact.")
    else:
        errors.add("contacts", "Choose which contact is the primary contact.")
    return None, unknown


def _describe(contact: Contact, role: str | None, primary: bool) -> str:
    """"Jane Doe (Director) as the primary contact", for event summaries."""
    return (contact.name + (f" ({role})" if role else "")
            + (" as the primary contact" if primary else ""))


def added_summary(contact: Contact, role: str | None, primary: bool) -> str:
    """The "contact_added" event's summary for a contact created with a new client."""
    return f"Added new contact {_describe(contact, role, primary)}"


def attach_contacts(client: Client, prepared: PreparedContacts, *, user: User) -> None:
    """Create and link the contacts of a new client (flushed client; caller commits)."""
    links = []
    if prepared.primary[0] == "self":
        me = Contact(title=client.title, first_name=client.first_name,
                     last_name=client.last_name, email=client.email, phone=client.phone)
        links.append(("contact_added", me, None, True))
    for i, c in enumerate(prepared.new):
        contact = Contact(**{k: v for k, v in dataclasses.asdict(c).items() if k != "role"})
        links.append(("contact_added", contact, c.role, prepared.primary == ("new", i)))
    picked: dict[int, int] = {}  # contact id -> its place in links
    for i, (contact, role) in enumerate(prepared.existing):
        primary = prepared.primary == ("existing", i)
        if contact.id in picked:  # the same person picked twice: link once
            action, _, first_role, was_primary = links[picked[contact.id]]
            links[picked[contact.id]] = (action, contact, first_role, was_primary or primary)
            continue
        picked[contact.id] = len(links)
        links.append(("contact_linked", contact, role, primary))
    for action, contact, role, primary in links:
        db.session.add(contact)
        db.session.flush()
        db.session.add(ClientContact(client=client, contact=contact, role=role,
                                     is_primary=primary))
        summary = (added_summary(contact, role, primary) if action == "contact_added"
                   else f"Linked contact {_describe(contact, role, primary)}")
        audit.record(action, summary, user=user, client_id=client.id, contact_id=contact.id)


def _link(client: Client, contact_id: int) -> ClientContact | None:
    """The client's link to this contact, if any."""
    return next((cc for cc in client.contact_links if cc.contact_id == contact_id), None)


def _make_primary(client: Client, link: ClientContact) -> str | None:
    """Move the primary flag to link; returns the former primary's name."""
    old = next((cc for cc in client.contact_links if cc.is_primary), None)
    if old is link:
        return None
    if old is not None:
        old.is_primary = False
        db.session.flush()  # the unique index allows one primary: clear before setting
    link.is_primary = True
    return old.contact.name if old else None


def link_contact(client: Client, contact_id: int, *, role: str | None, make_primary: bool,
                 user: User) -> ClientContact:
    """Link an existing contact to the client (primary if asked, or if it has none yet)."""
    with transaction():
        contact = db.session.get(Contact, contact_id)
        if contact is None:
            raise UnknownContact({"contacts": ["That contact no longer exists."]})
        if _link(client, contact_id):
            raise ClientInvalid({"contacts": [f"{contact.name} is already linked to this client."]})
        errors = Errors()
        clean_role = text(role, "Role", ROLE_LENGTH, errors, "role")
        if errors:
            raise ClientInvalid(errors)
        link = ClientContact(client=client, contact=contact, role=clean_role, is_primary=False)
        db.session.add(link)
        return _record_link(client, link, make_primary, "contact_linked", "Linked contact", user)


def add_contact(client: Client, new: NewContact, *, make_primary: bool,
                user: User) -> ClientContact:
    """Create a contact from typed-in details and link it to the client."""
    with transaction():
        errors = Errors()
        c = clean_contact(new, errors)
        if errors:
            raise ClientInvalid(errors)
        contact = Contact(**{k: v for k, v in dataclasses.asdict(c).items() if k != "role"})
        link = ClientContact(client=client, contact=contact, role=c.role, is_primary=False)
        db.session.add(link)
        return _record_link(client, link, make_primary, "contact_added", "Added new contact",
                            user)


def _record_link(client, link, make_primary, action, verb, user) -> ClientContact:
    """Settle the primary flag for a new link and record the event."""
    db.session.flush()
    has_primary = any(cc.is_primary for cc in client.contact_links)
    primary = make_primary or not has_primary
    former = _make_primary(client, link) if primary else None
    changes = [{"field": "primary_contact", "before": former, "after": link.contact.name}
               ] if primary else None
    audit.record(action, f"{verb} {_describe(link.contact, link.role, primary)}", user=user,
                 client_id=client.id, contact_id=link.contact_id, changes=changes)
    return link


def _made_by_hand(client: Client) -> bool:
    """Clients from the create form have a "created" event; imports record their own."""
    return db.session.scalar(select(ActivityEvent.id).where(
        ActivityEvent.client_id == client.id, ActivityEvent.action == "created").limit(1)
    ) is not None


def unlink_contact(client: Client, contact_id: int, *, user: User) -> None:
    """Remove a contact from the client; the contact itself stays in the register."""
    with transaction():
        link = _link(client, contact_id)
        if link is None:
            raise ClientInvalid({"contacts": ["That contact is not linked to this client."]})
        only = len(client.contact_links) == 1
        if link.is_primary and (not only or _made_by_hand(client)):
            raise ClientInvalid({"contacts": ["Make another contact primary first."]})
        name = link.contact.name
        client.contact_links.remove(link)
        audit.record("contact_unlinked", f"Unlinked contact {name}", user=user,
                     client_id=client.id, contact_id=contact_id)


def set_primary_contact(client: Client, contact_id: int, *, user: User) -> None:
    """Make a linked contact the client's primary contact."""
    with transaction():
        link = _link(client, contact_id)
        if link is None:
            raise ClientInvalid({"contacts": ["That contact is not linked to this client."]})
        if link.is_primary:
            return
        former = _make_primary(client, link)
        audit.record("primary_changed", f"Made {link.contact.name} the primary contact",
                     user=user, client_id=client.id, contact_id=contact_id,
                     changes=[{"field": "primary_contact", "before": former,
                               "after": link.contact.name}])
