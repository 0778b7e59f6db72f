"""Activity events: who did what to a client or contact, with field-level diffs."""
from __future__ import annotations

import dataclasses
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any, Iterable, Iterator

from sqlalchemy import insert

from cone.services.models import ActivityEvent, Address, User, db, utcnow

# While a bulk writer collects (collecting()), record() keeps its events here for one INSERT
_collected: ContextVar[list[dict] | None] = ContextVar("collected_events", default=None)


def plain(value: Any) -> Any:
    """A JSON-safe form of a stored value, for diffs."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Address):
        return ", ".join(value.lines()) or None
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value] or None  # no tags and an empty tag list are the same
    if dataclasses.is_dataclass(value):
        return plain(dataclasses.asdict(value))
    if value == "":
        return None
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[dict]:
    """Field-level changes between two snapshots: [{field, before, after}]."""
    changes = []
    for field in sorted(set(before) | set(after)):
        old, new = plain(before.get(field)), plain(after.get(field))
        if old != new:
            changes.append({"field": field, "before": old, "after": new})
    return changes


def compare(obj, values: dict[str, Any], names: Iterable[str], labels: dict[str, str],
            keys: tuple[str, str]) -> list[dict]:
    """{field, label, <keys[0]>: obj's value, <keys[1]>: the one in values} where they differ."""
    rows = []
    for name in names:
        ours, theirs = plain(getattr(obj, name)), plain(values.get(name))
        if ours != theirs:
            rows.append({"field": name, "label": labels[name], keys[0]: ours, keys[1]: theirs})
    return rows


def snapshot(obj, fields: Iterable[str]) -> dict[str, Any]:
    """The named attributes of obj as a dict, for diffing later."""
    return {f: getattr(obj, f) for f in fields}


def record(action: str, summary: str, *, user: User | None, client_id: int | None = None,
           contact_id: int | None = None, changes: list[dict] | None = None) -> ActivityEvent:
    """Add an activity event to the session; the caller's transaction commits it.

    Inside collecting(), the event is kept for the collector's one INSERT instead.
    """
    event = ActivityEvent(action=action, summary=summary[:500], client_id=client_id,
                          contact_id=contact_id, user_id=user.id if user else None,
                          changes=changes or None)
    collected = _collected.get()
    if collected is None:
        db.session.add(event)
    else:
        # stamped now, not at the INSERT, so the timeline keeps the order things happened in
        collected.append({"action": event.action, "summary": event.summary,
                          "client_id": client_id, "contact_id": contact_id,
                          "user_id": event.user_id, "changes": event.changes,
                          "created_at": utcnow()})
    return event


@contextmanager
def collecting() -> Iterator[list[dict]]:
    """Keep the events record() makes in the yielded list, for insert_collected().

    A caller that rolls back part of its work (a savepoint) truncates the list to the length
    it had before, so the events of what was undone are dropped with it.
    """
    events: list[dict] = []
    token = _collected.set(events)
    try:
        yield events
    finally:
        _collected.reset(token)


def insert_collected(events: list[dict]) -> None:
    """Write the collected events in one statement, in the caller's transaction."""
    if events:
        db.session.execute(insert(ActivityEvent), events)
