"""Clients by hand: create, edit (optimistic locking), archive, restore, switch to manual.

Every function owns its transaction (services/tx.py): it commits on success, and on failure
rolls back and raises, so no partial rows remain.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm.exc import StaleDataError

from cone.services import audit
from cone.services.clients.changes import (apply, check_users, created, current, new_client,
                                          refuse, same, snapshot)
from cone.services.clients.contacts import ContactsInput, attach_contacts, prepare_contacts
from cone.services.clients.fields import (FIELD_LABELS, Errors, check_year_end, clean_client,
                                         clean_value)
from cone.services.models import Client, User, db, utcnow
from cone.services.sources import PROVIDER_NAMES, NotLinked, owned_fields
from cone.services.tx import transaction


class StaleClient(Exception):
    """Someone saved the client after this form was loaded; nothing was overwritten."""

    def __init__(self, client: Client, differences: list[dict], updated_by: User | None,
                 updated_at):
        self.client, self.differences = client, differences
        self.updated_by, self.updated_at = updated_by, updated_at
        who = updated_by.name if updated_by else "someone else"
        super().__init__(f"This client was changed by {who} while you were editing it.")


class _Unchanged(Exception):
    """Raised inside update_client's transaction when the edit changes nothing: roll it back."""


def unlink_source(client: Client, *, user: User, source: str) -> None:
    """Switch to manual: the active link ends; the owned fields keep their values, now editable.

    The link row stays (inactive) so the history of where the client came from is kept, and
    a re-import from the same record finds it instead of creating a duplicate.
    """
    link = client.active_link
    if link is None:
        raise NotLinked("This client is not linked to any source: its fields are kept by hand.")
    with transaction():
        link.active = False
        audit.record("unlinked", f"Switched to manual: unlinked from {source} record "
                     f"{link.external_id}", user=user, client_id=client.id,
                     changes=[{"field": "source", "before": source, "after": "Manual"}])


def get_client(client_id: int) -> Client | None:
    """The client with this id, or None."""
    return db.session.get(Client, client_id)


def create_client(kind: str, data: dict, contacts: ContactsInput, *, user: User) -> Client:
    """Create a client by hand with its contacts; exactly one of them becomes primary."""
    errors = Errors()
    values = clean_client(kind, data, errors)
    check_year_end(values, errors)
    check_users(values, errors)
    prepared, unknown = prepare_contacts(kind, contacts, errors)
    refuse(errors, unknown)
    with transaction():
        client = new_client(kind, values, user)
        audit.record("created", f"Created {kind} client {client.display_name}", user=user,
                     client_id=client.id, changes=created(client))
        attach_contacts(client, prepared, user=user)
    return client


def _unchanged(client: Client, name: str, raw: Any) -> bool:
    """Whether a submitted value equals the saved one, as typed or once normalised."""
    saved = current(client, name)
    loose = raw.strip() or None if isinstance(raw, str) else raw
    if same(loose, saved):
        return True
    errors = Errors()
    cleaned = clean_value(name, raw, errors)
    return not errors and same(cleaned, saved)


def _stale(client: Client, submitted: dict[str, Any]) -> StaleClient:
    """The conflict: each submitted field whose saved value differs from it."""
    differences = [
        {"field": name, "label": FIELD_LABELS[name], "saved": audit.plain(current(client, name)),
         "yours": audit.plain(value)}
        for name, value in submitted.items() if not same(current(client, name), value)]
    updated_by = db.session.get(User, client.updated_by_id) if client.updated_by_id else None
    return StaleClient(client, differences, updated_by, client.updated_at)


def update_client(client: Client, data: dict, *, expected_version: int, user: User) -> Client:
    """Save an edit of the client, refusing stale forms and changes to source-owned fields."""
    errors = Errors()
    data = dict(data)
    owned = owned_fields(client)
    source = PROVIDER_NAMES.get(client.active_link.provider, "") if owned else ""
    for name in owned & data.keys():
        if _unchanged(client, name, data[name]):
            del data[name]  # the source's value stays exactly as it was synced
        else:
            errors.add(name, f"{FIELD_LABELS[name]} comes from {source}: "
                             "it cannot be changed here.")
    values = clean_client(client.kind, data, errors, partial=True)
    if client.version != int(expected_version):
        stale = _stale(client, values)
        if stale.differences:
            raise stale
    check_year_end({name: values.get(name, getattr(client, name))
                    for name in ("year_end_day", "year_end_month")}, errors)
    check_users(values, errors, client)
    refuse(errors)
    before = snapshot(client)
    try:
        with transaction():
            apply(client, values, user)
            changes = audit.diff(before, snapshot(client))
            if not changes:
                raise _Unchanged
            labels = ", ".join(FIELD_LABELS[c["field"]].lower() for c in changes)
            audit.record("updated", f"Updated {client.display_name}: {labels}", user=user,
                         client_id=client.id, changes=changes)
    except _Unchanged:
        pass  # rolled back: nothing to save, so version and updated_by stay as they were
    except StaleDataError:
        # Another save committed between our read and our UPDATE
        raise _stale(client, values) from None
    return client


def _set_archived(client: Client, archived: bool, *, user: User) -> Client:
    """Archive or restore, recording the event; a no-op when already so."""
    if (client.archived_at is not None) == archived:
        return client
    with transaction():
        client.archived_at = utcnow() if archived else None
        client.updated_by_id = user.id if user else None
        action = "archived" if archived else "restored"
        audit.record(action, f"{action.capitalize()} {client.display_name}", user=user,
                     client_id=client.id,
                     changes=[{"field": "archived", "before": not archived, "after": archived}])
    return client


def archive_client(client: Client, *, user: User) -> Client:
    """Archive the client: it leaves the list but keeps its history."""
    return _set_archived(client, True, user=user)


def restore_client(client: Client, *, user: User) -> Client:
    """Bring an archived client back into the list."""
    return _set_archived(client, False, user=user)
