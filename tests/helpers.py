"""Helpers shared by test modules; fixtures live in tests/fixtures/ (loaded by conftest.py)."""
from __future__ import annotations

import contextvars
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
import os
import threading
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx
import pytest
import redis
from flask import has_app_context
from flask.testing import FlaskCliRunner, FlaskClient
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash
from werkzeug.serving import WSGIRequestHandler, make_server

from cone import create_app, jobs, wiring
from cone.services import companies_house as ch
from cone.services import imports
from cone.services.crypto import encrypt
from cone.services.models import Address, Client, Connection, ImportRun, User, db, utcnow
from cone.services.providers.accounting import ContactPerson, ExternalCustomer
from cone.services.providers.base import ProviderAuthError
from tests.emulators.xero import TENANTS as XERO_TENANTS

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
PASSWORD = "correct horse battery"
# Cheap hashing keeps the suite fast; production uses werkzeug's default (scrypt)
FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


# The app and its clients

def database_url(tmp_path) -> str:
    """TEST_DATABASE_URL, else a new SQLite file in tmp_path."""
    return TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'test.db'}"


def _on_postgres_server(sql: str) -> None:
    """Run sql on TEST_DATABASE_URL's server, outside a transaction (as CREATE DATABASE must)."""
    server = create_engine(make_url(TEST_DATABASE_URL).set(database="postgres"),
                           isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            conn.execute(text(sql))
    finally:
        server.dispose()


def create_database(name: str) -> str:
    """A new PostgreSQL database beside TEST_DATABASE_URL's; returns its URL."""
    _on_postgres_server(f'CREATE DATABASE "{name}"')
    return make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop the PostgreSQL database at url, sessions still on it included."""
    _on_postgres_server(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def _read_afresh() -> None:
    """The test's own app context, if it has one, reads again what a request or command wrote."""
    if has_app_context():
        db.session.expire_all()


class _BodyInContext:
    """A response body whose chunks are made inside the request's context, as they are read."""

    def __init__(self, context: contextvars.Context, body):
        self.context, self.body, self.chunks = context, body, iter(body)

    def __iter__(self):
        return self

    def __next__(self):
        return self.context.run(next, self.chunks)

    def close(self) -> None:
        if hasattr(self.body, "close"):
            self.context.run(self.body.close)


class RequestClient(FlaskClient):
    """A test client whose every request starts from an empty context, as on a real server:
    its own app context, `g`, database session and signed-in user, never the test's."""

    def open(self, *args, **kwargs):
        """Make the request in a context of its own (redirects followed there too)."""
        context = contextvars.Context()
        response = context.run(super().open, *args, **kwargs)
        # a streamed body (stream_with_context) goes on running in the request's context
        response.response = _BodyInContext(context, response.response)
        _read_afresh()
        return response


class CommandRunner(FlaskCliRunner):
    """Runs `flask …` commands from an empty context, as a shell does: never the test's."""

    def invoke(self, *args, **kwargs):
        """Run the command in an app context of its own."""
        result = contextvars.Context().run(super().invoke, *args, **kwargs)
        _read_afresh()
        return result


def make_app(tmp_path, **overrides):
    """The app as tests run it: CSRF off, a test database, isolated requests and commands."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
    }
    config.update(overrides)
    app = create_app(config)
    app.test_client_class, app.test_cli_runner_class = RequestClient, CommandRunner
    return app


def flask_db(app, *args):
    """Run `flask db …` (Flask-Migrate) on app and check it succeeded."""
    result = app.test_cli_runner().invoke(args=["db", *args])
    assert result.exit_code == 0, result.output
    return result


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # one line per request would drown test output
        pass


def serve(wsgi_app):
    """Run a WSGI app on a free loopback port in a daemon thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
    server.server_close()


# Data

def bulk_clients(count: int, name: str = "Bulk", **fields) -> None:
    """count clients inserted in one statement, named in an order unlike their ids."""
    stamp = utcnow()
    db.session.execute(Client.__table__.insert(), [
        {"kind": "business", "status": "customer", "display_name": f"{name} {(i * 7919) % count:04}",
         "created_at": stamp - timedelta(minutes=i), "updated_at": stamp, "version": 1, **fields}
        for i in range(count)])
    db.session.commit()


# Users and requests

def add_user(email="admin@example.com", role="admin", name=None, active=True) -> User:
    """A user with PASSWORD, committed (needs an app context)."""
    user = User(email=email, role=role, name=name or email.split("@")[0].title(),
                password_hash=FAST_HASH, active=active)
    db.session.add(user)
    db.session.commit()
    return user


def login_as(client, user) -> None:
    """Sign the test client in as user, as Flask-Login's session cookie does."""
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True


def hx(target: str | None = None, **extra) -> dict:
    """Headers of a targeted htmx request."""
    headers = {"HX-Request": "true"}
    if target:
        headers["HX-Target"] = target
    headers.update(extra)
    return headers


def sign_in(page, base_url: str, email: str, password: str = PASSWORD):
    """Sign in through the real form in the browser and wait for the client list."""
    page.goto(f"{base_url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/clients**")


# What the create form posts for a business and for an individual
BUSINESS = {
    "kind": "business", "legal_name": "Acme Widgets Ltd", "company_number": "1234567",
    "status": "customer", "email": "office@acme.example", "phone": "020 7946 0000",
    "registered_postcode": "sw1a1aa", "registered_line1": "1 High Street",
    "contacts-0-first_name": "Ann", "contacts-0-last_name": "Archer",
    "contacts-0-email": "ann@acme.example", "primary": "new:0",
}
INDIVIDUAL = {
    "kind": "individual", "first_name": "Jane", "last_name": "Doe", "status": "prospect",
    "email": "jane@example.com", "primary": "self",
}
# The workspace tabs, in the order the page shows them
TABS = ("overview", "contacts", "companies-house", "deadlines", "notes", "activity", "related")


# Companies House failures

FAILURES = [
    # (how to make it fail, the words the user sees)
    ("key", "refused the API key"),
    ("404", "no company with that number"),
    ("429", "limiting requests"),
    ("503", "having problems"),
    ("timeout", "did not answer in time"),
    ("malformed", "could not read"),
]


def break_provider(app, emulator, how: str, path: str) -> None:
    """Make the next calls to path fail in the given way (one of FAILURES)."""
    wiring.close_http_clients(app)  # the next call builds its client from this config
    app.config["COMPANIES_HOUSE_RETRIES"] = 0
    if how == "key":
        app.config["COMPANIES_HOUSE_API_KEY"] = "wrong-key"
    elif how == "timeout":
        app.config["COMPANIES_HOUSE_TIMEOUT"] = 0.3
        emulator.slow(1)
        emulator.fail_next(path, "timeout", times=5)
    elif how == "404":
        emulator.fail_next(path, 404, times=5)
    else:
        emulator.fail_next(path, int(how) if how.isdigit() else how, times=5)


# Accounting platforms

class HandTokens:
    """A TokenSource built by hand over an emulator's token endpoint, counting refreshes."""

    def __init__(self, emulator):
        self.emulator = emulator
        self.pair = emulator.grant()
        self.refreshes = 0

    def access_token(self) -> str:
        return self.pair["access_token"]

    def refresh(self) -> str:
        self.refreshes += 1
        body = self.emulator.token_request({"grant_type": "refresh_token",
                                            "refresh_token": self.pair["refresh_token"]})
        if "access_token" not in body:
            raise ProviderAuthError("The platform refused to refresh the token.")
        self.pair = body
        return body["access_token"]


# Jobs, run as the pages start them

def run_import(run: ImportRun, user) -> ImportRun:
    """Start a previewed import as the Start button does: claim it, run its job (immediate mode)."""
    imports.start_import(run, user=user)
    jobs.import_task(run.id)
    db.session.expire_all()
    return db.session.get(ImportRun, run.id)


def resync_all(user) -> ImportRun:
    """Resync every mapped client as the Integrations page does: a run, then its job."""
    run = ch.start_resync_all(user=user)
    jobs.resync_all_task(run.id)
    db.session.expire_all()
    return db.session.get(ImportRun, run.id)


class FormValues(HTMLParser):
    """What a browser posts for a page's form: inputs, each select's chosen option."""

    def __init__(self):
        super().__init__()
        self.values, self.select = {}, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "disabled" in a:
            return
        if tag == "input" and a.get("name") and (
                a.get("type") not in ("checkbox", "radio") or "checked" in a):
            self.values[a["name"]] = a.get("value") or ""
        elif tag == "select":
            self.select = a.get("name")
        elif tag == "option" and self.select and (
                "selected" in a or self.select not in self.values):
            self.values[self.select] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None


def form_values(html: str) -> dict:
    """The values a browser would post, unchanged, for the form(s) in html."""
    parser = FormValues()
    parser.feed(html)
    return parser.values


def add_raw_client(connection, name: str) -> None:
    """A client by a plain INSERT of the columns every schema revision has (migration tests
    run against older schemas than the model's)."""
    connection.execute(insert(Client.__table__).values(
        kind="business", status="customer", display_name=name, legal_name=name, version=1,
        created_at=db.func.now(), updated_at=db.func.now()))


def count(model, *where) -> int:
    """How many rows of model (matching where) the database holds."""
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


XERO_TENANT = XERO_TENANTS[0]["tenantId"]


def xero_connection(app, emulator, tenant: str = XERO_TENANT,
                    name: str = "Demo Practice Ltd") -> Connection:
    """A stored Xero connection holding a real token pair from the emulator."""
    pair = emulator.grant()
    conn = Connection(provider="xero", tenant_id=tenant, tenant_name=name,
                      access_token=encrypt(app.config, pair["access_token"]),
                      refresh_token=encrypt(app.config, pair["refresh_token"]),
                      expires_at=utcnow() + timedelta(seconds=pair["expires_in"]))
    db.session.add(conn)
    db.session.commit()
    return conn


def connect_xero(client) -> Connection:
    """Go through the real OAuth dance against the emulator, as an admin would."""
    r = client.get("/integrations/xero/connect")
    answer = httpx.get(r.headers["Location"], follow_redirects=False)
    back = urlsplit(answer.headers["Location"])
    r = client.get(f"{back.path}?{back.query}")
    assert r.status_code == 303, r.text
    return db.session.scalars(select(Connection)).one()


STAMP = datetime(2026, 5, 1, 9, 30, tzinfo=timezone.utc)


def customer(external_id, name, **kw) -> ExternalCustomer:
    """A customer as the Xero adapter yields it: messy names and foreign addresses included."""
    values = dict(provider="xero", external_id=external_id, tenant_id="T1", name=name,
                  kind="business", first_name=None, last_name=None, email=None, phone=None,
                  address=Address(line1="Flat 2, 10 Rue de l'Église", town="Montréal",
                                  postcode="H2X 1Y4", country="Canada"),
                  company_number=None, vat_number=None, people=(), is_customer=True,
                  archived=False, updated_at=STAMP, raw={"ContactID": external_id})
    values.update(kw)
    return ExternalCustomer(**values)


MESSY = ["O'Brien & Daughters, Ltd", "Zoë Łukasiewicz-Ñúñez", "Café ☕ Crème SARL",
         "Doe, Jane", "Smith & Smith (Wales) LLP", "Ørsted Ænergy ApS", "Ünal Bakery"]


def messy_customers(n: int, prefix: str = "X") -> list[ExternalCustomer]:
    return [customer(f"{prefix}{i}", f"{MESSY[i % len(MESSY)]} {i}",
                     email=f"accounts{i}@example.com",
                     people=(ContactPerson("Ann", f"Archer-{i}", f"ann{i}@example.com", None),))
            for i in range(n)]


def queued(customers, admin, decisions=None) -> ImportRun:
    rows = imports.build_preview(customers)
    run = imports.create_preview_run("xero", rows, user=admin)
    if decisions:
        imports.set_decisions(run, decisions, user=admin)
    return imports.start_import(run, user=admin)


@contextmanager
def own_redis(url: str):
    """A Redis database the test has to itself, emptied before and after (skips the test when
    Redis is not running)."""
    jobs = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        jobs.ping()
    except redis.RedisError as e:
        pytest.skip(f"Redis is not reachable at {url}: {e}")
    jobs.flushdb()
    try:
        yield jobs
    finally:
        jobs.flushdb()
        jobs.close()
