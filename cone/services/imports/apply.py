"""Writing one imported customer: create a client, link a match, update a linked client, resync.

Each function works inside the caller's transaction (imports.run_import commits or rolls back
per record) and raises RecordFailed with a sentence when the record cannot be written: only a
customer with no usable name, or a client that cannot take the link. A value Cone cannot keep
is left empty instead, and the link's `warnings` say which and why (imports/cleaning.py).
"""
from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy import select

from cone.services import audit
from cone.services.clients.contacts import PreparedContacts, attach_contacts
from cone.services.clients.fields import ADDRESS_FIELDS, FIELD_LABELS, fields_for
# Imports write clients exactly as the forms do
from cone.services.clients import changes
from cone.services.imports.cleaning import Cleaned, clean_customer
from cone.services.imports.names import usable
from cone.services.models import Address, Client, ExternalLink, User, db, utcnow
from cone.services.providers.accounting import ContactPerson, ExternalCustomer
from cone.services.sources import OWNED_FIELDS, link_to, source_name

# Fields the platform keeps up to date on every run (OWNED_FIELDS for the platforms)
SYNCED = OWNED_FIELDS["xero"]
# Fields an import fills in when the client has none, but never overwrites
FILLED = frozenset({"company_number", "home_address", "known_as"})
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


def name_problem(customer: ExternalCustomer, kind: str, values: dict[str, Any]) -> str | None:
    """Why the customer cannot become a client: it has no usable name at all (else None)."""
    named = ("legal_name",) if kind == "business" else ("first_name", "last_name", "known_as")
    if any(usable(values.get(n)) for n in named):
        return None
    shown = f" (“{customer.name.strip()}”)" if (customer.name or "").strip() else ""
    return (f"{source_name(customer.provider)} has no usable name for this record{shown}: "
            "a client needs one.")


def settle(warnings: list[dict], client: Client | None = None) -> list[dict] | None:
    """The warnings as a link keeps them; a field the client already holds was not emptied."""
    out = []
    for w in warnings:
        held = client is not None and w["field"] in FIELD_LABELS and \
            getattr(client, w["field"], None)
        if held and w["message"].endswith(": left empty."):
            w = dict(w, message=w["message"].removesuffix("left empty.") +
                     "the client's value was kept.")
        out.append(w)
    return out or None


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


@dataclasses.dataclass
class NewClient:
    """A created record before it is written: the client, its link and its contacts, none of
    them in the session yet (create() adds them one by one, bulk_create.py a batch at once)."""
    client: Client
    link: ExternalLink
    summary: str  # the "imported" event's
    people: PreparedContacts | None


def prepare(customer: ExternalCustomer, user: User | None, *, kind: str | None = None
            ) -> NewClient:
    """The client the customer becomes (of kind, when a person chose it); RecordFailed when it
    has no usable name. Values it cannot keep are left empty and listed on the link."""
    kind = kind or customer.kind
    cleaned = clean_customer(customer, kind)
    problem = name_problem(customer, kind, cleaned.values)
    if problem:
        raise RecordFailed(problem)
    client = changes.build_client(kind, cleaned.values, user)
    link = ExternalLink(provider=customer.provider, tenant_id=customer.tenant_id,
                        external_id=customer.external_id,
                        active=customer.provider not in PASSIVE, warnings=settle(cleaned.warnings))
    _touch(link, customer)
    parent = customer.parent_name or customer.parent_external_id
    whose = f" (sub-customer of {parent})" if parent else ""
    summary = (f"Imported {kind} client {client.display_name} from "
               f"{source_name(customer.provider)}{whose}")
    return NewClient(client, link, summary, cleaned.people)


def create(customer: ExternalCustomer, user: User | None, *, kind: str | None = None) -> Client:
    """A new client from the customer, linked to it, with its people as contacts."""
    new = prepare(customer, user, kind=kind)
    client = new.client
    db.session.add(client)
    db.session.flush()  # its id, for the events
    new.link.client = client
    db.session.add(new.link)
    audit.record("imported", new.summary, user=user, client_id=client.id,
                 changes=changes.created(client))
    if new.people is not None:
        attach_contacts(client, new.people, user=user)
    return client


def _changes(client: Client, values: dict[str, Any]) -> dict[str, Any]:
    """The values that differ from what the client holds."""
    return {n: v for n, v in values.items() if not changes.same(v, changes.current(client, n))}


def _incoming(client: Client, customer: ExternalCustomer, *, fill: bool) -> tuple[dict, Cleaned]:
    """Synced fields the customer provides (and, when fill, empty fields it can fill)."""
    allowed = set(fields_for(client.kind))
    cleaned = clean_customer(customer, client.kind)
    values = cleaned.values
    keep = {n: v for n, v in values.items() if n in SYNCED and n in allowed and v}
    if fill:
        keep.update({n: v for n, v in values.items()
                     if n in FILLED and n in allowed and not changes.current(client, n)})
    return keep, cleaned


def _diff(client: Client, changed: dict[str, Any], user: User | None) -> list[dict]:
    """Apply changed values; the field-level changes with labels."""
    before = {n: changes.current(client, n) for n in changed}
    changes.apply(client, changed, user)
    diff = []
    for n in changed:
        after = changes.current(client, n)
        change = {"field": n, "label": FIELD_LABELS[n], "before": audit.plain(before[n]),
                  "after": audit.plain(after)}
        if n in ADDRESS_FIELDS:  # the parts too: the words join them, an undo needs them apart
            change.update(before_parts=dataclasses.asdict(before[n]),
                          after_parts=dataclasses.asdict(after))
        diff.append(change)
    return diff


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
    incoming, cleaned = _incoming(client, customer, fill=True)
    changed = _changes(client, incoming)
    people = cleaned.people if not client.contact_links else None
    changes = _diff(client, changed, user) if changed else []
    existing = link_to(client, customer.provider, customer.external_id, customer.tenant_id)
    existing.active = customer.provider not in PASSIVE
    existing.warnings = settle(cleaned.warnings, client)
    _touch(existing, customer)
    audit.record("linked", f"Linked to {source_name(customer.provider)} customer "
                 f"{customer.name}", user=user, client_id=client.id, changes=_unlabelled(changes))
    if people is not None:
        attach_contacts(client, people, user=user)
    return changes


def update(client: Client, link_: ExternalLink, customer: ExternalCustomer, user: User | None,
           *, touch_unchanged: bool = False) -> list[dict]:
    """Bring a linked client up to date; unchanged ones are left alone unless touch_unchanged.

    The link's warnings are those of this version of the record: one fixed on the platform
    disappears."""
    incoming, cleaned = _incoming(client, customer, fill=False)
    changed = _changes(client, incoming)
    warnings = settle(cleaned.warnings, client)
    if link_.warnings != warnings:
        link_.warnings = warnings
    if not changed and not touch_unchanged:
        return []
    changes = _diff(client, changed, user) if changed else []
    _touch(link_, customer)
    return changes
