"""The login gate on every route, CSRF, security headers, cookies and template hygiene."""
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cone.services.models import Invite, LoginThrottle, User, db
from tests.helpers import PASSWORD, hx, login_as

# /invite/<token> is opened by someone without an account yet (an unknown token answers 410)
PUBLIC_PATHS = {"/login", "/healthz", "/favicon.ico", "/invite/x"}
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
CONVERTER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>")


def sample_path(rule) -> str:
    """The rule's path with each variable filled: 1 for numbers, "x" for the rest."""
    return CONVERTER.sub(lambda m: "1" if m.group(1) in ("int", "float") else "x", rule.rule)


def guarded_requests(app):
    """(method, path) for every route and method that must need a signed-in user."""
    found = []
    for rule in app.url_map.iter_rules():
        path = sample_path(rule)
        if path in PUBLIC_PATHS or rule.endpoint == "static":
            continue
        found += [(m, path) for m in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


def test_every_route_is_covered(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert {"auth.users_index", "auth.edit_user", "auth.logout", "clients.index"} <= endpoints
    assert ("POST", "/users/1/edit") in guarded_requests(app)


def test_every_route_redirects_anonymous_users_to_login(app, client):
    for method, path in guarded_requests(app):
        r = client.open(path, method=method)
        assert r.status_code == 302, (method, path, r.status_code)
        assert r.headers["Location"].startswith("/login?next="), (method, path)


def test_every_route_answers_htmx_with_401_and_hx_redirect(app, client):
    for method, path in guarded_requests(app):
        r = client.open(path, method=method, headers=hx("page"))
        assert r.status_code == 401, (method, path, r.status_code)
        assert r.headers["HX-Redirect"].startswith("/login?next="), (method, path)


@pytest.mark.parametrize("path", ["/login", "/healthz", "/static/css/cone.css", "/favicon.ico"])
def test_public_paths_are_open(client, path):
    with client.get(path) as r:  # closes the static file it streams
        assert r.status_code in (200, 301)


def test_next_carries_the_original_path(client):
    r = client.get("/users?page=2")
    assert r.headers["Location"] == "/login?next=/users?page%3D2"


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def token_from(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_post_users_without_token_is_400_and_writes_nothing(csrf_on, client, admin):
    login_as(client, admin)
    r = client.post("/users", data={"email": "n@example.com", "name": "N", "role": "staff"})
    assert r.status_code == 400
    assert "Reload the page" in r.text
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_post_login_without_token_is_400_and_signs_nobody_in(csrf_on, client, admin):
    r = client.post("/login", data={"email": admin.email, "password": "wrong"})
    assert r.status_code == 400 and "Reload the page" in r.text
    assert db.session.scalar(select(func.count()).select_from(LoginThrottle)) == 0
    r = client.post("/login", data={"email": admin.email, "password": PASSWORD})
    assert r.status_code == 400
    assert client.get("/clients").status_code == 302


def test_csrf_error_fragment_for_htmx_still_says_reload(csrf_on, client, admin):
    login_as(client, admin)
    r = client.post("/users", data={"email": "n@example.com"}, headers=hx("page"))
    assert r.status_code == 400 and "Reload the page" in r.text


def test_token_in_form_works(csrf_on, client, admin):
    token = token_from(client.get("/login").text)
    r = client.post("/login", data={"email": admin.email, "password": PASSWORD,
                                    "csrf_token": token})
    assert r.status_code == 303
    token = token_from(client.get("/users").text)
    r = client.post("/users", data={"email": "n@example.com", "role": "standard",
                                    "csrf_token": token})
    assert r.status_code == 303
    assert db.session.scalar(select(Invite).where(Invite.email == "n@example.com")) is not None


def test_token_in_header_works(csrf_on, client, admin):
    login_as(client, admin)
    page = client.get("/users").text
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    r = client.post("/users", data={"email": "h@example.com", "name": "H", "role": "staff"},
                    headers={"X-CSRFToken": token})
    assert r.status_code == 303
    assert client.post("/logout", headers={"X-CSRFToken": token}).status_code == 303


def test_token_from_another_session_is_refused(csrf_on, app, client, admin):
    other = app.test_client()
    token = token_from(other.get("/login").text)
    r = client.post("/login", data={"email": admin.email, "password": PASSWORD,
                                    "csrf_token": token})
    assert r.status_code == 400


@pytest.mark.parametrize("path", ["/login", "/healthz", "/clients", "/nowhere"])
def test_security_headers(admin_client, path):
    headers = admin_client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_signed_in_pages_are_not_cached(admin_client):
    assert admin_client.get("/clients").headers["Cache-Control"] == "no-store"


def session_cookie(response) -> str:
    return next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))


def test_session_cookie_flags_over_http(client, admin):
    r = client.post("/login", data={"email": admin.email, "password": PASSWORD})
    cookie = session_cookie(r)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    assert "Strict-Transport-Security" not in r.headers


def test_session_cookie_is_secure_over_https(app, admin):
    client = app.test_client()
    r = client.post("/login", base_url="https://localhost",
                    data={"email": admin.email, "password": PASSWORD})
    assert r.status_code == 303
    cookie = session_cookie(r)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")


JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event-handler attribute"),
    (re.compile(r"\shx-on[:-]", re.I), "hx-on attribute (inline script)"),
    (re.compile(r"""=\s*["']?\s*javascript:""", re.I), "javascript: URL"),
]


def test_templates_have_no_inline_script_or_style():
    """The CSP forbids inline code, so any would silently break in the browser."""
    problems = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text()
        problems += [f"{path.relative_to(TEMPLATES)}: {what}"
                     for pattern, what in INLINE if pattern.search(text)]
    assert problems == []
