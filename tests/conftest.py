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

from cone.services import jobs  # noqa: E402
from cone.services.providers import close_http_clients  # noqa: E402
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
