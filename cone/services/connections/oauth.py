"""Connections to accounting platforms: the OAuth flows, token storage and adapters.

Tokens are stored as Fernet ciphertext (cone.services.crypto) and never leave this module in
clear except as the bearer header the adapters send. Refreshes happen in their own database
session so a caller's half-done transaction is never committed by a token rotation.
"""
from __future__ import annotations

import importlib
import json
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import httpx

from cone.services import audit
from cone.services.connections.tokens import (DatabaseTokens, OAuthError, oauth_client,
                                             token_call)
from cone.services.crypto import decrypt, encrypt
from cone.services.models import Connection, ImportRun, User, db, utcnow
from cone.services.providers.accounting import ADAPTERS, AccountingProvider
from cone.services.providers import sage  # the adapter module owns Sage's business list
from cone.services.providers.base import ProviderAuthError, ProviderError
from cone.services.providers.http import RetryPolicy, TokenSource
from cone.services.sources import PRODUCT_NAMES
from cone.services.tx import transaction


@dataclass(frozen=True)
class Platform:
    """What Cone needs to know about one platform's OAuth."""

    key: str
    scope: str | None
    pkce: bool
    auth_method: str              # client_secret_basic | client_secret_post
    revoke_url: str | None        # default; <PREFIX>_REVOKE_URL overrides it
    tenants: str | None = None    # "xero"/"sage": choose from the API; "realm": from the callback

    @property
    def label(self) -> str:
        """The product's name, e.g. QuickBooks Online."""
        return PRODUCT_NAMES[self.key]

    @property
    def prefix(self) -> str:
        """The settings prefix, e.g. XERO."""
        return self.key.upper()

    def setting(self, config, name: str) -> str | None:
        """The configured value of <PREFIX>_<name>, e.g. XERO_TOKEN_URL."""
        return config.get(f"{self.prefix}_{name}")


PLATFORMS: dict[str, Platform] = {
    "xero": Platform("xero", "offline_access accounting.contacts.read", True,
                     "client_secret_basic", "https://identity.xero.com/connect/revocation",
                     tenants="xero"),
    "quickbooks": Platform("quickbooks", "com.intuit.quickbooks.accounting",
                           False, "client_secret_basic",
                           "https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
                           tenants="realm"),
    "freeagent": Platform("freeagent", None, False, "client_secret_basic", None),
    "sage": Platform("sage", "readonly", False,
                     "client_secret_post", "https://oauth.accounting.sage.com/revoke",
                     tenants="sage"),
}


class ConnectRefused(ProviderError):
    """The OAuth callback cannot be trusted or the platform said no."""

    default = "The connection could not be completed: start again from Integrations."


@dataclass(frozen=True)
class Tenant:
    id: str
    name: str


class TenantChoice(list):
    """Several organisations to choose from; .sealed carries the encrypted token meanwhile."""

    def __init__(self, tenants: list[Tenant], sealed: str):
        super().__init__(tenants)
        self.sealed = sealed


def platform(provider: str) -> Platform:
    """The Platform for a key; KeyError for anything else (views turn that into 404)."""
    return PLATFORMS[provider]


def configured_platforms(config) -> list[str]:
    """Keys of the platforms whose client id and secret are configured."""
    return [key for key, p in PLATFORMS.items()
            if p.setting(config, "CLIENT_ID") and p.setting(config, "CLIENT_SECRET")]


def begin(provider: str, config, redirect_uri: str) -> tuple[str, str, str | None]:
    """The authorize URL to send the user to, the state to expect back, and the PKCE verifier."""
    p = platform(provider)
    verifier = secrets.token_urlsafe(48) if p.pkce else None
    with oauth_client(p, config, redirect_uri=redirect_uri) as client:
        url, state = client.create_authorization_url(
            p.setting(config, "AUTHORIZE_URL"), state=secrets.token_urlsafe(24),
            code_verifier=verifier)
    return url, state, verifier


