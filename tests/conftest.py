"""Fixtures: an app on a real database (SQLite by default, TEST_DATABASE_URL for PostgreSQL)."""
import os

import pytest
from sqlalchemy import text
from werkzeug.security import generate_password_hash

from cone import create_app
from cone.services.models import User, db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
PASSWORD = "correct horse battery"
# Cheap hashing keeps the suite fast; production uses werkzeug's default (scrypt)
_FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def database_url(tmp_path) -> str:
    return TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(scope="session")
def _postgres_schema():
    """Create the tables once per run on PostgreSQL; each test then empties them."""
    if not ON_POSTGRES:
        yield
        return
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL})
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def make_app(tmp_path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def app(tmp_path, _postgres_schema):
    app = make_app(tmp_path)
    with app.app_context():
        if ON_POSTGRES:
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            db.session.commit()
        else:
            db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def runner(app):
    """Invokes `flask …` commands against the test app."""
    return app.test_cli_runner()


def add_user(email="admin@example.com", role="admin", name=None, active=True) -> User:
    user = User(email=email, role=role, name=name or email.split("@")[0].title(),
                password_hash=_FAST_HASH, active=active)
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def admin(app):
    return add_user("admin@example.com", "admin", "Ada Admin")


@pytest.fixture
def staff(app):
    return add_user("staff@example.com", "staff", "Sam Staff")


def login_as(client, user):
    with client.session_transaction() as sess:
        sess["_user_id"] = str(user.id)
        sess["_fresh"] = True


@pytest.fixture
def admin_client(client, admin):
    login_as(client, admin)
    return client


@pytest.fixture
def staff_client(client, staff):
    login_as(client, staff)
    return client


def hx(target: str | None = None, **extra) -> dict:
    """Headers of a targeted htmx request."""
    headers = {"HX-Request": "true"}
    if target:
        headers["HX-Target"] = target
    headers.update(extra)
    return headers


# Companies House: the emulator as a live server on a loopback port, shared by the run
import threading  # noqa: E402

import httpx  # noqa: E402
from werkzeug.serving import WSGIRequestHandler, make_server  # noqa: E402

from cone import jobs  # noqa: E402
from cone.wiring import close_http_clients  # noqa: E402
from tests.emulators.companies_house import create_emulator  # noqa: E402

jobs.huey.immediate = True  # tasks run inside the caller, on its app and database


class ChEmulator:
    """A handle on the running emulator: its URL and key, and its /_control endpoints."""

    key = "test-key"

    def __init__(self, url: str):
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=5)

    def _post(self, path: str, body: dict) -> None:
        self.http.post(path, json=body).raise_for_status()

    def reset(self) -> None:
        self._post("/_control/reset", {})

    def update_company(self, number: str, profile: dict | None = None, **parts) -> None:
        """Merge profile members; officers=, pscs=, statements= replace lists; remove=[names]."""
        self._post(f"/_control/companies/{number}", {"profile": profile or {}, **parts})

    def fail_next(self, path: str, status, times: int = 1) -> None:
        self._post("/_control/fail", {"path": path, "status": status, "times": times})

    def rate_limit(self, limit: int, window: int = 300, retry_after: int | None = None) -> None:
        self._post("/_control/rate-limit", {"limit": limit, "window": window,
                                            "retry_after": retry_after})

    def page_size(self, size: int) -> None:
        self._post("/_control/page-size", {"max": size})

    def slow(self, seconds: float) -> None:
        self._post("/_control/slow", {"seconds": seconds})

    def requests(self) -> list[str]:
        return self.http.get("/_control/requests").json()


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # one line per request would drown test output
        pass


