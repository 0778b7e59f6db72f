"""A client's contacts on the workspace: link one, add one, unlink, make primary.

Each answers an htmx request aimed at #client-contacts with that section (and the
contacts-changed event); anything else gets a flash and a 303 back to the workspace.
"""
from flask import flash, redirect, request, url_for

from cone.clients import bp
from cone.clients.views import client_or_404, page_context
from cone.htmx import render, wants_region
from cone.services import clients
from cone.services import contacts as contact_service
from cone.web import acting_user

SECTION = {"client-contacts": "contacts"}
NEW_FIELDS = ("first_name", "last_name", "email", "phone", "role")
GENERAL = {"contacts", ""}  # error keys that belong to no single field


def _section(client, *, status: int = 200, headers: dict | None = None, **extra):
    """The contacts section for htmx, otherwise the whole workspace on the Contacts tab."""
    return render("clients/show.html", fragments=SECTION, status=status, headers=headers,
                  **page_context(client, "contacts", **extra))


def _back(client):
    # 303 so the browser follows with GET
    url = url_for("clients.show", client_id=client.id, tab="contacts")
    return redirect(url + "#client-contacts", 303)


def _done(client, message: str):
    """Success: the fresh section plus an event for other panels, or flash and redirect."""
    if wants_region(SECTION):
        return _section(client, contact_message=message, headers={"HX-Trigger": "contacts-changed"})
    flash(message, "success")
    return _back(client)


def _refused(client, error: clients.ClientInvalid, failed_form: str, typed: dict):
    """Refusal: 422 with the messages beside the fields, or flash and redirect for no-JS."""
    if wants_region(SECTION) or set(error.errors) - GENERAL:
        # field messages need the form re-rendered with what was typed
        return _section(client, status=422, contact_errors=error.errors,
                        failed_form=failed_form, **typed)
    flash(" ".join(m for msgs in error.errors.values() for m in msgs), "error")
    return _back(client)


def _picker(client, q: str) -> dict:
    """The no-JS picker's choices: matches for q that are not linked already."""
    linked = [cc.contact_id for cc in client.contact_links]
    return {"contact_q": q, "picker_choices": contact_service.choices(q, 20, exclude_ids=linked)}


@bp.post("/<int:client_id>/contacts")
def link_contact(client_id: int):
    """Link a contact picked in the picker, or add one typed in; "Search" only re-renders."""
    client, form = client_or_404(client_id), request.form
    action = form.get("action") or ("add_new" if "first_name" in form else "add_existing")
    if action == "add_new":
        return _add_new(client, form)
    typed = {"link_role": form.get("role", ""), "link_primary": bool(form.get("make_primary")),
             "pick_contact_id": form.get("pick_contact_id", ""),
             **_picker(client, form.get("contact_q", "").strip()[:200])}
    if action == "search_contacts":
        return _section(client, **typed)
    try:
        if not typed["pick_contact_id"].isdigit():
            raise clients.ClientInvalid({"pick_contact_id": ["Choose a contact to add."]})
        link = clients.link_contact(client, int(typed["pick_contact_id"]), role=form.get("role"),
                                    make_primary=typed["link_primary"], user=acting_user())
    except clients.ClientInvalid as e:
        return _refused(client, e, "link", typed)
    return _done(client, f"Linked {link.contact.name}.")


def _add_new(client, form):
    """Create a contact from the inline form and link it."""
    typed = {name: form.get(name, "") for name in NEW_FIELDS}
    make_primary = bool(form.get("make_primary"))
    try:
        link = clients.add_contact(client, clients.NewContact(**typed), make_primary=make_primary,
                                   user=acting_user())
    except clients.ClientInvalid as e:
        return _refused(client, e, "new", {"new_contact": typed, "new_primary": make_primary})
    return _done(client, f"Added {link.contact.name}.")


@bp.post("/<int:client_id>/contacts/<int:contact_id>/unlink")
def unlink_contact(client_id: int, contact_id: int):
    """Remove a contact from the client; the contact stays in the register."""
    client = client_or_404(client_id)
    contact = contact_service.get_contact(contact_id)
    try:
        clients.unlink_contact(client, contact_id, user=acting_user())
    except clients.ClientInvalid as e:
        return _refused(client, e, "", {})
    return _done(client, f"Unlinked {contact.name}. The contact is still in your contacts.")


@bp.post("/<int:client_id>/contacts/<int:contact_id>/primary")
def make_primary(client_id: int, contact_id: int):
    """Make a linked contact the client's primary contact."""
    client = client_or_404(client_id)
    try:
        clients.set_primary_contact(client, contact_id, user=acting_user())
    except clients.ClientInvalid as e:
        return _refused(client, e, "", {})
    contact = contact_service.get_contact(contact_id)
    return _done(client, f"{contact.name} is now the primary contact.")