def complete(provider: str, config, redirect_uri: str, *, code: str | None, state: str | None,
             expected_state: str | None, verifier: str | None, params: dict,
             user: User) -> Connection | TenantChoice:
    """Finish the callback: check state, swap the code for tokens, find the organisation."""
    p = platform(provider)
    if not expected_state or not state or not secrets.compare_digest(state, expected_state):
        raise ConnectRefused("The sign-in answer did not match this browser's request, so it "
                             "was refused. Start the connection again.")
    if params.get("error") or not code:
        raise ConnectRefused(f"{p.label} did not grant access"
                             f" ({params.get('error') or 'no code'}).")
    with oauth_client(p, config, redirect_uri=redirect_uri) as client:
        token = token_call(p, lambda: client.fetch_token(
            p.setting(config, "TOKEN_URL"), code=code, code_verifier=verifier))
    if p.tenants == "realm":
        realm = params.get("realmId")
        if not realm:
            raise ConnectRefused("QuickBooks did not say which company was connected.")
        return _save(p, config, token, _quickbooks_company(config, token["access_token"], realm),
                     user)
    if p.tenants in ("xero", "sage"):
        tenants = (_xero_tenants if p.tenants == "xero" else _sage_businesses)(
            config, token["access_token"])
        if not tenants:
            raise ConnectRefused(f"{p.label} says no organisation was shared with Cone.")
        if len(tenants) > 1:
            return TenantChoice(tenants, encrypt(config, json.dumps(token)))
        return _save(p, config, token, tenants[0], user)
    return _save(p, config, token, Tenant("", p.label), user)


def choose_tenant(provider: str, config, *, sealed: str, tenant_id: str,
                  tenants: list[Tenant], user: User) -> Connection:
    """Save the connection to the organisation the user picked from a TenantChoice."""
    chosen = next((t for t in tenants if t.id == tenant_id), None)
    if chosen is None:
        raise ConnectRefused("Choose one of the organisations listed.")
    try:
        token = json.loads(decrypt(config, sealed))
    except ValueError as error:
        raise ConnectRefused() from error
    return _save(platform(provider), config, token, chosen, user)


def _xero_tenants(config, access_token: str) -> list[Tenant]:
    """The organisations this Xero token may read."""
    url = config.get("XERO_API_URL").rstrip("/") + "/connections"
    try:
        resp = httpx.get(url, headers={"Authorization": f"Bearer {access_token}",
                                       "Accept": "application/json"}, timeout=10)
    except httpx.HTTPError as error:
        raise ConnectRefused("Xero did not answer when asked for its organisations.") from error
    if resp.status_code != 200:
        raise ConnectRefused(f"Xero refused to list its organisations ({resp.status_code}).")
    return [Tenant(t["tenantId"], t.get("tenantName") or t["tenantId"])
            for t in resp.json() if t.get("tenantType", "ORGANISATION") == "ORGANISATION"
            and t.get("tenantId")]


def _quickbooks_company(config, access_token: str, realm: str) -> Tenant:
    """The company's own name from CompanyInfo; its number will do if that call fails."""
    url = f"{config.get('QUICKBOOKS_API_URL').rstrip('/')}/v3/company/{realm}/companyinfo/{realm}"
    try:
        resp = httpx.get(url, params={"minorversion": "75"}, timeout=10,
                         headers={"Authorization": f"Bearer {access_token}",
                                  "Accept": "application/json"})
        name = (resp.json().get("CompanyInfo") or {}).get("CompanyName") if resp.is_success \
            else None
    except (httpx.HTTPError, ValueError, AttributeError):
        name = None
    return Tenant(realm, name or f"Company {realm}")


def _sage_businesses(config, access_token: str) -> list[Tenant]:
    """The businesses this Sage token may read."""
    return [Tenant(b.id, b.name) for b in sage.businesses(config.get("SAGE_API_URL"),
                                                          access_token)]


