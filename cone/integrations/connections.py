"""Views for connecting accounting platforms with OAuth (admins only)."""
from flask import abort, current_app, flash, redirect, request, session, url_for

from cone.auth.views import right_required
from cone.htmx import render
from cone.integrations import bp
from cone.integrations.connection_forms import TenantForm
from cone.services import connections
from cone.services.connections import ConnectRefused, Tenant
from cone.services.models import Connection, db
from cone.services.providers.base import ProviderError
from cone.web import acting_user, error_page


def _platform_or_404(provider: str):
    if provider not in connections.configured_platforms(current_app.config):
        abort(404)
    return connections.platform(provider)


def _callback_url(provider: str) -> str:
    return url_for("integrations.oauth_callback", provider=provider, _external=True)


@bp.get("/integrations/<provider>/connect")
@right_required("manage_integrations")
def connect(provider):
    """Send the admin to the platform's consent page, remembering state and PKCE verifier."""
    _platform_or_404(provider)
    url, state, verifier = connections.begin(provider, current_app.config,
                                             _callback_url(provider))
    # Flask's session is signed, so the browser cannot swap in a state of its own choosing
    session[f"oauth:{provider}"] = {"state": state, "verifier": verifier}
    return redirect(url, 303)


@bp.get("/integrations/<provider>/callback")
@right_required("manage_integrations")
def oauth_callback(provider):
    """Finish the consent: refuse a wrong state, store the tokens or offer the organisations."""
    p = _platform_or_404(provider)
    pending = session.pop(f"oauth:{provider}", None) or {}
    try:
        result = connections.complete(
            provider, current_app.config, _callback_url(provider),
            code=request.args.get("code"), state=request.args.get("state"),
            expected_state=pending.get("state"), verifier=pending.get("verifier"),
            params=request.args.to_dict(), user=acting_user())
    except ConnectRefused as error:
        return error_page(400, "Connection refused", str(error))
    except ProviderError as error:
        flash(f"Could not connect {p.label}: {error}", "error")
        return redirect(url_for("integrations.index"), 303)
    if isinstance(result, connections.TenantChoice):
        session[f"oauth:{provider}:tenants"] = {
            "sealed": result.sealed, "tenants": [[t.id, t.name] for t in result]}
        return redirect(url_for("integrations.choose_tenant", provider=provider), 303)
    flash(f"Connected {p.label} ({result.tenant_name}).", "success")
    return redirect(url_for("integrations.index"), 303)


@bp.route("/integrations/<provider>/tenant", methods=["GET", "POST"])
@right_required("manage_integrations")
def choose_tenant(provider):
    """Choose which of the authorised organisations to connect."""
    p = _platform_or_404(provider)
    pending = session.get(f"oauth:{provider}:tenants")
    if not pending:
        flash(f"Start connecting {p.label} again: the choice of organisations has expired.",
              "warning")
        return redirect(url_for("integrations.index"), 303)
    tenants = [Tenant(ident, name) for ident, name in pending["tenants"]]
    form = TenantForm()
    form.tenant_id.choices = [(t.id, t.name) for t in tenants]
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render("integrations/tenant.html", form=form, platform=p, status=status)
    try:
        conn = connections.choose_tenant(provider, current_app.config, sealed=pending["sealed"],
                                         tenant_id=form.tenant_id.data, tenants=tenants,
                                         user=acting_user())
    except ConnectRefused as error:
        return error_page(400, "Connection refused", str(error))
    session.pop(f"oauth:{provider}:tenants", None)
    flash(f"Connected {p.label} ({conn.tenant_name}).", "success")
    return redirect(url_for("integrations.index"), 303)


@bp.post("/integrations/connections/<int:connection_id>/disconnect")
@right_required("manage_integrations")
def disconnect(connection_id):
    """Revoke and forget a connection; clients already imported keep their data."""
    conn = db.get_or_404(Connection, connection_id)
    label = connections.platform(conn.provider).label
    connections.disconnect(conn, current_app.config, user=acting_user())
    flash(f"Disconnected {label}.", "success")
    return redirect(url_for("integrations.index"), 303)


def connections_context() -> dict:
    """The platform cards on the Integrations page: configured, connected, last import."""
    config = current_app.config
    configured = set(connections.configured_platforms(config))
    by_provider: dict[str, list[Connection]] = {}
    for conn in connections.list_connections():
        by_provider.setdefault(conn.provider, []).append(conn)
    cards = [{"key": key, "label": p.label, "configured": key in configured,
              "connections": by_provider.get(key, [])}
             for key, p in connections.PLATFORMS.items()]
    return {"platform_cards": cards, "last_runs": connections.last_runs()}
