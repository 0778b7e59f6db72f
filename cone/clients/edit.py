"""The view that edits a client's details, with the optimistic-lock conflict page."""
from functools import partial

from flask import abort, flash, redirect, request, url_for

from cone.clients import bp
from cone.clients.create import FORM_REGION
from cone.clients.forms import ADDRESSES, EDIT_FORMS, ListField
from cone.htmx import render
from cone.services import clients, sources, users
from cone.web import acting_user


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


def _edit_form(client, owned):
    """The edit form filled from the client, source-owned fields read-only."""
    form = EDIT_FORMS[client.kind](obj=client, registered=client.registered_address,
                                   trading=client.trading_address, home=client.home_address)
    form.set_people(users.active_users(), client.manager, client.partner)
    form.lock(owned)
    return form


@bp.route("/<int:client_id>/edit", methods=["GET", "POST"])
def edit(client_id: int):
    """Edit a client's details; a save based on an old version shows the differences."""
    client = clients.get_client(client_id) or abort(404)
    owned = sources.owned_fields(client)
    form = _edit_form(client, owned)
    again = partial(render, "clients/edit.html", fragments=FORM_REGION, form=form,
                    client=client, owned=owned, source=client.active_link)
    if not form.validate_on_submit():
        return again(status=422 if request.method == "POST" else 200)
    try:
        clients.update_client(client, _edit_data(form, owned, client),
                              expected_version=form.version.data, user=acting_user())
    except clients.StaleClient as e:
        # The form now carries the saved version, so saving again is a deliberate overwrite
        form.version.data, form.version.raw_data = e.client.version, [str(e.client.version)]
        return again(stale=e, status=409)
    except clients.ClientInvalid as e:
        form.add_errors(e.errors)
        return again(status=422)
    flash(f"Saved {client.display_name}.", "success")
    return redirect(url_for("clients.show", client_id=client.id), 303)
