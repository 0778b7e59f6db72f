"""Views that create and edit clients."""
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from cone.clients import bp
from cone.clients.contact_forms import NEW_FORMS
from cone.clients.forms import ADDRESSES, EDIT_FORMS, ListField
from cone.htmx import render
from cone.integrations.common import ch_provider, failure_headers, failure_status
from cone.services import sources
from cone.services import clients, users
from cone.services import companies_house as ch_service
from cone.services import contacts as contact_service
from cone.services.providers.base import ProviderError

FORM_REGION = {"client-form": "client_form"}
CH_OWNED = sources.OWNED_FIELDS["companies_house"]


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


def render_new(form, kind: str, status: int = 200, *, fragments: dict | None = None,
               headers: dict | None = None, **extra):
    """The create page, or only its form for a request targeted at #client-form."""
    context = {} if form is None else _picker_context(
        form, request.values.get("contact_q", "").strip()[:200])
    context.update(extra)
    return render("clients/new.html", fragments=fragments or FORM_REGION, status=status,
                  headers=headers, form=form, kind=kind, **context)


def new_form(kind: str, keep: bool):
    """An empty create form, or one keeping what the request's query string carries."""
    # Switching kind (or picking a company) sends the typed fields along, so nothing is lost
    form = NEW_FORMS[kind](formdata=request.args if keep else None)
    form.set_people(users.active_users())
    if "primary" not in request.args:
        if kind == "individual":
            form.primary.data = "self"
        elif not form.contacts.entries:
            form.add_new_row()
    return form


@bp.get("/new")
def new():
    """The create form; ?kind= picks business or individual and keeps what was typed."""
    kind = request.args.get("kind", "business")
    if kind not in NEW_FORMS:
        kind = "business"
    return render_new(new_form(kind, len(request.args) > 1), kind)


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
        return render_new(form, "business", 422)
    # A company picked from Companies House: its values win whatever the form says
    ch_number = request.form.get("ch_number", "").strip()[:20] if kind == "business" else ""
    if ch_number:
        form.lock(CH_OWNED)
    action = request.form.get("action", "save")
    if action != "save":
        _sub_action(form, action)
        return render_new(form, kind, ch_number=ch_number)
    form.settle_primary()
    if not form.validate():
        return render_new(form, kind, 422, ch_number=ch_number)
    data = form.client_data()
    if not form.confirm_duplicates.data:
        # The same company number is DuplicateCompany's job: it is refused, not confirmed
        duplicates = [d for d in clients.find_duplicates(kind, data)
                      if not ch_number or d.client.company_number != data.get("company_number")]
        if duplicates:
            # 409: nothing was saved; the user decides whether this is a new client
            return render_new(form, kind, 409, duplicates=duplicates, ch_number=ch_number)
    return _save(form, kind, data, ch_number)


def _save(form, kind: str, data: dict, ch_number: str):
    """Create the client by hand or from Companies House; refusals re-render the form."""
    try:
        if ch_number:
            client = ch_service.create_from_companies_house(
                ch_number, ch_provider(), data, form.contacts_input(), user=_user())
        else:
            client = clients.create_client(kind, data, form.contacts_input(), user=_user())
    except clients.ClientInvalid as e:
        form.add_errors(e.errors)
        return render_new(form, kind, 422, ch_number=ch_number)
    except ch_service.DuplicateCompany as e:
        # 409: the company is a client already; the page offers to open it instead
        return render_new(form, kind, 409, ch_number=ch_number, ch_duplicate=e.client)
    except ProviderError as e:
        return render_new(form, kind, failure_status(e), headers=failure_headers(e),
                          ch_number=ch_number, ch_error=str(e))
    flash(f"Created {client.display_name}.", "success")
    return redirect(url_for("clients.show", client_id=client.id), 303)


def _edit_data(form, owned, client) -> dict:
    """The form's values for update_client; source-owned fields go along only when posted.

    The service compares them with the synced values and refuses any change, so a crafted
    request cannot alter them; a disabled (unposted) field is simply left alone.
    """
    posted = set(request.form)
    prefixes = {attr: name for name, attr in ADDRESSES.items()}
    skip = {name for name in owned if not (
        name in posted or any(k.startswith(prefixes.get(name, "\0") + "_") for k in posted))}
    if form.version.data != client.version:
        # A sync since the form was loaded explains any difference: the stale check speaks
        skip = set(owned)
    data = form.client_data(skip=skip)
    for name in owned - skip:
        f = form._fields.get(name)
        if isinstance(f, ListField):
            data[name] = f.data  # unchecked text: the service normalises it to compare
    return data


@bp.route("/<int:client_id>/edit", methods=["GET", "POST"])
def edit(client_id: int):
    """Edit a client's details; a save based on an old version shows the differences."""
    client = clients.get_client(client_id) or abort(404)
    owned = sources.owned_fields(client)
    form = EDIT_FORMS[client.kind](obj=client, registered=client.registered_address,
                                   trading=client.trading_address, home=client.home_address)
    form.set_people(users.active_users(), client.manager, client.partner)
    form.lock(owned)
    context = {"client": client, "owned": owned, "source": client.active_link}
    if not form.validate_on_submit():
        return render("clients/edit.html", fragments=FORM_REGION, form=form, **context,
                      status=422 if request.method == "POST" else 200)
    try:
        clients.update_client(client, _edit_data(form, owned, client),
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
