"""Views that create and edit clients."""
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from cone.clients import bp
from cone.clients.contact_forms import NEW_FORMS
from cone.clients.forms import EDIT_FORMS
from cone.htmx import render
from cone.services import clients, users
from cone.services import contacts as contact_service

FORM_REGION = {"client-form": "client_form"}


def _user():
    return current_user._get_current_object()


def _picker_context(form, contact_q: str = "", pick_contact_id=None) -> dict:
    """What the contacts section needs: names of picked contacts and the picker's choices."""
    ids = [e.form.contact_id.data for e in form.linked if e.form.contact_id.data]
    names = {}
    for contact_id in ids:
        contact = contact_service.get_contact(contact_id)
        names[contact_id] = contact_service.label(contact) if contact else None
    return {"linked_names": names, "contact_q": contact_q, "picker_exclude": ids,
            "pick_contact_id": pick_contact_id,
            "picker_choices": contact_service.choices(contact_q, 20, exclude_ids=ids)}


def _render_new(form, kind: str, status: int = 200, **extra):
    """The create page, or only its form for a request targeted at #client-form."""
    context = _picker_context(form, request.values.get("contact_q", "").strip()[:200])
    context.update(extra)
    return render("clients/new.html", fragments=FORM_REGION, status=status, form=form,
                  kind=kind, **context)


@bp.get("/new")
def new():
    """The create form; ?kind= picks business or individual and keeps what was typed."""
    kind = request.args.get("kind", "business")
    if kind not in NEW_FORMS:
        kind = "business"
    # Switching kind sends the common fields along, so nothing typed there is lost
    form = NEW_FORMS[kind](formdata=request.args if len(request.args) > 1 else None)
    form.set_people(users.active_users())
    if "primary" not in request.args:
        if kind == "individual":
            form.primary.data = "self"
        elif not form.contacts.entries:
            form.add_new_row()
    return _render_new(form, kind)


def _sub_action(form, action: str) -> None:
    """Apply a button that changes the contacts section without saving anything."""
    name, _, index = action.partition(":")
    if action == "add_new":
        form.add_new_row()
    elif name in ("remove_new", "remove_existing") and index.isdigit():
        form.remove_row(name.removeprefix("remove_"), int(index))
    elif action == "add_existing":
        picked = request.form.get("pick_contact_id", "")
        if picked.isdigit() and contact_service.get_contact(int(picked)):
            form.link_row(int(picked))
        else:
            form.primary.errors = ["Choose a contact in the list first."]


@bp.post("")
def create():
    """Create a client from the form, or re-render it after a contacts-section button."""
    kind = request.form.get("kind", "")
    form = NEW_FORMS.get(kind, NEW_FORMS["business"])()
    form.set_people(users.active_users())
    if kind not in NEW_FORMS:
        form.form_errors = ["Choose whether the client is a business or an individual."]
        return _render_new(form, "business", 422)
    action = request.form.get("action", "save")
    if action != "save":
        _sub_action(form, action)
        return _render_new(form, kind)
    form.settle_primary()
    if not form.validate():
        return _render_new(form, kind, 422)
    data, contacts = form.client_data(), form.contacts_input()
    if not form.confirm_duplicates.data:
        duplicates = clients.find_duplicates(kind, data)
        if duplicates:
            # 409: nothing was saved; the user decides whether this is a new client
            return _render_new(form, kind, 409, duplicates=duplicates)
    try:
        client = clients.create_client(kind, data, contacts, user=_user())
    except clients.ClientInvalid as e:
        form.add_errors(e.errors)
        return _render_new(form, kind, 422)
    flash(f"Created {client.display_name}.", "success")
    return redirect(url_for("clients.show", client_id=client.id), 303)


@bp.route("/<int:client_id>/edit", methods=["GET", "POST"])
def edit(client_id: int):
    """Edit a client's details; a save based on an old version shows the differences."""
    client = clients.get_client(client_id) or abort(404)
    owned = clients.owned_fields(client)
    form = EDIT_FORMS[client.kind](obj=client, registered=client.registered_address,
                                   trading=client.trading_address, home=client.home_address)
    form.set_people(users.active_users(), client.manager, client.partner)
    form.lock(owned)
    context = {"client": client, "owned": owned, "source": client.active_link}
    if not form.validate_on_submit():
        return render("clients/edit.html", fragments=FORM_REGION, form=form, **context,
                      status=422 if request.method == "POST" else 200)
    try:
        clients.update_client(client, form.client_data(skip=owned),
                              expected_version=form.version.data, user=_user())
    except clients.StaleClient as e:
        # The form now carries the saved version, so saving again is a deliberate overwrite
        form.version.data, form.version.raw_data = e.client.version, [str(e.client.version)]
        return render("clients/edit.html", fragments=FORM_REGION, form=form, stale=e,
                      status=409, **context)
    except clients.ClientInvalid as e:
        form.add_errors(e.errors)
        return render("clients/edit.html", fragments=FORM_REGION, form=form, status=422,
                      **context)
    flash(f"Saved {client.display_name}.", "success")
    return redirect(url_for("clients.show", client_id=client.id), 303)
