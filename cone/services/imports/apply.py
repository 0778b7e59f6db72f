"""Writing one imported customer: create a client, link a match, update a linked client, resync.

Each function works inside the caller's transaction (imports.run_import commits or rolls back
per record) and raises RecordFailed with a sentence when the record cannot be written.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy import select

from cone.services import audit
from cone.services.clients.contacts import PreparedContacts, attach_contacts
from cone.services.clients.fields import (ADDRESS_FIELDS, ADDRESS_PART_LABELS, FIELD_LABELS, Errors,
                                         NewContact, clean_client, clean_contact, clean_value,
                                         fields_for)
# Imports write clients exactly as the forms do
from cone.services.clients import changes
from cone.services.models import Address, Client, ExternalLink, User, db, utcnow
from cone.services.providers.accounting import ContactPerson, ExternalCustomer
from cone.services.sources import OWNED_FIELDS, link_to, source_name

# Fields the platform keeps up to date on every run (OWNED_FIELDS for the platforms)
SYNCED = OWNED_FIELDS["xero"]
# Fields an import fills in when the client has none, but never overwrites
FILLED = frozenset({"company_number", "home_address"})
# A CSV file is a one-off source: its links record provenance but own no fields
PASSIVE = frozenset({"csv"})


class RecordFailed(Exception):
    """This record cannot be written; str() says why in words for the summary."""


def customer_json(customer: ExternalCustomer) -> dict:
    """The customer as plain JSON, for ImportRun.plan."""
    data = dataclasses.asdict(customer)
    data["updated_at"] = customer.updated_at.isoformat() if customer.updated_at else None
    return data


def customer_from_json(data: dict) -> ExternalCustomer:
    """The customer stored by customer_json."""
    values = dict(data)
    values["address"] = Address(**(values.get("address") or {}))
    values["people"] = tuple(ContactPerson(**p) for p in values.get("people") or ())
    values["problems"] = tuple(values.get("problems") or ())
    values["other_emails"] = tuple(values.get("other_emails") or ())
    stamp = values.get("updated_at")
    values["updated_at"] = datetime.fromisoformat(stamp) if stamp else None
    return ExternalCustomer(**values)


def _names(customer: ExternalCustomer) -> tuple[str | None, str | None]:
    """First and last name of an individual: given, or split from the display name."""
    if customer.first_name and customer.last_name:
        return customer.first_name, customer.last_name
    words = (customer.name or "").split()
    first = customer.first_name or (words[0] if words else None)
    last = customer.last_name or (" ".join(words[1:]) if len(words) > 1 else None)
    return first, last


def raw_values(customer: ExternalCustomer, kind: str) -> dict[str, Any]:
    """The client fields the customer provides (empty ones left out), before cleaning."""
    if kind == "business":
        data = {"legal_name": customer.name, "company_number": customer.company_number,
                "vat_number": customer.vat_number, "registered_address": customer.address}
    else:
        first, last = _names(customer)
        data = {"first_name": first, "last_name": last, "home_address": customer.address}
    data.update(email=customer.email, phone=customer.phone)
    return {k: v for k, v in data.items() if v}


def _label(key: str) -> str:
    """"VAT number", "Postcode"… for an error key of clean_client or clean_contact."""
    if key in FIELD_LABELS:
        return FIELD_LABELS[key]
    if key.startswith("person"):
        number, _, name = key[len("person"):].partition("-")
        return f"Contact person {int(number) + 1}: {name.replace('_', ' ')}"
    part = key.rsplit("_", 1)[-1]
    return ADDRESS_PART_LABELS.get(part, key.replace("_", " ").capitalize())


def _refuse(errors: Errors, data: dict | None = None) -> None:
    """Fail the record with every problem, quoting the refused value where there is one."""
    def quoted(key: str) -> str:
        value = (data or {}).get(key)
        return f" “{value}”" if isinstance(value, str) else ""
    if errors:
        raise RecordFailed(" ".join(f"{_label(k)}{quoted(k)}: {m}" for k, msgs in errors.items()
                                    for m in msgs))


def clean_values(customer: ExternalCustomer, kind: str, *, partial: bool) -> dict[str, Any]:
    """Checked client values from the customer; a malformed one fails the record.

    Postcodes are kept as the platform has them: a foreign or odd one is not our concern.
    """
    data = raw_values(customer, kind)
    errors = Errors()
    addresses = {name: data.pop(name) for name in list(data) if name in ADDRESS_FIELDS}
    values = clean_client(kind, data, errors, partial=partial)
    for name, address in addresses.items():
        address_errors = Errors()
        values[name] = clean_value(name, address, address_errors)
        address_errors.pop(f"{ADDRESS_FIELDS[name]}_postcode", None)
        errors.update(address_errors)
    _refuse(errors, data)
    return values


def _people(customer: ExternalCustomer) -> PreparedContacts | None:
    """The customer's contact people, checked; the first becomes the primary contact."""
    errors = Errors()
    new = []
    for i, person in enumerate(p for p in customer.people if p.first_name or p.last_name):
        first, last = person.first_name or person.last_name, person.last_name
        if not person.first_name:
            last = None
        new.append(clean_contact(NewContact(first_name=first, last_name=last, email=person.email,
                                            phone=person.phone), errors, f"person{i}-"))
    _refuse(errors)
    return PreparedContacts(new, [], ("new", 0)) if new else None


