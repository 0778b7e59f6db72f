"""Sources: finding the platform connection, and resyncing a client from whichever source it has."""
from datetime import timedelta

import pytest

from cone import wiring
from cone.services import companies_house as ch
from cone.services import connections
from cone.services.crypto import encrypt
from cone.services.models import ActivityEvent, Client, Connection, ExternalLink, db, utcnow
from cone.services.resync import resync
from cone.services.sources import NotConnected, NotLinked, find_connection
from tests.emulators.xero_data import TENANTS

TENANT = TENANTS[0]["tenantId"]
ACME = "00000000-0000-0000-0000-000000000001"  # the emulator's Acme Widgets Ltd


def add_connection(provider="xero", tenant_id=TENANT, name="Demo Practice Ltd", *,
                   app=None, tokens=None) -> Connection:
    """A stored connection (with the emulator's real token pair when tokens are given)."""
    conn = Connection(provider=provider, tenant_id=tenant_id, tenant_name=name)
    if tokens:
        conn.access_token = encrypt(app.config, tokens["access_token"])
        conn.refresh_token = encrypt(app.config, tokens["refresh_token"])
        conn.expires_at = utcnow() + timedelta(seconds=tokens["expires_in"])
    db.session.add(conn)
    db.session.commit()
    return conn


def never():
    raise AssertionError("no adapter is needed for this client")


def resync_with(client, app, admin):
    """The dispatcher wired as the workspace's Resync button wires it."""
    return resync(client, user=admin, companies_house=lambda: wiring.companies_house(app),
                  open_platform=lambda c: connections.open_provider(c, app.config))


def events(client):
    return list(db.session.scalars(db.select(ActivityEvent).where(
        ActivityEvent.client_id == client.id, ActivityEvent.action == "resynced")))


# ---- find_connection -----------------------------------------------------------------------

def test_find_connection_takes_the_only_one_or_the_one_named(app_ctx):
    demo = add_connection()
    assert find_connection("xero") == demo
    other = add_connection(tenant_id="t-2", name="Other Org")
    assert find_connection("xero", "Other Org") == other
    assert find_connection("xero", TENANT) == demo
    assert find_connection("xero", connection_id=str(other.id)) == other


def test_find_connection_says_when_nothing_is_connected(app_ctx):
    add_connection(provider="sage", tenant_id="s-1", name="Sage Books")
    with pytest.raises(NotConnected) as refused:
        find_connection("xero")
    assert str(refused.value) == ("Xero is not connected: an admin can connect it on the "
                                  "Integrations page.")


def test_find_connection_names_the_organisations_when_several_are_connected(app_ctx):
    demo, other = add_connection(), add_connection(tenant_id="t-2", name="Other Org")
    with pytest.raises(NotConnected) as refused:
        find_connection("xero")
    assert str(refused.value) == (f"Xero is connected to several organisations (Demo Practice "
                                  f"Ltd ({TENANT}), Other Org (t-2)): choose one.")
    assert refused.value.several == [demo, other]


def test_find_connection_says_when_the_organisation_asked_for_is_not_connected(app_ctx):
    add_connection()
    with pytest.raises(NotConnected, match="Xero is not connected to “Nowhere Ltd”: an admin"):
        find_connection("xero", "Nowhere Ltd")
    with pytest.raises(NotConnected, match="not an accounting platform Cone knows"):
        find_connection("nowhere")


# ---- the resync dispatcher -----------------------------------------------------------------

def test_resync_of_a_companies_house_client_refetches_the_company(ch_app, ch_emulator, admin):
    client = ch.create_from_companies_house("09876543", wiring.companies_house(ch_app), {},
                                            None, user=admin)
    ch_emulator.update_company("09876543", {"company_name": "NORTHWIND DATA LTD"})
    result = resync(client, user=admin, companies_house=lambda: wiring.companies_house(ch_app),
                    open_platform=never)
    assert result.changed and result.name_changed and result.name == "NORTHWIND DATA LTD"
    assert db.session.get(Client, client.id).legal_name == "NORTHWIND DATA LTD"
    [event] = events(client)
    assert event.summary.startswith("Resynced from Companies House: legal name")


def test_resync_of_a_platform_client_asks_its_connection(xero_app, xero_emulator, admin,
                                                         make_client):
    add_connection(app=xero_app, tokens=xero_emulator.grant())
    xero_emulator.add_contacts([{"ContactID": ACME, "TaxNumber": ""}])  # its own is malformed
    client = make_client(legal_name="Acme (old name)")
    db.session.add(ExternalLink(client=client, provider="xero", tenant_id=TENANT,
                                external_id=ACME, active=True))
    db.session.commit()
    result = resync_with(client, xero_app, admin)
    assert result.changed and result.name_changed
    assert {"legal_name", "email"} <= {c["field"] for c in result.changes}
    client = db.session.get(Client, client.id)
    assert (client.legal_name, client.email) == ("Acme Widgets Ltd", "accounts@acme.example")
    assert client.active_link.last_synced_at is not None
    [event] = events(client)
    assert event.summary.startswith("Resynced from Xero: ")


def test_resync_of_a_platform_client_without_its_connection_changes_nothing(xero_app, admin,
                                                                            make_client):
    add_connection(tenant_id="t-2", name="Other Org")
    client = make_client(legal_name="Acme (old name)")
    db.session.add(ExternalLink(client=client, provider="xero", tenant_id=TENANT,
                                external_id=ACME, active=True))
    db.session.commit()
    with pytest.raises(NotConnected, match=f"Xero is not connected to “{TENANT}”"):
        resync(client, user=admin, companies_house=never, open_platform=never)
    assert db.session.get(Client, client.id).legal_name == "Acme (old name)"
    assert events(client) == []


def test_resync_of_a_manual_client_is_refused_without_asking_anyone(app_ctx, admin,
                                                                    make_client):
    client = make_client(legal_name="Kept By Hand Ltd")
    with pytest.raises(NotLinked, match="not linked to any source"):
        resync(client, user=admin, companies_house=never, open_platform=never)
    assert events(client) == []
