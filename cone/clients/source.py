"""A client's source: resync, switch to manual, link to a company, officers and PSCs as contacts.

htmx requests aimed at a region get that region back; anything else gets a flash and a 303
to the workspace, so every action also works without JavaScript.
"""
from flask import abort, current_app, flash, redirect, request, url_for

from cone.clients import bp
from cone.clients.forms import CompanySearchForm
from cone.htmx import render, wants_region
from cone.services import sources
from cone.services import clients, connections, workspace
from cone.services import companies_house as ch_service
from cone.services.clients import FIELD_LABELS
from cone.services.resync import resync as resync_from_source
from cone.services.providers.base import ProviderError
from cone.web import acting_user, ch_provider, failure_headers, failure_status

SYNC = {"sync-status": "sync_status"}
DETAILS = {"ch-details": "ch_details"}
RESULTS = {"ch-results": "ch_results"}


def _client_or_404(client_id: int):
    """The client, or a 404."""
    return clients.get_client(client_id) or abort(404)


def _back(client, anchor: str = ""):
    # 303 so the browser follows with GET
    return redirect(url_for("clients.show", client_id=client.id) + anchor, 303)


def _source_label(link) -> str:
    """The name of the link's source, for messages."""
    platform = connections.PLATFORMS.get(link.provider) if link else None
    return platform.label if platform else sources.PROVIDER_NAMES["companies_house"]


def _sync_summary(result, source: str = "Companies House") -> str:
    """The resync outcome in one or two sentences, for a flash."""
    words = []
    if result.status_changed:
        words.append(f"Companies House now lists the company as {result.status}.")
    if result.name_changed:
        words.append(f"The company is now called {result.name}.")
    if result.changed:
        labels = ", ".join(c["label"].lower() for c in result.changes)
        words.append(f"Resynced from {source}: {labels} changed.")
    else:
        words.append(f"Resynced from {source}: nothing has changed.")
    return " ".join(words)


@bp.post("/<int:client_id>/resync")
def resync(client_id: int):
    """Re-fetch the client from its source (Companies House or a platform) and show changes."""
    client = _client_or_404(client_id)
    link = client.active_link
    try:
        result = resync_from_source(
            client, user=acting_user(), companies_house=ch_provider,
            open_platform=lambda c: connections.open_provider(c, current_app.config))
    except ProviderError as e:
        if wants_region(SYNC):
            return render("clients/_source.html", fragments=SYNC, status=failure_status(e),
                          client=client, link=client.active_link, sync_error=str(e))
        flash(f"{e} Nothing was changed.", "error")
        return _back(client)
    if wants_region(SYNC):
        # Other panels (details, activity) refresh themselves on client-updated
        headers = {"HX-Trigger": "client-updated"} if result.changed else {}
        return render("clients/_source.html", fragments=SYNC, headers=headers, client=client,
                      link=client.active_link, sync_result=result)
    flash(_sync_summary(result, _source_label(link)), "success")
    return _back(client)


@bp.route("/<int:client_id>/unlink", methods=["GET", "POST"])
def unlink(client_id: int):
    """Switch to manual: a confirmation page, then the POST that removes the mapping."""
    client = _client_or_404(client_id)
    link = client.active_link
    if link is None:
        flash("This client is not linked to any source: its fields are kept by hand.", "warning")
        return _back(client)
    source = _source_label(link)
    if request.method == "GET":
        owned = [FIELD_LABELS.get(f, f) for f in sorted(sources.owned_fields(client))]
        return render("clients/unlink.html", client=client, link=link, source=source,
                      owned=owned)
    clients.unlink_source(client, user=acting_user(), source=source)
    flash(f"Switched {client.display_name} to manual: its fields keep their values and can "
          "now be edited.", "success")
    return _back(client)


def _linkable(client):
    """None when the client can be linked, else the reason it cannot."""
    if client.kind != "business":
        return "Only a business client can be linked to Companies House."
    if client.active_link is not None:
        return "This client is linked already: switch it to manual first."
    return None


def _company_preview(client, number: str) -> dict:
    """The company fetched afresh, what linking would overwrite, and any client it is already."""
    record = ch_provider().fetch_company(number)
    return {"record": record, "preview": ch_service.preview_link(client, record),
            "duplicate": ch_service.find_by_number(record.company_number, exclude=client)}


@bp.get("/<int:client_id>/link-company")
def link_company(client_id: int):
    """Link a manual client: search (?q=), then preview a company (?number=) side by side."""
    client = _client_or_404(client_id)
    if reason := _linkable(client):
        flash(reason, "warning")
        return _back(client)
    search = CompanySearchForm(formdata=request.args)
    number = request.args.get("number", "").strip()[:20]
    context = {"ch_q": search.q.data or "", "ch_results": [], "record": None, "preview": []}
    status, headers = 200, {}
    try:
        if number:
            context.update(_company_preview(client, number))
        elif search.validate() and search.q.data:
            context["ch_results"] = ch_provider().search(search.q.data, 20)
    except ProviderError as e:
        context["ch_error"] = str(e)
        status, headers = failure_status(e), failure_headers(e)
    return render("clients/link_company.html", fragments=RESULTS, status=status,
                  headers=headers, client=client, link_client=client, **context)


@bp.post("/<int:client_id>/link-company")
def link_company_confirm(client_id: int):
    """Map the client to the company previewed; its owned fields are overwritten."""
    client = _client_or_404(client_id)
    number = request.form.get("number", "").strip()[:20]
    try:
        ch_service.link_company(client, number, ch_provider(), user=acting_user())
    except (ch_service.DuplicateCompany, ProviderError) as e:
        # Back to the preview, which fetches afresh and says what stands in the way
        flash(f"{e} Nothing was changed.", "error")
        return redirect(url_for("clients.link_company", client_id=client.id, number=number), 303)
    flash(f"Linked {client.display_name} to Companies House company "
          f"{client.company_number}.", "success")
    return _back(client)


@bp.get("/<int:client_id>/companies-house")
def ch_details(client_id: int):
    """The Companies House details of a client, as last synced."""
    client = _client_or_404(client_id)
    return render("clients/companies_house.html", fragments=DETAILS, client=client,
                  profile=workspace.companies_house_profile(client.id))


@bp.post("/<int:client_id>/companies-house/<kind>/<int:row_id>/contact")
def add_ch_person(client_id: int, kind: str, row_id: int):
    """Make an officer or PSC a contact of the client, reusing the same person if known."""
    client = _client_or_404(client_id)
    if kind not in ("officer", "psc"):
        abort(404)
    message, error = None, None
    try:
        contact, created = ch_service.add_person_as_contact(client, kind, row_id,
                                                            user=acting_user())
    except ch_service.CannotAddPerson as e:
        error = str(e)
    else:
        message = (f"Added {contact.name} as a new contact." if created else
                   f"Linked {contact.name}, already a contact, to this client.")
    if wants_region(DETAILS):
        return render("clients/companies_house.html", fragments=DETAILS,
                      status=422 if error else 200, client=client,
                      profile=workspace.companies_house_profile(client.id),
                      ch_message=message, ch_person_error=error,
                      headers={} if error else {"HX-Trigger": "contacts-changed"})
    flash(error or message, "error" if error else "success")
    return _back(client)