def _stamp(customer: ExternalCustomer) -> str | None:
    """The record's last-changed time as stored on the link."""
    return customer.updated_at.isoformat() if customer.updated_at else None


def find_link(customer: ExternalCustomer) -> ExternalLink | None:
    """The link of this very record (active, or any link for a CSV file), if one exists."""
    stmt = select(ExternalLink).where(ExternalLink.provider == customer.provider,
                                      ExternalLink.tenant_id == customer.tenant_id,
                                      ExternalLink.external_id == customer.external_id)
    if customer.provider not in PASSIVE:
        stmt = stmt.where(ExternalLink.active.is_(True))
    return db.session.scalars(stmt.order_by(ExternalLink.id).limit(1)).first()


def _touch(link: ExternalLink, customer: ExternalCustomer) -> None:
    """Mark the link synced now, with the record's stamp and payload."""
    link.last_synced_at, link.source_updated, link.payload = utcnow(), _stamp(customer), \
        customer.raw


def create(customer: ExternalCustomer, user: User | None) -> Client:
    """A new client from the customer, linked to it, with its people as contacts."""
    values = clean_values(customer, customer.kind, partial=False)
    people = _people(customer)
    client = changes.new_client(customer.kind, values, user)
    link = ExternalLink(client=client, provider=customer.provider, tenant_id=customer.tenant_id,
                        external_id=customer.external_id,
                        active=customer.provider not in PASSIVE)
    _touch(link, customer)
    db.session.add(link)
    audit.record("imported", f"Imported {customer.kind} client {client.display_name} from "
                 f"{source_name(customer.provider)}", user=user, client_id=client.id,
                 changes=changes.created(client))
    if people is not None:
        attach_contacts(client, people, user=user)
    return client


def _changes(client: Client, values: dict[str, Any]) -> dict[str, Any]:
    """The values that differ from what the client holds."""
    return {n: v for n, v in values.items() if not changes.same(v, changes.current(client, n))}


def _incoming(client: Client, customer: ExternalCustomer, *, fill: bool) -> dict[str, Any]:
    """Synced fields the customer provides (and, when fill, empty fields it can fill)."""
    allowed = set(fields_for(client.kind))
    values = clean_values(customer, client.kind, partial=True)
    keep = {n: v for n, v in values.items() if n in SYNCED and n in allowed}
    if fill:
        keep.update({n: v for n, v in values.items()
                     if n in FILLED and n in allowed and not changes.current(client, n)})
    return keep


def _diff(client: Client, changed: dict[str, Any], user: User | None) -> list[dict]:
    """Apply changed values; the field-level changes with labels."""
    before = {n: audit.plain(changes.current(client, n)) for n in changed}
    changes.apply(client, changed, user)
    return [{"field": n, "label": FIELD_LABELS[n], "before": before[n],
             "after": audit.plain(changes.current(client, n))} for n in changed]


def _unlabelled(changes: list[dict]) -> list[dict] | None:
    """Changes as the activity log stores them: field, before, after."""
    return [{k: c[k] for k in ("field", "before", "after")} for c in changes] or None


def record_resync(client: Client, provider: str, changes: list[dict], user: User | None, *,
                  verb: str = "Resynced") -> None:
    """The "resynced" event: what the platform changed, in words and field by field."""
    labels = ", ".join(c["label"].lower() for c in changes) or "no changes"
    audit.record("resynced", f"{verb} from {source_name(provider)}: {labels}", user=user,
                 client_id=client.id, changes=_unlabelled(changes))


def link(client: Client, customer: ExternalCustomer, user: User | None) -> list[dict]:
    """Link an existing client to the customer: the platform's fields overwrite the client's."""
    current = client.active_link
    if current is not None:
        raise RecordFailed(f"{client.display_name} already takes its details from "
                           f"{source_name(current.provider)}: switch it to manual first.")
    changed = _changes(client, _incoming(client, customer, fill=True))
    people = _people(customer) if not client.contact_links else None
    changes = _diff(client, changed, user) if changed else []
    existing = link_to(client, customer.provider, customer.external_id, customer.tenant_id)
    existing.active = customer.provider not in PASSIVE
    _touch(existing, customer)
    audit.record("linked", f"Linked to {source_name(customer.provider)} customer "
                 f"{customer.name}", user=user, client_id=client.id, changes=_unlabelled(changes))
    if people is not None:
        attach_contacts(client, people, user=user)
    return changes


def update(client: Client, link_: ExternalLink, customer: ExternalCustomer, user: User | None,
           *, touch_unchanged: bool = False) -> list[dict]:
    """Bring a linked client up to date; unchanged ones are left alone unless touch_unchanged."""
    changed = _changes(client, _incoming(client, customer, fill=False))
    if not changed and not touch_unchanged:
        return []
    changes = _diff(client, changed, user) if changed else []
    _touch(link_, customer)
    return changes
