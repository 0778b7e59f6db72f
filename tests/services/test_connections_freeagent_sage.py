"""Connecting FreeAgent and Sage end to end: OAuth against the emulators, tokens, adapters."""
from urllib.parse import parse_qs, urlsplit

import pytest

from cone.services import connections
from cone.services.crypto import decrypt
from cone.services.imports import run_import
from cone.services.imports.from_platform import queue_import
from cone.services.models import ActivityEvent, Client, Connection, db
from cone.services.providers.freeagent import FreeAgent
from cone.services.providers.sage import Sage
from tests.helpers import login_as
from tests.emulators.sage import LEAD, contact_id


def consent(client, emulator, provider: str) -> str:
    """Start connecting and let the emulator approve; the callback path with code and state."""
    r = client.get(f"/integrations/{provider}/connect")
    assert r.status_code == 303
    assert r.headers["Location"].startswith(emulator.authorize_url.split("?")[0])
    approved = emulator.http.get(r.headers["Location"], follow_redirects=False)
    assert approved.status_code == 302
    callback = urlsplit(approved.headers["Location"])
    assert callback.path == f"/integrations/{provider}/callback"
    return f"{callback.path}?{callback.query}"


def connect(client, emulator, provider: str) -> Connection:
    r = client.get(consent(client, emulator, provider))
    if r.headers["Location"].endswith(f"/integrations/{provider}/tenant"):
        # Several businesses offered: take the lead one, as Sage itself would
        r = client.post(f"/integrations/{provider}/tenant", data={"tenant_id": LEAD})
    assert r.status_code == 303 and r.headers["Location"].endswith("/integrations")
    return db.session.execute(db.select(Connection).filter_by(provider=provider)).scalar_one()


def expire_stored_token(conn: Connection) -> None:
    db.session.refresh(conn)
    conn.expires_at = conn.expires_at.replace(year=2000)
    db.session.commit()


@pytest.mark.parametrize("provider", ["freeagent", "sage"])
def test_both_platforms_are_offered_once_configured(app, freeagent_emulator, sage_emulator,
                                                    provider):
    assert provider not in connections.configured_platforms(app.config)
    {"freeagent": freeagent_emulator, "sage": sage_emulator}[provider].configure(app)
    assert provider in connections.configured_platforms(app.config)


def test_freeagent_connects_and_lists_customers(freeagent_app, admin_client,
                                                freeagent_emulator):
    conn = connect(admin_client, freeagent_emulator, "freeagent")
    assert conn.status == "active" and conn.tenant_id == ""
    challenge = freeagent_emulator.oauth_report()["challenges"][0]
    assert challenge["challenge"] is None  # FreeAgent documents no PKCE
    # Tokens are stored encrypted, never as issued
    assert not conn.access_token.startswith("at-")
    assert decrypt(freeagent_app.config, conn.access_token).startswith("at-")
    with connections.open_provider(conn, freeagent_app.config) as provider:
        assert isinstance(provider, FreeAgent)
        names = sorted(c.name for c in provider.list_customers())
    assert names == ["Acme Widgets Ltd", "Old Mill Bakery", "Siobhán Ó Briain",
                     "Zürich Café Ltd"]
    assert db.session.execute(db.select(ActivityEvent).filter_by(action="connected")).scalar()


def test_sage_connects_with_its_scope_and_reads_the_lead_business(sage_app, admin_client,
                                                                  sage_emulator):
    conn = connect(admin_client, sage_emulator, "sage")
    assert conn.status == "active"
    assert sage_emulator.oauth_report()["challenges"][0]["scope"] == "readonly"
    with connections.open_provider(conn, sage_app.config) as provider:
        assert isinstance(provider, Sage)
        names = {c.name for c in provider.list_customers()}
    assert "Acme Widgets Ltd" in names and "Other Business Client Ltd" not in names


@pytest.mark.parametrize("provider", ["freeagent", "sage"])
def test_a_callback_with_the_wrong_state_is_refused(request, admin_client, provider):
    emulator = request.getfixturevalue(f"{provider}_emulator")
    emulator.configure(request.getfixturevalue("app"))
    callback = consent(admin_client, emulator, provider)
    query = parse_qs(urlsplit(callback).query)
    r = admin_client.get(f"/integrations/{provider}/callback",
                         query_string={"code": query["code"][0], "state": "forged"})
    assert r.status_code == 400
    assert db.session.execute(db.select(Connection)).first() is None
    assert emulator.oauth_report()["counts"]["code"] == 0  # the code was never spent


