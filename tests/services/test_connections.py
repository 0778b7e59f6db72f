"""OAuth connections end to end against the Xero and QuickBooks emulators, over real HTTP."""
import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from cone.services import connections

from cone.services.connections import tokens as connection_tokens
from cone.services.crypto import decrypt
from cone.services.models import ActivityEvent, Connection, db, utcnow
from cone.services.providers.base import ProviderAuthError
from tests.helpers import ON_POSTGRES

XERO_TENANT = "a3a1c9d4-0000-4000-8000-000000000001"


def consent(client, provider):
    """Start connecting, let the emulator approve, and return the callback's query."""
    r = client.get(f"/integrations/{provider}/connect")
    assert r.status_code == 303
    approved = httpx.get(r.location, follow_redirects=False)
    assert approved.status_code == 302
    target = urlsplit(approved.headers["Location"])
    assert target.path == f"/integrations/{provider}/callback"
    return parse_qs(target.query), target.query


def connect(client, provider):
    _, query = consent(client, provider)
    return client.get(f"/integrations/{provider}/callback?{query}")


def only_connection() -> Connection:
    return db.session.execute(db.select(Connection)).scalar_one()


def test_xero_connect_stores_encrypted_tokens_with_pkce(xero_app, admin_client, xero_emulator):
    r = connect(admin_client, "xero")
    assert r.status_code == 303 and r.location.endswith("/integrations")
    conn = only_connection()
    assert (conn.provider, conn.tenant_id, conn.tenant_name, conn.status) == (
        "xero", XERO_TENANT, "Demo Practice Ltd", "active")
    access = decrypt(xero_app.config, conn.access_token)
    assert access.startswith("at-") and "at-" not in conn.access_token
    assert decrypt(xero_app.config, conn.refresh_token).startswith("rt-")
    assert conn.expires_at > utcnow() + timedelta(minutes=25)
    report = xero_emulator.oauth_report()
    assert report["challenges"][0]["method"] == "S256" and report["challenges"][0]["challenge"]
    assert "offline_access" in report["challenges"][0]["scope"]
    assert report["counts"]["code"] == 1
    page = admin_client.get("/integrations").text
    assert "Demo Practice Ltd" in page and "Import customers" in page
    assert access not in page and decrypt(xero_app.config, conn.refresh_token) not in page
    assert db.session.execute(db.select(ActivityEvent).filter_by(action="connected")).scalar()


def test_wrong_state_is_refused(xero_app, admin_client, xero_emulator):
    query, _ = consent(admin_client, "xero")
    r = admin_client.get("/integrations/xero/callback",
                         query_string={"code": query["code"][0], "state": "forged"})
    assert r.status_code == 400 and "refused" in r.text
    assert db.session.execute(db.select(Connection)).first() is None
    assert xero_emulator.oauth_report()["counts"]["code"] == 0  # the code was never spent


def test_callback_without_a_started_flow_is_refused(xero_app, admin_client, xero_emulator):
    query, raw = consent(admin_client, "xero")
    with admin_client.session_transaction() as sess:
        sess.pop("oauth:xero")
    assert admin_client.get(f"/integrations/xero/callback?{raw}").status_code == 400


def test_state_is_single_use(xero_app, admin_client, xero_emulator):
    _, raw = consent(admin_client, "xero")
    assert admin_client.get(f"/integrations/xero/callback?{raw}").status_code == 303
    assert admin_client.get(f"/integrations/xero/callback?{raw}").status_code == 400


def test_denied_consent_stores_nothing(xero_app, admin_client, xero_emulator):
    xero_emulator.oauth(deny=True)
    r = connect(admin_client, "xero")
    assert r.status_code == 400 and "did not grant access" in r.text
    assert db.session.execute(db.select(Connection)).first() is None


def test_xero_with_several_organisations_asks_which(xero_app, admin_client, xero_emulator):
    xero_emulator._post("/_control/tenants", [
        {"tenantId": XERO_TENANT, "tenantName": "Demo Practice Ltd"},
        {"tenantId": "b0000000-0000-4000-8000-000000000002", "tenantName": "Sister Café Ltd"}])
    r = connect(admin_client, "xero")
    assert r.status_code == 303 and r.location.endswith("/integrations/xero/tenant")
    assert db.session.execute(db.select(Connection)).first() is None
    page = admin_client.get("/integrations/xero/tenant")
    assert page.status_code == 200
    assert "Demo Practice Ltd" in page.text and "Sister Café Ltd" in page.text
    assert "at-" not in page.text and "rt-" not in page.text
    assert admin_client.post("/integrations/xero/tenant", data={}).status_code == 422
    assert admin_client.post("/integrations/xero/tenant",
                             data={"tenant_id": "not-offered"}).status_code == 422
    r = admin_client.post("/integrations/xero/tenant",
                          data={"tenant_id": "b0000000-0000-4000-8000-000000000002"})
    assert r.status_code == 303
    conn = only_connection()
    assert (conn.tenant_id, conn.tenant_name) == ("b0000000-0000-4000-8000-000000000002",
                                                  "Sister Café Ltd")
    # the pending choice is gone once used
    assert admin_client.get("/integrations/xero/tenant").status_code == 303


