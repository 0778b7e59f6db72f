"""Access tokens for stored connections: refreshed before expiry, rotations stored atomically.

Xero and Sage refresh tokens are single-use, so two workers refreshing at once must not both
spend the stored one and leave the connection dead. On PostgreSQL the row is locked FOR UPDATE
while refreshing; on SQLite (no row locks) the Connection version column refuses a stale write,
and a worker whose refresh was refused waits for the winner's tokens and uses them.
"""
from __future__ import annotations

import time
import warnings
from datetime import timedelta

import httpx
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from cone.services.crypto import CannotDecrypt, decrypt, encrypt
from cone.services.models import Connection, db, utcnow
from cone.services.providers.base import (ProviderAuthError, ProviderBadResponse,
                                          ProviderUnavailable)

import authlib.deprecate  # noqa: E402,F401  (first: importing it installs an "always" filter)

with warnings.catch_warnings():
    # Authlib nudges towards the httpx2 fork; the pinned httpx is what it wraps here.
    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.integrations.base_client.errors import OAuthError
    from authlib.integrations.httpx_client import OAuth2Client

LEEWAY = timedelta(seconds=60)   # refresh this long before expiry, so a call never goes stale
WAIT_FOR_WINNER = 5.0            # seconds a refused worker waits for a concurrent refresh


def oauth_client(p, config, *, redirect_uri: str | None = None) -> OAuth2Client:
    """Authlib's httpx OAuth2Client with the platform's client credentials and auth method."""
    return OAuth2Client(
        client_id=p.setting(config, "CLIENT_ID"), client_secret=p.setting(config, "CLIENT_SECRET"),
        token_endpoint_auth_method=p.auth_method, revocation_endpoint_auth_method=p.auth_method,
        scope=p.scope, redirect_uri=redirect_uri,
        code_challenge_method="S256" if p.pkce else None, timeout=15)


def token_call(p, call) -> dict:
    """Run a token-endpoint call, turning its failures into our provider errors."""
    try:
        token = call()
    except OAuthError as error:
        raise ProviderAuthError(f"{p.label} refused the sign-in ({error.error}): "
                                "reconnect it on the Integrations page.") from error
    except httpx.HTTPStatusError as error:
        raise ProviderUnavailable(f"{p.label} could not issue a token just now "
                                  f"({error.response.status_code}).") from error
    except httpx.HTTPError as error:
        raise ProviderUnavailable(f"{p.label} did not answer: try again shortly.") from error
    except ValueError as error:
        raise ProviderBadResponse(f"{p.label} sent a token answer Cone could not read.") from error
    if not token.get("access_token"):
        raise ProviderBadResponse(f"{p.label} sent no access token.")
    return dict(token)


class DatabaseTokens:
    """A TokenSource over one Connection row (each call uses its own short session)."""

    def __init__(self, connection_id: int, p, config):
        self.connection_id, self.platform, self.config = connection_id, p, config
        self.cached: tuple[str, object] | None = None  # (token, expires_at)

    def access_token(self) -> str:
        """A token valid for at least LEEWAY more; refreshes when the stored one is older."""
        if self.cached and self.cached[1] > utcnow() + LEEWAY:
            return self.cached[0]
        with Session(db.engine, expire_on_commit=False) as session:
            conn = self._load(session)
            if conn.expires_at and conn.expires_at > utcnow() + LEEWAY:
                return self._remember(conn)
        return self.refresh()

    def refresh(self) -> str:
        """Spend the refresh token for a new pair and store both; ProviderAuthError if refused."""
        with Session(db.engine, expire_on_commit=False) as session:
            seen = self._load(session, lock=True)
            fresh = seen.expires_at and seen.expires_at > utcnow() + LEEWAY
            stored = self._plain(seen.access_token) if seen.access_token else None
            if fresh and seen.status == "active" and (
                    self.cached is None or stored != self.cached[0]):
                return self._remember(seen)  # someone refreshed while we waited for the lock
            if seen.status != "active" or not seen.refresh_token:
                raise self._reconnect_error()
            spent = seen.refresh_token
            try:
                token = token_call(self.platform, lambda: self._spend(self._plain(spent)))
            except ProviderAuthError:
                session.rollback()
                return self._after_refusal(session, spent)
            seen.access_token = encrypt(self.config, token["access_token"])
            if token.get("refresh_token"):  # QuickBooks may keep the old one; keep it too
                seen.refresh_token = encrypt(self.config, token["refresh_token"])
            seen.expires_at = utcnow() + timedelta(seconds=int(token.get("expires_in") or 1800))
            try:
                session.commit()
            except StaleDataError:
                # Another worker wrote first: its tokens are as good as ours and already stored.
                session.rollback()
                return self._remember(self._load(session))
            return self._remember(seen)

    def _spend(self, refresh_token: str) -> dict:
        with oauth_client(self.platform, self.config) as client:
            return client.refresh_token(self.platform.setting(self.config, "TOKEN_URL"),
                                        refresh_token=refresh_token)

    def _after_refusal(self, session: Session, spent: str) -> str:
        """Refused: if a concurrent worker rotated the token, use its result; else reconnect."""
        deadline = time.monotonic() + WAIT_FOR_WINNER
        while True:
            conn = self._load(session)
            if conn.refresh_token != spent and conn.status == "active":
                return self._remember(conn)
            if time.monotonic() > deadline:
                break
            session.rollback()  # end the read snapshot so the winner's commit becomes visible
            time.sleep(0.1)
        conn.status = "reconnect"
        try:
            session.commit()
        except StaleDataError:
            session.rollback()
            conn = self._load(session)
            if conn.refresh_token != spent and conn.status == "active":
                return self._remember(conn)
        raise self._reconnect_error()

    def _load(self, session: Session, *, lock: bool = False) -> Connection:
        query = db.select(Connection).filter_by(id=self.connection_id)
        if lock and session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        conn = session.execute(query.execution_options(populate_existing=True)).scalar_one_or_none()
        if conn is None:
            raise ProviderAuthError(f"{self.platform.label} is no longer connected.")
        return conn

    def _plain(self, ciphertext: str) -> str:
        try:
            return decrypt(self.config, ciphertext)
        except CannotDecrypt as error:
            raise ProviderAuthError(f"The saved {self.platform.label} sign-in cannot be read since "
                                    "the encryption key changed: an admin needs to reconnect it "
                                    "on the Integrations page.") from error

    def _remember(self, conn: Connection) -> str:
        token = self._plain(conn.access_token)
        self.cached = (token, conn.expires_at)
        return token

    def _reconnect_error(self) -> ProviderAuthError:
        return ProviderAuthError(f"{self.platform.label} refused to renew the connection: an admin "
                                 "needs to reconnect it on the Integrations page.")
