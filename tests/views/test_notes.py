"""Notes on a client: the service's rules, and the inline views with and without htmx."""
import pytest
from sqlalchemy import select

from cone.services import notes
from cone.services.models import ActivityEvent, Note, db
from tests.helpers import add_user, hx, login_as

NOTES = hx("client-notes")


@pytest.fixture
def acme(make_client, admin):
    return make_client(user=admin)


def actions(client):
    return db.session.scalars(select(ActivityEvent.action).where(
        ActivityEvent.client_id == client.id).order_by(ActivityEvent.id)).all()


# ---- service --------------------------------------------------------------------------------

def test_add_keeps_line_breaks_and_records_an_event(acme, staff):
    note = notes.add_note(acme, "  First line\r\nsecond line\r\n\r\n", user=staff)
    assert note.body == "First line\nsecond line" and note.author_id == staff.id
    event = db.session.scalars(select(ActivityEvent).where(
        ActivityEvent.action == "note_added")).one()
    assert event.summary == "Added a note: First line…" and event.user_id == staff.id


@pytest.mark.parametrize("body, message", [
    ("", "Write something before saving the note."),
    ("   \n\t ", "Write something before saving the note."),
    ("x" * 10_001, "at most 10,000 characters; this one has 10,001"),
])
def test_invalid_bodies_are_refused_and_nothing_is_written(acme, staff, body, message):
    with pytest.raises(notes.NoteInvalid) as e:
        notes.add_note(acme, body, user=staff)
    assert message in e.value.errors["body"][0]
    assert db.session.scalar(select(Note.id)) is None
    assert "note_added" not in actions(acme)


def test_only_the_author_or_an_admin_changes_a_note(acme, staff, admin):
    other = add_user("other@example.com", "staff", "Olly Other")
    note = notes.add_note(acme, "Call about VAT", user=staff)
    assert notes.can_change(note, staff) and notes.can_change(note, admin)
    assert not notes.can_change(note, other) and not notes.can_change(note, None)
    for attempt in (lambda: notes.edit_note(note, "Hijacked", user=other),
                    lambda: notes.set_pinned(note, True, user=other),
                    lambda: notes.delete_note(note, user=other)):
        with pytest.raises(notes.NotAllowed):
            attempt()
    db.session.refresh(note)
    assert note.body == "Call about VAT" and not note.pinned
    notes.edit_note(note, "Call about VAT return", user=admin)
    notes.set_pinned(note, True, user=staff)
    assert actions(acme)[-3:] == ["note_added", "note_edited", "note_pinned"]
    edited = db.session.scalars(select(ActivityEvent).where(
        ActivityEvent.action == "note_edited")).one()
    assert edited.changes == [{"field": "note", "before": "Call about VAT",
                               "after": "Call about VAT return"}]
    notes.delete_note(note, user=admin)
    assert db.session.get(Note, note.id) is None
    deleted = db.session.scalars(select(ActivityEvent).where(
        ActivityEvent.action == "note_deleted")).one()
    assert deleted.changes[0]["before"] == "Call about VAT return"


def test_unchanged_edit_and_repeated_pin_record_nothing(acme, staff):
    note = notes.add_note(acme, "Same", user=staff)
    notes.edit_note(note, "Same\r\n", user=staff)
    notes.set_pinned(note, False, user=staff)
    assert actions(acme).count("note_edited") == 0 and "note_unpinned" not in actions(acme)


def test_list_puts_pinned_first_then_newest(acme, staff):
    first = notes.add_note(acme, "first", user=staff)
    second = notes.add_note(acme, "second", user=staff)
    third = notes.add_note(acme, "third", user=staff)
    notes.set_pinned(first, True, user=staff)
    assert [n.body for n in notes.list_notes(acme.id)] == ["first", "third", "second"]
    assert [n.id for n in notes.list_notes(acme.id, pinned_only=True)] == [first.id]
    assert notes.get_note(acme.id, second.id) is second
    assert notes.get_note(acme.id + 1, second.id) is None and third.pinned is False


# ---- views ----------------------------------------------------------------------------------

def test_notes_tab_page_fragment_and_empty_state(staff_client, acme):
    page = staff_client.get(f"/clients/{acme.id}?tab=notes")
    assert "<html" in page.text and 'id="client-notes"' in page.text
    assert "No notes yet." in page.text
    frag = staff_client.get(f"/clients/{acme.id}?tab=notes", headers=hx("workspace-panel"))
    assert "<html" not in frag.text and "No notes yet." in frag.text
    assert 'aria-current="page">Notes<' in frag.text


def test_add_with_htmx_answers_the_section(staff_client, staff, acme):
    r = staff_client.post(f"/clients/{acme.id}/notes", headers=NOTES,
                          data={"body": "Line one\r\nLine <two>"})
    assert r.status_code == 200 and "<html" not in r.text
    assert r.headers["HX-Trigger"] == "notes-changed"
    assert "Note added." in r.text and "Sam Staff" in r.text
    assert "Line one\nLine &lt;two&gt;" in r.text  # plain text: escaped, line breaks kept


def test_add_without_js_redirects_to_the_notes_tab(staff_client, acme):
    r = staff_client.post(f"/clients/{acme.id}/notes", data={"body": "Plain post"})
    assert r.status_code == 303
    assert r.headers["Location"] == f"/clients/{acme.id}?tab=notes#client-notes"
    page = staff_client.get(r.headers["Location"])
    assert "Note added." in page.text and "Plain post" in page.text


