"""Notes on a client: plain text, pinned first; anyone adds, the author or an admin changes.

Every function owns its transaction and records an activity event beside the change.
"""
from __future__ import annotations

from sqlalchemy.orm import selectinload

from cone.services import audit, validation
from cone.services.models import Client, Note, User, db
from cone.services.tx import transaction

MAX_LENGTH = 10_000
EXCERPT = 80


class NoteInvalid(Exception):
    """The note cannot be saved as typed; .errors maps "body" to messages."""

    def __init__(self, message: str):
        self.errors = {"body": [message]}
        super().__init__(message)


class NotAllowed(Exception):
    """Only the note's author or an admin may change it."""


def can_change(note: Note, user: User | None) -> bool:
    """True when user may edit, pin or delete the note: its author, or any admin."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_admin or (note.author_id is not None and note.author_id == user.id)


def clean_body(body: str | None) -> str:
    """The note's text with line endings unified and outer blank space trimmed; NoteInvalid
    when it is empty, too long or holds a control character (tab and line breaks are fine)."""
    # Browsers post CRLF; keep one form so lengths and diffs mean the same everywhere
    text = (body or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    try:
        validation.plain_text(text, multiline=True)
    except validation.Invalid as e:
        raise NoteInvalid(str(e)) from None
    if not text:
        raise NoteInvalid("Write something before saving the note.")
    if len(text) > MAX_LENGTH:
        raise NoteInvalid(f"A note can be at most {MAX_LENGTH:,} characters; "
                          f"this one has {len(text):,}.")
    return text


def excerpt(text: str) -> str:
    """The note's first line, shortened for an activity summary."""
    first = text.split("\n", 1)[0]
    if len(first) > EXCERPT:
        return first[:EXCERPT].rstrip() + "…"
    return first + ("…" if "\n" in text else "")


def list_notes(client_id: int, *, pinned_only: bool = False) -> list[Note]:
    """The client's notes, pinned first, newest first within each group, authors loaded."""
    stmt = (db.select(Note).where(Note.client_id == client_id)
            .options(selectinload(Note.author))
            .order_by(Note.pinned.desc(), Note.created_at.desc(), Note.id.desc()))
    if pinned_only:
        stmt = stmt.where(Note.pinned.is_(True))
    return list(db.session.scalars(stmt))


def get_note(client_id: int, note_id: int) -> Note | None:
    """The note with this id if it belongs to this client, else None."""
    note = db.session.get(Note, note_id)
    return note if note is not None and note.client_id == client_id else None


def _require(note: Note, user: User) -> None:
    """NotAllowed unless user may change the note."""
    if not can_change(note, user):
        raise NotAllowed("Only the note's author or an admin can change it.")


def add_note(client: Client, body: str | None, *, user: User) -> Note:
    """Add a note to the client, written by user."""
    text = clean_body(body)
    note = Note(client_id=client.id, author_id=user.id, body=text)
    with transaction():
        db.session.add(note)
        audit.record("note_added", f"Added a note: {excerpt(text)}", user=user,
                     client_id=client.id)
    return note


def edit_note(note: Note, body: str | None, *, user: User) -> Note:
    """Replace the note's text; the event keeps the before and after."""
    _require(note, user)
    text = clean_body(body)
    if text == note.body:
        return note
    with transaction():
        before, note.body = note.body, text
        audit.record("note_edited", f"Edited a note: {excerpt(text)}", user=user,
                     client_id=note.client_id,
                     changes=[{"field": "note", "before": before, "after": text}])
    return note


def set_pinned(note: Note, pinned: bool, *, user: User) -> Note:
    """Pin the note to the top of the list (and the overview), or unpin it."""
    _require(note, user)
    if note.pinned == pinned:
        return note
    verb = "Pinned" if pinned else "Unpinned"
    with transaction():
        note.pinned = pinned
        audit.record(f"note_{verb.lower()}", f"{verb} a note: {excerpt(note.body)}", user=user,
                     client_id=note.client_id)
    return note


def delete_note(note: Note, *, user: User) -> None:
    """Delete the note; its text stays in the activity event as the "before"."""
    _require(note, user)
    with transaction():
        audit.record("note_deleted", f"Deleted a note: {excerpt(note.body)}", user=user,
                     client_id=note.client_id,
                     changes=[{"field": "note", "before": note.body, "after": None}])
        db.session.delete(note)