def test_quickbooks_connect_takes_the_realm_from_the_callback(quickbooks_app, admin_client,
                                                             quickbooks_emulator):
    r = connect(admin_client, "quickbooks")
    assert r.status_code == 303
    conn = only_connection()
    assert (conn.provider, conn.tenant_id, conn.tenant_name, conn.status) == (
        "quickbooks", "9130350000000001", "Sandbox Company_GB_1", "active")
    challenge = quickbooks_emulator.oauth_report()["challenges"][0]
    assert challenge["challenge"] is None  # QuickBooks is not sent PKCE
    assert challenge["scope"] == "com.intuit.quickbooks.accounting"


def test_reconnecting_renews_the_same_connection(xero_app, admin_client, xero_emulator):
    connect(admin_client, "xero")
    conn = only_connection()
    conn.status = "reconnect"
    db.session.commit()
    connect(admin_client, "xero")
    db.session.expire_all()
    assert only_connection().status == "active"


def test_staff_cannot_connect_or_disconnect(xero_app, staff_client, xero_emulator):
    assert staff_client.get("/integrations/xero/connect").status_code == 403
    assert staff_client.get("/integrations/xero/callback?code=x&state=y").status_code == 403
    assert staff_client.post("/integrations/connections/1/disconnect").status_code == 403


def test_unconfigured_platform_is_404(xero_app, admin_client):
    assert admin_client.get("/integrations/sage/connect").status_code == 404
    assert admin_client.get("/integrations/nonsense/connect").status_code == 404


def expire_soon(conn, seconds=30):
    conn.expires_at = utcnow() + timedelta(seconds=seconds)
    db.session.commit()


def test_refresh_before_expiry_stores_the_rotated_pair(xero_app, admin_client, xero_emulator):
    connect(admin_client, "xero")
    conn = only_connection()
    config = xero_app.config
    old_access = decrypt(config, conn.access_token)
    old_refresh = decrypt(config, conn.refresh_token)
    tokens = connections.token_source(conn, config)
    assert tokens.access_token() == old_access  # fresh: no refresh
    assert xero_emulator.oauth_report()["counts"]["refresh"] == 0
    expire_soon(conn)  # inside the leeway: refresh now rather than fail mid-import
    new_access = connections.token_source(conn, config).access_token()
    assert new_access != old_access
    db.session.expire_all()
    conn = only_connection()
    assert decrypt(config, conn.access_token) == new_access
    new_refresh = decrypt(config, conn.refresh_token)
    assert new_refresh != old_refresh
    assert conn.expires_at > utcnow() + timedelta(minutes=25)
    xero_emulator.oauth(grace=0)
    assert xero_emulator.token_request({"grant_type": "refresh_token",
                                        "refresh_token": old_refresh}) == {
        "error": "invalid_grant"}  # single use: only the stored new one works
    assert "access_token" in xero_emulator.token_request(
        {"grant_type": "refresh_token", "refresh_token": new_refresh})


def test_forced_refresh_after_401(xero_app, admin_client, xero_emulator):
    connect(admin_client, "xero")
    conn = only_connection()
    tokens = connections.token_source(conn, xero_app.config)
    first = tokens.access_token()
    xero_emulator.expire_tokens()  # the platform dropped it early
    assert tokens.refresh() != first
    assert xero_emulator.oauth_report()["counts"]["refresh"] == 1


def test_two_workers_refreshing_at_once_keep_the_connection(xero_app, admin_client,
                                                           xero_emulator):
    connect(admin_client, "xero")
    xero_emulator.oauth(grace=0)  # strictly single-use, the hardest case
    conn = only_connection()
    expire_soon(conn, seconds=-5)
    conn_id, results, errors = conn.id, [], []
    barrier = threading.Barrier(2)

    def worker():
        with xero_app.app_context():
            try:
                source = connections.token_source(db.session.get(Connection, conn_id),
                                                  xero_app.config)
                barrier.wait()
                results.append(source.access_token())
            except Exception as error:  # reported below
                errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors and len(results) == 2
    db.session.expire_all()
    conn = only_connection()
    assert conn.status == "active"
    stored = decrypt(xero_app.config, conn.access_token)
    assert results == [stored, stored]
    report = xero_emulator.oauth_report()
    assert report["counts"]["refresh"] == 1
    if ON_POSTGRES:  # the row lock makes the second worker wait and reuse the first's tokens
        assert report["counts"]["refused"] == 0
    # the stored refresh token is the live one
    assert "access_token" in xero_emulator.token_request(
        {"grant_type": "refresh_token",
         "refresh_token": decrypt(xero_app.config, conn.refresh_token)})


