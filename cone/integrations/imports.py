"""Starting an import from a connected accounting platform: fetch and keep a preview.

The preview, its decisions and the run's progress are the imports blueprint's (/imports/<id>).
"""
from flask import abort, current_app, flash, redirect, request, url_for

from cone.auth.views import right_required
from cone.integrations import bp
from cone.integrations.imports_forms import StartPreviewForm
from cone.services import connections, sources
from cone.services.imports.preview import preview_connection
from cone.services.providers.base import ProviderError
from cone.web import acting_user


def _connection(provider: str, connection_id: str | None):
    """The active connection to import from: the one posted, else the platform's only one."""
    try:
        return sources.find_connection(provider, connection_id=connection_id)
    except sources.NotConnected:
        return None


@bp.post("/integrations/<provider>/import")
@right_required("bulk_import")
def start_preview(provider: str):
    """Fetch the platform's customers and keep a preview of what importing them would do."""
    if provider not in connections.PLATFORMS:
        abort(404)
    form = StartPreviewForm()
    label = connections.platform(provider).label
    connection = _connection(provider, request.form.get("connection_id"))
    if connection is None or not form.validate():
        flash(f"Connect {label} (one organisation) on this page before importing.", "error")
        return redirect(url_for("integrations.index"), 303)
    try:
        run = preview_connection(connection, current_app.config,
                                 include_inactive=form.include_inactive.data, user=acting_user())
    except ProviderError as e:
        flash(f"{e} Nothing was imported.", "error")
        return redirect(url_for("integrations.index"), 303)
    return redirect(url_for("imports.show", run_id=run.id), 303)