def test_sage_refreshes_an_expired_token_and_stores_the_rotated_pair(sage_app, admin_client,
                                                                     sage_emulator):
    conn = connect(admin_client, sage_emulator, "sage")
    spent = decrypt(sage_app.config, conn.refresh_token)
    expire_stored_token(conn)
    with connections.open_provider(conn, sage_app.config) as provider:
        assert len(list(provider.list_customers())) == 5
    db.session.refresh(conn)
    assert decrypt(sage_app.config, conn.refresh_token) != spent
    assert sage_emulator.oauth_report()["counts"]["refresh"] == 1
    # Sage refresh tokens are single-use: the stored one must be the new one
    refused = sage_emulator.token_request({"grant_type": "refresh_token", "refresh_token": spent})
    assert refused == {"error": "invalid_grant"}


def test_freeagent_refreshes_after_a_401_from_the_api(freeagent_app, admin_client,
                                                      freeagent_emulator):
    conn = connect(admin_client, freeagent_emulator, "freeagent")
    before = conn.access_token
    freeagent_emulator.expire_tokens()  # the platform says expired; our clock does not know
    with connections.open_provider(conn, freeagent_app.config) as provider:
        assert provider.fetch_customer("101").name == "Acme Widgets Ltd"
    db.session.refresh(conn)
    assert conn.access_token != before and conn.status == "active"
    assert freeagent_emulator.oauth_report()["counts"]["refresh"] == 1


def test_disconnecting_sage_revokes_the_refresh_token(sage_app, admin_client, sage_emulator):
    conn = connect(admin_client, sage_emulator, "sage")
    token = decrypt(sage_app.config, conn.refresh_token)
    r = admin_client.post(f"/integrations/connections/{conn.id}/disconnect")
    assert r.status_code == 303
    assert db.session.execute(db.select(Connection)).first() is None
    assert sage_emulator.oauth_report()["revoked"] == [token]


def test_disconnecting_freeagent_forgets_the_tokens(freeagent_app, admin_client,
                                                    freeagent_emulator):
    conn = connect(admin_client, freeagent_emulator, "freeagent")
    r = admin_client.post(f"/integrations/connections/{conn.id}/disconnect")
    assert r.status_code == 303
    assert db.session.execute(db.select(Connection)).first() is None
    assert freeagent_emulator.oauth_report()["counts"]["revoke"] == 0  # none documented



def imported(conn, config, **options):
    """Queue an import of the connection, then run it as the command line does."""
    rows, run = queue_import(conn, config, **options)
    return rows, run_import(run.id)


CHANGED = {"freeagent": ("103", "Zürich Café Ltd"), "sage": (contact_id(3), "Zürich Café")}


@pytest.mark.parametrize("provider", ["freeagent", "sage"])
def test_importing_again_never_duplicates_and_picks_up_changes(request, admin, client,
                                                               provider):
    emulator = request.getfixturevalue(f"{provider}_emulator")
    app = request.getfixturevalue("app")
    emulator.configure(app)
    login_as(client, admin)
    conn = connect(client, emulator, provider)
    _, first = imported(conn, app.config, user=admin)
    assert (first.status, first.failed, first.skipped) == ("done", 0, 1)  # the archived one
    count = db.session.query(Client).count()
    assert count == first.created >= 3
    ident, name = CHANGED[provider]
    emulator.update_contact(ident, email="new@cafe.example")
    rows, again = imported(conn, app.config, user=admin)
    assert [r.customer.name for r in rows] == [name]  # only what changed since the last run
    assert (again.created, again.updated) == (0, 1)
    _, full = imported(conn, app.config, user=admin, full=True)
    assert (full.created, full.updated, full.failed) == (0, 0, 0)
    assert db.session.query(Client).count() == count
    cafe = db.session.execute(db.select(Client).filter_by(display_name=name)).scalar_one()
    assert cafe.email == "new@cafe.example"