def test_refused_refresh_marks_reconnect(xero_app, admin_client, xero_emulator, monkeypatch):
    connect(admin_client, "xero")
    conn = only_connection()
    expire_soon(conn)
    xero_emulator.oauth(refuse_refresh=True)
    monkeypatch.setattr(connection_tokens, "WAIT_FOR_WINNER", 0.2)  # no winner is coming
    with pytest.raises(ProviderAuthError, match="reconnect"):
        connections.token_source(conn, xero_app.config).access_token()
    db.session.expire_all()
    assert only_connection().status == "reconnect"
    page = admin_client.get("/integrations").text
    assert "Reconnect needed" in page and "Import customers" not in page
    with pytest.raises(ProviderAuthError):
        connections.provider_for(only_connection(), xero_app.config)


def test_disconnect_revokes_and_deletes_tokens(xero_app, admin_client, xero_emulator):
    connect(admin_client, "xero")
    conn = only_connection()
    access = decrypt(xero_app.config, conn.access_token)
    refresh = decrypt(xero_app.config, conn.refresh_token)
    r = admin_client.post(f"/integrations/connections/{conn.id}/disconnect")
    assert r.status_code == 303
    assert db.session.execute(db.select(Connection)).first() is None
    report = xero_emulator.oauth_report()
    assert report["revoked"] == [refresh] and report["grants"] == []
    api = httpx.get(xero_emulator.url + "/connections",
                    headers={"Authorization": f"Bearer {access}"})
    assert api.status_code == 401
    assert "Disconnected Xero" in admin_client.get("/integrations").text


def test_disconnect_still_forgets_when_the_platform_is_down(quickbooks_app, admin_client,
                                                            quickbooks_emulator):
    connect(admin_client, "quickbooks")
    conn = only_connection()
    quickbooks_app.config["QUICKBOOKS_REVOKE_URL"] = "http://127.0.0.1:9/revoke"
    admin_client.post(f"/integrations/connections/{conn.id}/disconnect")
    assert db.session.execute(db.select(Connection)).first() is None


def test_integrations_page_cards(xero_app, admin_client, xero_emulator):
    page = admin_client.get("/integrations").text
    assert "Connect Xero" in page
    assert "Set SAGE_CLIENT_ID" in page  # not configured in this app
    connect(admin_client, "xero")
    page = admin_client.get("/integrations").text
    assert "Connected" in page and "nothing imported yet" in page
    assert "Connect another organisation" in page


@pytest.mark.parametrize("provider, names", [
    ("xero", {"Acme Widgets Ltd", "Tom Jones"}),
    ("quickbooks", {"Cool Cars", "Diego Rodriguez"})])
def test_provider_for_reads_customers_through_the_connection(request, admin_client, provider,
                                                             names):
    app = request.getfixturevalue(f"{provider}_app")
    emulator = request.getfixturevalue(f"{provider}_emulator")
    connect(admin_client, provider)
    conn = only_connection()
    emulator.expire_tokens()  # the first call gets a 401 and the stored refresh token is spent
    with connections.open_provider(conn, app.config) as platform:
        found = {c.name for c in platform.list_customers()}
        assert platform.key == provider
    assert names <= found
    assert emulator.oauth_report()["counts"]["refresh"] == 1
    db.session.expire_all()
    assert only_connection().status == "active"


def test_configured_platforms(xero_app, quickbooks_emulator):
    assert connections.configured_platforms(xero_app.config) == ["xero"]
    quickbooks_emulator.configure(xero_app)
    assert connections.configured_platforms(xero_app.config) == ["xero", "quickbooks"]


def test_tokens_unreadable_after_the_key_changed_ask_for_reconnect(xero_app, admin_client,
                                                                   xero_emulator):
    connect(admin_client, "xero")
    conn = only_connection()
    config = {**xero_app.config, "CONE_ENCRYPTION_KEY": "a different passphrase"}
    with pytest.raises(ProviderAuthError, match="encryption key changed"):
        connections.token_source(conn, config).access_token()


def test_disconnect_needs_the_csrf_token(xero_app, admin_client, xero_emulator):
    connect(admin_client, "xero")
    conn_id = only_connection().id
    xero_app.config["WTF_CSRF_ENABLED"] = True
    assert admin_client.post(f"/integrations/connections/{conn_id}/disconnect").status_code == 400
    assert db.session.execute(db.select(Connection)).first() is not None


def test_a_refused_code_is_explained_not_stored(xero_app, admin_client, xero_emulator):
    query, _ = consent(admin_client, "xero")  # the state is genuine, the code is not
    r = admin_client.get("/integrations/xero/callback",
                         query_string={"code": "code-made-up", "state": query["state"][0]})
    assert r.status_code == 303
    page = admin_client.get("/integrations").text
    assert "Could not connect Xero" in page and "invalid_grant" in page
    assert db.session.execute(db.select(Connection)).first() is None
