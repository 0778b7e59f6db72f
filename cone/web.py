"""App-wide web concerns: login gate, security headers, errors, health check, and what every
blueprint asks of a request: the acting user, a same-site redirect, a provider failure's status."""
from urllib.parse import urlsplit

from flask import (Flask, abort, current_app, make_response, redirect, render_template, request,
                   url_for)
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from jinja2_fragments.flask import render_block
from sqlalchemy import text
from werkzeug.middleware.proxy_fix import ProxyFix

from cone import wiring
from cone.extensions import db
from cone.htmx import is_htmx
from cone.services import search
from cone.services.models import User
from cone.services.providers.base import ProviderError, ProviderNotFound, RateLimited
from cone.services.providers.companies_house import InvalidCompanyNumber

# auth.join: the invite link is opened by someone who has no account yet
PUBLIC_ENDPOINTS = {"auth.login", "auth.join", "healthz", "static", "favicon"}

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'self'; object-src 'none'")


class SessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app):
        return app.config["SESSION_COOKIE_SECURE"] or request.is_secure


def acting_user() -> User:
    """The signed-in user as a plain object, for the services (not the request-bound proxy)."""
    return current_user._get_current_object()


def same_site(target: str | None) -> str | None:
    """target if it is a path on this site, else None: the one guard against open redirects."""
    parts = urlsplit(target or "")
    if not target or parts.scheme or parts.netloc or not target.startswith("/") \
            or target.startswith("//") or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target


def ch_provider():
    """The Companies House adapter; without a usable key the request ends here (409), for
    every Companies House action alike."""
    try:
        return wiring.companies_house(current_app)
    except wiring.NotConfigured as e:
        abort(not_configured(e))


def not_configured(error: wiring.NotConfigured):
    """409 saying what to do: a page, or for htmx a notice in #toast, so whatever the request
    aimed at (a form, a region) stays as it was."""
    template, context = "errors/companies_house_key.html", {"message": str(error)}
    if not is_htmx():
        return make_response(render_template(template, **context), 409)
    headers = {"HX-Retarget": "#toast", "HX-Reswap": "outerHTML", "HX-Push-Url": "false"}
    return make_response(render_block(template, "notice", **context), 409, headers)


def failure_status(error: ProviderError) -> int:
    """The status for a page that shows a provider failure.

    htmx swaps only 2xx, 409 and 422 (base.html), so a region that explains the failure is
    sent as 200; a plain request gets the honest status. (A missing key never gets here:
    ch_provider() answers it with 409.)
    """
    if is_htmx():
        return 200
    if isinstance(error, (ProviderNotFound, InvalidCompanyNumber)):
        return 404
    return 503 if isinstance(error, RateLimited) else 502


def failure_headers(error: ProviderError) -> dict:
    """Retry-After for a rate-limited plain request, so scripts know when to come back."""
    if isinstance(error, RateLimited) and error.retry_after and not is_htmx():
        return {"Retry-After": str(error.retry_after)}
    return {}


def require_login():
    """Every page needs a signed-in user, except login, health check and static files."""
    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    login = url_for("auth.login", next=request.full_path.rstrip("?"))
    if is_htmx():
        # htmx follows HX-Redirect; a plain 302 would swap the login page into a region
        return "Sign in again to continue.", 401, {"HX-Redirect": login}
    return redirect(login)


def security_headers(resp):
    """Strict CSP and the usual hardening headers on every response."""
    resp.headers.setdefault("Content-Security-Policy", CSP)
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    resp.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    resp.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        resp.headers.setdefault("Strict-Transport-Security", "max-age=63072000")
    if current_user.is_authenticated and request.endpoint != "static":
        resp.headers.setdefault("Cache-Control", "no-store")
    return resp


def healthz():
    """200 "ok" when the database answers; ?deep=1 also counts search index entries that differ."""
    deep, plain = request.args.get("deep") == "1", {"Content-Type": "text/plain"}
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any driver error means "not healthy"
        db.session.rollback()
        down = "database: unavailable\nsearch index: not checked\n"
        return (down if deep else "database unavailable"), 503, plain
    if not deep:
        return "ok", 200, plain
    try:
        drift = f"{search.check(db.session)} entries differ"
    except Exception:  # a missing index table: the database answers, search cannot
        db.session.rollback()
        drift = "unreadable"
    status = 200 if drift == "0 entries differ" else 503
    return f"database: ok\nsearch index: {drift}\n", status, plain


def error_page(status: int, title: str, message: str):
    """The error template with its status."""
    return render_template("errors/error.html", status=status, title=title,
                           message=message), status


def init_app(app: Flask) -> None:
    """Wire the app-wide hooks, the health check and error pages."""
    if app.config.get("CONE_BEHIND_PROXY"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    app.session_interface = SessionInterface()
    app.before_request(require_login)
    app.after_request(security_headers)
    app.add_url_rule("/healthz", "healthz", healthz)
    app.add_url_rule("/", "index", lambda: redirect(url_for("clients.index")))
    app.add_url_rule("/favicon.ico", "favicon",
                     lambda: redirect(url_for("static", filename="favicon.svg"), 301))

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return error_page(400, "Form expired", "This form has expired or was sent without its "
                          "security token. Reload the page and try again.")

    @app.errorhandler(403)
    def forbidden(e):
        return error_page(403, "Not allowed", "Your account is not allowed to open this page.")

    @app.errorhandler(404)
    def not_found(e):
        return error_page(404, "Not found", "There is nothing at this address.")

    @app.errorhandler(500)
    def server_error(e):
        return error_page(500, "Something went wrong", "The error has been logged. "
                          "Nothing you sent was half-saved; try again.")