def test_invalid_note_is_422_with_the_text_kept(staff_client, acme):
    long = "y" * 10_001
    r = staff_client.post(f"/clients/{acme.id}/notes", headers=NOTES, data={"body": long})
    assert r.status_code == 422 and "<html" not in r.text
    assert "at most 10,000 characters" in r.text and long in r.text
    assert 'aria-invalid="true"' in r.text
    r = staff_client.post(f"/clients/{acme.id}/notes", data={"body": " "})
    assert r.status_code == 422 and "<html" in r.text
    assert "Write something before saving the note." in r.text
    assert db.session.scalar(select(Note.id)) is None


def test_edit_inline_with_and_without_htmx(staff_client, staff, acme):
    note = notes.add_note(acme, "Draft", user=staff)
    form = staff_client.get(f"/clients/{acme.id}?tab=notes&edit={note.id}", headers=NOTES)
    assert "<html" not in form.text and f'id="note-{note.id}-body"' in form.text
    assert "Save note" in form.text and "Cancel" in form.text
    page = staff_client.get(f"/clients/{acme.id}?tab=notes&edit={note.id}")
    assert "<html" in page.text and "Save note" in page.text
    r = staff_client.post(f"/clients/{acme.id}/notes/{note.id}", headers=NOTES,
                          data={"body": ""})
    assert r.status_code == 422 and "Write something" in r.text and "Save note" in r.text
    r = staff_client.post(f"/clients/{acme.id}/notes/{note.id}", headers=NOTES,
                          data={"body": "Final"})
    assert r.status_code == 200 and "Note saved." in r.text and "Final" in r.text
    r = staff_client.post(f"/clients/{acme.id}/notes/{note.id}", data={"body": "Final 2"})
    assert r.status_code == 303
    db.session.refresh(note)
    assert note.body == "Final 2"


def test_pin_and_delete_with_and_without_htmx(staff_client, staff, acme):
    note = notes.add_note(acme, "Important", user=staff)
    note_id = note.id  # the object cannot be read once a request has deleted its row
    r = staff_client.post(f"/clients/{acme.id}/notes/{note.id}/pin", headers=NOTES,
                          data={"pinned": "1"})
    assert r.status_code == 200 and "Note pinned." in r.text and "Unpin" in r.text
    overview = staff_client.get(f"/clients/{acme.id}")
    assert "Pinned notes" in overview.text and "Important" in overview.text
    r = staff_client.post(f"/clients/{acme.id}/notes/{note.id}/pin", data={"pinned": "0"})
    assert r.status_code == 303
    db.session.refresh(note)
    assert not note.pinned
    r = staff_client.post(f"/clients/{acme.id}/notes/{note.id}/delete", headers=NOTES)
    assert r.status_code == 200 and "Note deleted." in r.text and "No notes yet." in r.text
    assert db.session.get(Note, note_id) is None


def test_other_staff_cannot_change_a_note(client, staff, acme):
    other = add_user("other@example.com", "staff", "Olly Other")
    note = notes.add_note(acme, "Mine", user=staff)
    login_as(client, other)
    page = client.get(f"/clients/{acme.id}?tab=notes")
    assert "Mine" in page.text and f"/notes/{note.id}/delete" not in page.text
    assert "Save note" not in client.get(f"/clients/{acme.id}?tab=notes&edit={note.id}").text
    for path, data in ((f"/notes/{note.id}", {"body": "x"}),
                       (f"/notes/{note.id}/pin", {"pinned": "1"}),
                       (f"/notes/{note.id}/delete", {})):
        assert client.post(f"/clients/{acme.id}{path}", data=data).status_code == 403
        assert client.post(f"/clients/{acme.id}{path}", data=data,
                           headers=NOTES).status_code == 403
    db.session.refresh(note)
    assert note.body == "Mine" and not note.pinned
    # anyone may add
    assert client.post(f"/clients/{acme.id}/notes", data={"body": "Olly's"}).status_code == 303


def test_an_admin_changes_anyones_note(admin_client, staff, acme):
    note = notes.add_note(acme, "Staff's", user=staff)
    note_id = note.id  # the object cannot be read once a request has deleted its row
    page = admin_client.get(f"/clients/{acme.id}?tab=notes")
    assert f"/notes/{note.id}/delete" in page.text and ">Edit</a>" in page.text
    r = admin_client.post(f"/clients/{acme.id}/notes/{note.id}", data={"body": "Fixed"})
    assert r.status_code == 303
    assert admin_client.post(f"/clients/{acme.id}/notes/{note.id}/delete").status_code == 303
    assert db.session.get(Note, note_id) is None


def test_notes_of_another_client_or_unknown_are_404(staff_client, staff, admin, acme,
                                                   make_client):
    beta = make_client(legal_name="Beta Ltd", contact={"first_name": "Bo", "last_name": "Beta"},
                       user=admin)
    note = notes.add_note(beta, "Beta's", user=staff)
    assert staff_client.post(f"/clients/{acme.id}/notes/{note.id}/delete").status_code == 404
    assert staff_client.post(f"/clients/{acme.id}/notes/999", data={"body": "x"}).status_code == 404
    assert staff_client.post("/clients/999/notes", data={"body": "x"}).status_code == 404
    assert staff_client.get(f"/clients/{acme.id}/notes").status_code == 405


def test_note_posts_need_csrf(staff_client, staff, acme, app):
    app.config["WTF_CSRF_ENABLED"] = True
    assert staff_client.post(f"/clients/{acme.id}/notes", data={"body": "x"}).status_code == 400
    assert db.session.scalar(select(Note.id)) is None
