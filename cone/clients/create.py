"""Views that create a client: the form by kind, its contacts section, the save.

The Companies House search and prefill views (cone/integrations/companies_house.py) render
the same page through new_form and render_new.
"""
from functools import partial

from flask import flash, redirect, request, url_for

from cone.clients import bp
from cone.clients.contact_forms import NEW_FORMS
from cone.htmx import render
from cone.services import clients, sources, users
from cone.services import companies_house as ch_service
from cone.services import contacts as contact_service
from cone.services.clients import duplicates
from cone.services.providers.base import ProviderError
from cone.web import acting_user, ch_provider, failure_headers, failure_status

FORM_REGION = {"client-form": "client_form"}
CH_OWNED = sources.OWNED_FIELDS["companies_house"]


def _picker_context(form, contact_q: str = "") -> dict:
    """What the contacts section needs: names of picked contacts and the picker's choices."""
    ids = [e.form.contact_id.data for e in form.linked if e.form.contact_id.data]
    names = {}
    for contact_id in ids:
        contact = contact_service.get_contact(contact_id)
        names[contact_id] = contact_service.label(contact) if contact else None
    return {"linked_names": names, "contact_q": contact_q, "picker_exclude": ids,
            "pick_contact_id": None,
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
    return _save(form, kind, ch_number)


def _create(kind: str, data: dict, contacts, ch_number: str):
    """A client typed in, or one mapped to the Companies House company picked."""
    if ch_number:
        return ch_service.create_from_companies_house(ch_number, ch_provider(), data, contacts,
                                                      user=acting_user())
    return clients.create_client(kind, data, contacts, user=acting_user())


def _save(form, kind: str, ch_number: str):
    """Create the client unless it may exist already; refusals re-render the form."""
    again = partial(render_new, form, kind, ch_number=ch_number)
    data = form.client_data()
    found = [] if form.confirm_duplicates.data else duplicates.to_confirm(
        kind, data, from_companies_house=bool(ch_number))
    if found:
        # 409: nothing was saved; the user decides whether this is a new client
        return again(409, duplicates=found)
    try:
        client = _create(kind, data, form.contacts_input(), ch_number)
    except clients.ClientInvalid as e:
        form.add_errors(e.errors)
        return again(422)
    except ch_service.DuplicateCompany as e:
        # 409: the company is a client already; the page offers to open it instead
        return again(409, ch_duplicate=e.client)
    except ProviderError as e:
        return again(failure_status(e), headers=failure_headers(e), ch_error=str(e))
    flash(f"Created {client.display_name}.", "success")
    return redirect(url_for("clients.show", client_id=client.id), 303)
