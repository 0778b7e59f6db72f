"""Fixtures of the scale-out test: the farm of real processes (once per module), people."""
import os

import pytest
from sqlalchemy import create_engine

from tests.fixtures.platforms import ENDPOINTS, PlatformEmulator
from tests.helpers import PASSWORD, drop_database, own_redis
from tests.scaleout.farm import ADMIN, STAFF, Farm, Person, Processes, own_database

REDIS_URL = "redis://127.0.0.1:6379/7"  # a database of its own: flushed before and after


@pytest.fixture(scope="module")
def farm(tmp_path_factory, _ch_server, _xero_server):
    """Two servers, one job consumer, one new database and Redis, started as in production."""
    with own_redis(REDIS_URL):
        yield from _farm(tmp_path_factory, _ch_server, _xero_server)


def _farm(tmp_path_factory, ch_server: str, xero_server):
    """The farm itself, its Redis database already set aside by farm()."""
    url = own_database()
    xero = PlatformEmulator("xero", xero_server, **ENDPOINTS["xero"])
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "HOME": str(tmp_path_factory.getbasetemp()), "DATABASE_URL": url, "REDIS_URL": REDIS_URL,
           "SECRET_KEY": "one-secret-for-every-server", "PYTHONWARNINGS": "ignore",
           "COMPANIES_HOUSE_API_URL": ch_server, "COMPANIES_HOUSE_API_KEY": "test-key",
           "XERO_CLIENT_ID": xero.client_id, "XERO_CLIENT_SECRET": xero.client_secret,
           "XERO_AUTHORIZE_URL": xero.authorize_url, "XERO_TOKEN_URL": xero.token_url,
           "XERO_API_URL": xero.api_url, "XERO_REVOKE_URL": xero.revoke_url}
    xero.http.close()
    procs = Processes(env, tmp_path_factory.mktemp("scaleout"))
    engine = create_engine(url)
    try:
        procs.flask("db", "upgrade")  # once per release, before any server starts
        procs.flask("cone", "create-user", ADMIN, "--role", "admin", "--password", PASSWORD)
        procs.flask("cone", "create-user", STAFF, "--role", "staff", "--password", PASSWORD)
        procs.start("consumer", "huey_consumer", "cone.worker.huey", "-w", "2")
        a, b = procs.server("server-a"), procs.server("server-b")
        yield Farm(a, b, engine)
    finally:
        procs.stop()
        engine.dispose()
        drop_database(url)


@pytest.fixture
def person():
    """make(server) signs a new person in there as the admin; make() leaves them signed out."""
    people = []

    def make(server: str | None = None, email: str = ADMIN) -> Person:
        p = Person()
        people.append(p)
        if server:
            assert p.sign_in(server, email).status_code == 303
            p.token = p.csrf(f"{server}/clients/new")
        return p
    yield make
    for p in people:
        p.http.close()
