"""The client workspace (one tab at a time) and archiving; what the workspace's section views
(notes, contacts) share: the client, the page's context, the Notes tab's context."""
from flask import abort, flash, redirect, request, url_for

from cone.clients import bp
from cone.htmx import render
from cone.services import clients, notes, related, sources, workspace
from cone.services.clients import FIELD_LABELS
from cone.services.models import ENTITY_TYPES
from cone.web import acting_user

# HX-Target -> block: the tab panel, and the regions inside it that swap on their own
PANELS = {"workspace-panel": "panel", "client-contacts": "contacts",
          "client-notes": "notes", "activity-more": "activity_more"}
LABELS = {**FIELD_LABELS, "note": "Note"}


def notes_context(client, editing: int | None = None) -> dict:
    """The Notes tab: every note, which ones this user may change, the one open for editing."""
    found = notes.list_notes(client.id)
    editable = {n.id for n in found if notes.can_change(n, acting_user())}
    return {"notes": found, "editable": editable,
            "editing": editing if editing in editable else None}


def _overview(client):
    """The Overview tab: the latest events and the pinned notes beside the details."""
    return {"recent": workspace.activity_page(client.id, per_page=workspace.RECENT),
            "pinned": notes.list_notes(client.id, pinned_only=True)}


def _deadlines(client):
    """The Deadlines tab: Companies House filing dates and the year end."""
    found, year_end = workspace.deadlines(client, workspace.companies_house_profile(client.id))
    return {"deadlines": found, "year_end": year_end}


def _related(client):
    """The Related clients tab; a company's officers and PSCs come from its profile."""
    profile = workspace.companies_house_profile(client.id) if client.kind == "business" else None
    return {"related": related.related_clients(client, profile), "profile": profile}


# What each tab needs, and nothing more: only the tab being shown is queried
TAB_DATA = {
    "overview": _overview,
    "contacts": lambda client: {},
    "companies-house": lambda client: {"profile": workspace.companies_house_profile(client.id)},
    "deadlines": _deadlines,
    "notes": lambda client: notes_context(client, request.args.get("edit", type=int)),
    "activity": lambda client: {"page": workspace.activity_page(
        client.id, older_than=request.args.get("older_than", type=int))},
    "related": _related,
}


def client_or_404(client_id: int):
    """The client with its header data loaded, or a 404."""
    return workspace.load_client(client_id) or abort(404)


def page_context(client, tab: str, **extra) -> dict:
    """What show.html needs around a tab: the header, the tab list, the labels."""
    return {"client": client, "tab": tab, "link": client.active_link, "labels": LABELS,
            "entity_types": ENTITY_TYPES, "owned": sources.owned_fields(client), **extra}


@bp.get("/<int:client_id>")
def show(client_id: int):
    """The workspace: header and one tab (?tab=), or the panel/region htmx targets."""
    client = client_or_404(client_id)
    tab = workspace.choose_tab(client, request.args.get("tab"))
    return render("clients/show.html", fragments=PANELS,
                  **page_context(client, tab, **TAB_DATA[tab](client)))


@bp.post("/<int:client_id>/archive")
def archive(client_id: int):
    """Archive the client: it leaves the default list but keeps everything."""
    client = clients.archive_client(client_or_404(client_id), user=acting_user())
    flash(f"Archived {client.display_name}. It no longer appears in the client list.", "success")
    # 303 so the browser follows with GET
    return redirect(url_for("clients.show", client_id=client.id), 303)


@bp.post("/<int:client_id>/restore")
def restore(client_id: int):
    """Bring an archived client back into the list."""
    client = clients.restore_client(client_or_404(client_id), user=acting_user())
    flash(f"Restored {client.display_name}.", "success")
    return redirect(url_for("clients.show", client_id=client.id), 303)