@pytest.fixture(scope="session")
def _ch_server():
    server = make_server("127.0.0.1", 0, create_emulator({ChEmulator.key}), threaded=True,
                         request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
    server.server_close()


@pytest.fixture
def ch_emulator(_ch_server):
    """The Companies House emulator with its original data, for one test."""
    handle = ChEmulator(_ch_server)
    handle.reset()
    yield handle
    handle.http.close()


@pytest.fixture
def ch_app(app, ch_emulator):
    """The test app pointed at the emulator with a valid key (no retry back-off)."""
    app.config.update(COMPANIES_HOUSE_API_URL=ch_emulator.url,
                      COMPANIES_HOUSE_API_KEY=ch_emulator.key, COMPANIES_HOUSE_BACKOFF=0,
                      COMPANIES_HOUSE_TIMEOUT=2)
    yield app
    close_http_clients(app)


# FreeAgent and Sage: their emulators as live servers on loopback ports, shared by the run
from urllib.parse import parse_qs, urlsplit  # noqa: E402

from tests.emulators import freeagent as freeagent_emulator_module  # noqa: E402
from tests.emulators import sage as sage_emulator_module  # noqa: E402


class PlatformEmulator:
    """A handle on a running accounting emulator: its URLs and its /_control endpoints."""

    client_id, client_secret = "test-client", "test-secret"

    def __init__(self, key: str, url: str, *, api: str, authorize: str, token: str,
                 revoke: str | None, basic_auth: bool):
        self.key, self.url = key, url
        self.api_url, self.authorize_url = url + api, url + authorize
        self.token_url, self.revoke_url = url + token, (url + revoke) if revoke else None
        self.basic_auth = basic_auth
        self.http = httpx.Client(base_url=url, timeout=10)

    def _post(self, path: str, body: dict) -> dict:
        r = self.http.post(path, json=body)
        r.raise_for_status()
        return r.json()

    def reset(self) -> None:
        self._post("/_control/reset", {})

    def fail_next(self, path: str, status, times: int = 1, retry_after: int | None = 1) -> None:
        """The next `times` API calls under path fail: 5xx, 401, 429, "timeout", "malformed"."""
        self._post("/_control/fail", {"path": path, "status": status, "times": times,
                                      "retry_after": retry_after})

    def rate_limit(self, limit: int, window: int = 60) -> None:
        self._post("/_control/rate-limit", {"limit": limit, "window": window})

    def page_size(self, size: int) -> None:
        self._post("/_control/page-size", {"max": size})

    def slow(self, seconds: float) -> None:
        self._post("/_control/slow", {"seconds": seconds})

    def generate(self, count: int) -> None:
        self._post("/_control/generate", {"count": count})

    def add_contacts(self, contacts: list, **extra) -> None:
        self._post("/_control/contacts", {"contacts": contacts, **extra})

    def update_contact(self, ident, **members) -> None:
        self._post(f"/_control/contacts/{ident}", members)

    def oauth(self, **settings) -> None:
        """Change the OAuth server: access_ttl, refuse_refresh, deny, grace."""
        self._post("/_control/oauth", settings)

    def expire_tokens(self) -> None:
        self._post("/_control/oauth/expire", {})

    def oauth_report(self) -> dict:
        return self.http.get("/_control/oauth").json()

    def requests(self) -> list[str]:
        return self.http.get("/_control/requests").json()

    def grant(self, redirect_uri: str = "http://localhost/callback") -> dict:
        """A token pair from the authorize + token endpoints, as a connected app holds it."""
        r = self.http.get(self.authorize_url, follow_redirects=False,
                          params={"client_id": self.client_id, "redirect_uri": redirect_uri,
                                  "response_type": "code", "state": "s"})
        code = parse_qs(urlsplit(r.headers["Location"]).query)["code"][0]
        return self.token_request({"grant_type": "authorization_code", "code": code,
                                   "redirect_uri": redirect_uri})

    def token_request(self, form: dict) -> dict:
        """POST to the token endpoint with this platform's client authentication."""
        if self.basic_auth:
            r = self.http.post(self.token_url, data=form,
                               auth=(self.client_id, self.client_secret))
        else:
            r = self.http.post(self.token_url, data={**form, "client_id": self.client_id,
                                                     "client_secret": self.client_secret})
        return r.json()

    def configure(self, app) -> None:
        """Point the app's <PLATFORM>_* settings at this emulator."""
        prefix = self.key.upper()
        app.config.update({f"{prefix}_CLIENT_ID": self.client_id,
                           f"{prefix}_CLIENT_SECRET": self.client_secret,
                           f"{prefix}_AUTHORIZE_URL": self.authorize_url,
                           f"{prefix}_TOKEN_URL": self.token_url,
                           f"{prefix}_API_URL": self.api_url,
                           "ACCOUNTING_TIMEOUT": 2})
        if self.revoke_url:
            app.config[f"{prefix}_REVOKE_URL"] = self.revoke_url


def _serve(wsgi_app):
    """Run a WSGI app on a free loopback port in a daemon thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
    server.server_close()


@pytest.fixture(scope="session")
def _freeagent_server():
    yield from _serve(freeagent_emulator_module.create_emulator())


@pytest.fixture(scope="session")
def _sage_server():
    yield from _serve(sage_emulator_module.create_emulator())


@pytest.fixture
def freeagent_emulator(_freeagent_server):
    """The FreeAgent emulator with its original contacts and no tokens, for one test."""
    handle = PlatformEmulator("freeagent", _freeagent_server, api="/v2",
                              authorize="/v2/approve_app", token="/v2/token_endpoint",
                              revoke=None, basic_auth=True)
    handle.reset()
    yield handle
    handle.http.close()


@pytest.fixture
def sage_emulator(_sage_server):
    """The Sage emulator with its original businesses and contacts, for one test."""
    handle = PlatformEmulator("sage", _sage_server, api="/v3.1",
                              authorize="/oauth2/auth/central?filter=apiv3.1", token="/token",
                              revoke="/revoke", basic_auth=False)
    handle.reset()
    yield handle
    handle.http.close()


@pytest.fixture
def freeagent_app(app, freeagent_emulator):
    """The test app with FreeAgent configured against the emulator."""
    freeagent_emulator.configure(app)
    return app


@pytest.fixture
def sage_app(app, sage_emulator):
    """The test app with Sage configured against the emulator."""
    sage_emulator.configure(app)
    return app


class HandTokens:
    """A TokenSource built by hand over an emulator's token endpoint, counting refreshes."""

    def __init__(self, emulator: PlatformEmulator):
        from cone.services.providers.base import ProviderAuthError
        self.emulator, self.error = emulator, ProviderAuthError
        self.pair = emulator.grant()
        self.refreshes = 0

    def access_token(self) -> str:
        return self.pair["access_token"]

    def refresh(self) -> str:
        self.refreshes += 1
        body = self.emulator.token_request({"grant_type": "refresh_token",
                                            "refresh_token": self.pair["refresh_token"]})
        if "access_token" not in body:
            raise self.error("The platform refused to refresh the token.")
        self.pair = body
        return body["access_token"]


# Xero and QuickBooks: their emulators as live servers on loopback ports, shared by the run
from tests.emulators import quickbooks as quickbooks_emulator_module  # noqa: E402
from tests.emulators import xero as xero_emulator_module  # noqa: E402


@pytest.fixture(scope="session")
def _xero_server():
    yield from _serve(xero_emulator_module.create_emulator())


@pytest.fixture(scope="session")
def _quickbooks_server():
    yield from _serve(quickbooks_emulator_module.create_emulator())


@pytest.fixture
def xero_emulator(_xero_server):
    """The Xero emulator with one organisation, its sample contacts and no tokens, for one test."""
    handle = PlatformEmulator("xero", _xero_server, api="",
                              authorize="/identity/connect/authorize", token="/connect/token",
                              revoke="/connect/revocation", basic_auth=True)
    handle.reset()
    yield handle
    handle.http.close()


@pytest.fixture
def quickbooks_emulator(_quickbooks_server):
    """The QuickBooks emulator with one company and its sample customers, for one test."""
    handle = PlatformEmulator("quickbooks", _quickbooks_server, api="",
                              authorize="/connect/oauth2", token="/oauth2/v1/tokens/bearer",
                              revoke="/oauth2/v1/tokens/revoke", basic_auth=True)
    handle.reset()
    yield handle
    handle.http.close()


@pytest.fixture
def xero_app(app, xero_emulator):
    """The test app with Xero configured against the emulator."""
    xero_emulator.configure(app)
    return app


@pytest.fixture
def quickbooks_app(app, quickbooks_emulator):
    """The test app with QuickBooks configured against the emulator."""
    quickbooks_emulator.configure(app)
    return app
