"""Notes on the workspace: add, edit, pin and delete, inline with htmx or as plain posts.

An htmx request aimed at #client-notes gets that section back (and notes-changed);
anything else gets a flash and a 303 to the Notes tab, or the whole page with a 422.
"""
from flask import abort, flash, redirect, request, url_for

from cone.clients import bp
from cone.clients.views import client_or_404, notes_context, page_context
from cone.htmx import render, wants_region
from cone.services import notes
from cone.web import acting_user

SECTION = {"client-notes": "notes"}


def _note_or_404(client, note_id: int):
    """The client's note, or a 404 (also for another client's note)."""
    return notes.get_note(client.id, note_id) or abort(404)


def _section(client, *, status: int = 200, headers: dict | None = None, editing=None, **extra):
    """The notes section for htmx, otherwise the whole workspace on the Notes tab."""
    context = page_context(client, "notes", **notes_context(client, editing), **extra)
    return render("clients/show.html", fragments=SECTION, status=status, headers=headers,
                  **context)


def _done(client, message: str):
    """Success: the fresh section and an event for other panels, or flash and redirect."""
    if wants_region(SECTION):
        return _section(client, note_message=message, headers={"HX-Trigger": "notes-changed"})
    flash(message, "success")
    # 303 so the browser follows with GET
    url = url_for("clients.show", client_id=client.id, tab="notes")
    return redirect(url + "#client-notes", 303)


@bp.post("/<int:client_id>/notes")
def add_note(client_id: int):
    """Add a note; an empty or over-long one comes back (422) with the text kept."""
    client = client_or_404(client_id)
    body = request.form.get("body", "")
    try:
        notes.add_note(client, body, user=acting_user())
    except notes.NoteInvalid as e:
        return _section(client, status=422, note_errors=e.errors["body"], note_body=body)
    return _done(client, "Note added.")


@bp.post("/<int:client_id>/notes/<int:note_id>")
def edit_note(client_id: int, note_id: int):
    """Save an edited note (its author or an admin only)."""
    client = client_or_404(client_id)
    note = _note_or_404(client, note_id)
    body = request.form.get("body", "")
    try:
        notes.edit_note(note, body, user=acting_user())
    except notes.NotAllowed:
        abort(403)
    except notes.NoteInvalid as e:
        return _section(client, status=422, editing=note.id, edit_errors=e.errors["body"],
                        edit_body=body)
    return _done(client, "Note saved.")


@bp.post("/<int:client_id>/notes/<int:note_id>/pin")
def pin_note(client_id: int, note_id: int):
    """Pin the note to the top (pinned=1) or unpin it (pinned=0)."""
    client = client_or_404(client_id)
    note = _note_or_404(client, note_id)
    pinned = request.form.get("pinned") == "1"
    try:
        notes.set_pinned(note, pinned, user=acting_user())
    except notes.NotAllowed:
        abort(403)
    return _done(client, "Note pinned." if pinned else "Note unpinned.")


@bp.post("/<int:client_id>/notes/<int:note_id>/delete")
def delete_note(client_id: int, note_id: int):
    """Delete the note (its author or an admin only); the activity keeps its text."""
    client = client_or_404(client_id)
    note = _note_or_404(client, note_id)
    try:
        notes.delete_note(note, user=acting_user())
    except notes.NotAllowed:
        abort(403)
    return _done(client, "Note deleted.")