def _save(p: Platform, config, token: dict, tenant: Tenant, user: User) -> Connection:
    """Create or renew the connection for (platform, tenant) with a fresh token pair."""
    with transaction():
        conn = db.session.execute(db.select(Connection).filter_by(
            provider=p.key, tenant_id=tenant.id)).scalar_one_or_none()
        renewing = conn is not None
        if conn is None:
            conn = Connection(provider=p.key, tenant_id=tenant.id, created_by_id=user.id)
            db.session.add(conn)
        conn.tenant_name = tenant.name
        conn.access_token = encrypt(config, token["access_token"])
        conn.refresh_token = encrypt(config, token["refresh_token"]) if token.get(
            "refresh_token") else None
        conn.expires_at = utcnow() + timedelta(seconds=int(token.get("expires_in") or 1800))
        conn.status = "active"
        audit.record("connected", f"{'Reconnected' if renewing else 'Connected'} {p.label}"
                     f" ({tenant.name})", user=user)
    return conn


def token_source(connection: Connection, config) -> TokenSource:
    """Bearer tokens for this connection, refreshed (and the rotation stored) when needed."""
    return DatabaseTokens(connection.id, platform(connection.provider), config)


def load_adapters() -> None:
    """Import every platform's adapter module so it registers itself in ADAPTERS."""
    for key in PLATFORMS:
        name = f"cone.services.providers.{key}"
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise


def provider_for(connection: Connection, config) -> AccountingProvider:
    """The adapter for a connection, on its own HTTP client; call .close() when done."""
    load_adapters()
    if connection.provider not in ADAPTERS:
        raise ProviderAuthError(f"Cone cannot read {connection.provider} yet.")
    if connection.status != "active":
        raise ProviderAuthError(f"{platform(connection.provider).label} needs reconnecting: "
                                "an admin can reconnect it on the Integrations page.")
    timeout = float(config.get("ACCOUNTING_TIMEOUT", 20))
    http = httpx.Client(base_url=platform(connection.provider).setting(config, "API_URL"),
                        timeout=httpx.Timeout(timeout, connect=5.0),
                        headers={"Accept": "application/json",
                                 "User-Agent": "Cone client register"})
    policy = RetryPolicy(retries=int(config.get("ACCOUNTING_RETRIES", 3)),
                         backoff=float(config.get("ACCOUNTING_BACKOFF", 0.5)))
    return ADAPTERS[connection.provider](http, connection.tenant_id,
                                         token_source(connection, config), policy=policy)


@contextmanager
def open_provider(connection: Connection, config):
    """provider_for as a context manager that closes the HTTP client afterwards."""
    provider = provider_for(connection, config)
    try:
        yield provider
    finally:
        provider.close()


def disconnect(connection: Connection, config, *, user: User) -> None:
    """Revoke the tokens at the platform where it can, then forget the connection."""
    p = platform(connection.provider)
    revoke_url = p.setting(config, "REVOKE_URL") or p.revoke_url
    secret = connection.refresh_token or connection.access_token
    if revoke_url and secret:
        try:
            with oauth_client(p, config) as client:
                client.revoke_token(revoke_url, token=decrypt(config, secret),
                                    token_type_hint="refresh_token")
        except (httpx.HTTPError, OAuthError, ValueError):
            pass  # a platform that is down must not keep the tokens here; they are deleted anyway
    with transaction():
        audit.record("disconnected", f"Disconnected {p.label} ({connection.tenant_name})",
                     user=user)
        db.session.delete(connection)


def list_connections() -> list[Connection]:
    """Every stored connection, by platform then organisation."""
    return list(db.session.execute(db.select(Connection).order_by(
        Connection.provider, Connection.tenant_name)).scalars())


def last_runs() -> dict[int, ImportRun]:
    """The latest import run of each connection, keyed by connection id."""
    latest = (db.select(db.func.max(ImportRun.id)).where(ImportRun.connection_id.is_not(None))
              .group_by(ImportRun.connection_id))
    runs = db.session.execute(db.select(ImportRun).where(ImportRun.id.in_(latest))).scalars()
    return {run.connection_id: run for run in runs}
