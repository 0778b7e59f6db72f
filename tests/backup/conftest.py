"""A live database built by the migrations, a fresh database to restore into (a new SQLite
file, or a new PostgreSQL database the test drops), and a writer that keeps adding clients."""
import os
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, insert
from sqlalchemy.engine import make_url

from cone.services import crypto
from cone.services.models import (Client, ClientContact, Connection, Contact, Note, Setting,
                                  User, db)
from tests.helpers import (FAST_HASH, ON_POSTGRES, TEST_DATABASE_URL, drop_database, flask_db,
                           make_app)


@pytest.fixture
def live_app(migrating_app):
    """The app on a database at this code's head, built by `flask db upgrade`."""
    flask_db(migrating_app, "upgrade")
    return migrating_app


@pytest.fixture
def target_url(tmp_path):
    """A database that does not exist yet: restore makes it (and the test drops it)."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'restored' / 'cone.db'}"
        return
    url = make_url(TEST_DATABASE_URL)
    name = f"backup_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    target = url.set(database=name).render_as_string(hide_password=False)
    yield target
    drop_database(target)


@pytest.fixture
def target_app(tmp_path, target_url):
    """The app whose DATABASE_URL is the restore target (same SECRET_KEY as the live app)."""
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=target_url)
    yield app
    with app.app_context():
        db.engine.dispose()


def database_url(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"]


def seed(app, clients: int = 0) -> None:
    """A user, secrets stored encrypted (platform tokens, the Companies House key) and clients."""
    engine = create_engine(database_url(app))
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        conn.execute(insert(User), [{"email": "ann@example.com", "name": "Ann", "role": "admin",
                                     "password_hash": FAST_HASH}])
        conn.execute(insert(Connection), [{
            "provider": "xero", "tenant_id": "t-1", "tenant_name": "Acme Practice",
            "access_token": crypto.encrypt(app.config, "access"),
            "refresh_token": crypto.encrypt(app.config, "refresh"),
            "expires_at": now + timedelta(minutes=30)}])
        conn.execute(insert(Setting), [{"name": "companies_house_api_key",
                                        "value": crypto.encrypt(app.config, "ch-key"), "encrypted": True}])
        if clients:
            conn.execute(insert(Client), [{"kind": "business", "display_name": f"Seed {i} Ltd",
                                           "legal_name": f"Seed {i} Ltd", "email": f"s{i}@x.test",
                                           "company_number": f"{i:08d}"}
                                          for i in range(clients)])
    engine.dispose()


class WriteLoad:
    """A writer on its own connection: each transaction adds a client, a contact linked as its
    primary contact, and a note, until stopped. Records when each commit happened."""

    def __init__(self, url: str):
        self.engine = create_engine(url)
        self.clients: list[int] = []
        self.commits: list[float] = []
        self.errors: list[BaseException] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self) -> None:
        """Stop writing and wait for the last transaction to end."""
        self.stopping.set()
        self.thread.join(30)
        self.engine.dispose()
        assert not self.errors, self.errors

    def wait_for(self, commits: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.commits) < commits and not self.errors:
            assert time.monotonic() < deadline, "the write load stalled"
            time.sleep(0.01)
        assert not self.errors, self.errors

    def _run(self) -> None:
        n = 0
        while not self.stopping.is_set():
            n += 1
            try:
                with self.engine.begin() as conn:
                    client = conn.execute(insert(Client).values(
                        kind="individual", display_name=f"Load {n}", first_name="Load",
                        last_name=str(n))).inserted_primary_key[0]
                    contact = conn.execute(insert(Contact).values(
                        first_name="Pat", last_name=f"Load {n}")).inserted_primary_key[0]
                    conn.execute(insert(ClientContact).values(
                        client_id=client, contact_id=contact, is_primary=True, role="Owner"))
                    conn.execute(insert(Note).values(client_id=client, body=f"note {n}"))
            except BaseException as error:  # reported to the test by wait_for()
                self.errors.append(error)
                return
            self.clients.append(client)
            self.commits.append(time.monotonic())


@pytest.fixture
def write_load():
    """write_load(url) -> a WriteLoad, stopped when the test ends."""
    loads = []

    def start(url: str) -> WriteLoad:
        load = WriteLoad(url).__enter__()
        loads.append(load)
        return load

    yield start
    for load in loads:
        load.__exit__(None, None, None)
