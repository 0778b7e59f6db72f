"""Views for the client workspace and archiving, and shared template filters."""
import calendar
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import abort, flash, redirect, url_for
from flask_login import current_user

from cone.clients import bp
from cone.htmx import render
from cone.services import audit, clients
from cone.services.client_fields import FIELD_LABELS
from cone.services.models import ENTITY_TYPES


try:
    LOCAL = ZoneInfo("Europe/London")  # the firm's clock, whatever the server's
except ZoneInfoNotFoundError:
    LOCAL = timezone.utc


@bp.app_template_filter()
def local_time(value: datetime | None) -> str:
    """A stored UTC time as UK wall-clock time, e.g. "3 March 2025 14:05"."""
    if value is None:
        return ""
    t = value.astimezone(LOCAL)
    return f"{t.day} {t:%B %Y %H:%M}"


@bp.app_template_filter()
def long_date(value: date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else ""


@bp.app_template_filter()
def month_name(value: int | None) -> str:
    return calendar.month_name[value] if value and 1 <= value <= 12 else ""


def _client_or_404(client_id: int):
    return clients.get_client(client_id) or abort(404)


@bp.get("/<int:client_id>")
def show(client_id: int):
    """The client's workspace: header, details, contacts and latest activity."""
    client = _client_or_404(client_id)
    return render("clients/show.html",
                  fragments={"workspace-panel": "panel", "client-contacts": "contacts"},
                  client=client, events=audit.client_events(client.id),
                  labels=FIELD_LABELS, entity_types=ENTITY_TYPES,
                  owned=clients.owned_fields(client))


@bp.post("/<int:client_id>/archive")
def archive(client_id: int):
    """Archive the client: it leaves the default list but keeps everything."""
    client = clients.archive_client(_client_or_404(client_id),
                                    user=current_user._get_current_object())
    flash(f"Archived {client.display_name}. It no longer appears in the client list.", "success")
    # 303 so the browser follows with GET
    return redirect(url_for("clients.show", client_id=client.id), 303)


@bp.post("/<int:client_id>/restore")
def restore(client_id: int):
    """Bring an archived client back into the list."""
    client = clients.restore_client(_client_or_404(client_id),
                                    user=current_user._get_current_object())
    flash(f"Restored {client.display_name}.", "success")
    return redirect(url_for("clients.show", client_id=client.id), 303)
