"""The single wiring point for outside providers: adapters built from the app's configuration.

Entry points (views, the command line, jobs) call these; services take the adapter as an
argument and never read configuration themselves.

Tests (and create_app(providers=...)) inject ready-made adapters in app.extensions, which win.
"""
from __future__ import annotations

import httpx

from cone.services import settings
from cone.services.models import db
from cone.services.providers.base import ProviderAuthError
from cone.services.providers.companies_house import CompaniesHouse
from cone.services.providers.http import RetryPolicy
from cone.services.providers.pacing import DatabasePacer


class NotConfigured(ProviderAuthError):
    """No usable Companies House key: a setting to put right here, not an outside failure."""


NO_KEY = "No Companies House API key is set: an admin can add one on the Settings page."
UNREADABLE_KEY = ("The saved Companies House API key cannot be read since the encryption key "
                  "changed: an admin can enter it again on the Settings page.")


def companies_house_key(app) -> str | None:
    """The API key: COMPANIES_HOUSE_API_KEY, else the one saved on the Settings page."""
    return (app.config.get("COMPANIES_HOUSE_API_KEY")
            or settings.get_secret(settings.COMPANIES_HOUSE_API_KEY, app.config))


def _http(app, key: str) -> httpx.Client:
    """One pooled HTTP client per base URL and key, reused across requests of this app."""
    url = app.config.get("COMPANIES_HOUSE_API_URL").rstrip("/")
    clients = app.extensions.setdefault("cone.http", {})
    http = clients.get(("companies_house", url, key))
    if http is None:
        for old_key in [k for k in clients if k[0] == "companies_house"]:
            clients.pop(old_key).close()  # the key or URL changed: drop the stale pool
        timeout = float(app.config.get("COMPANIES_HOUSE_TIMEOUT", 10))
        http = clients[("companies_house", url, key)] = httpx.Client(
            base_url=url, auth=(key, ""), timeout=httpx.Timeout(timeout, connect=5.0),
            headers={"Accept": "application/json", "User-Agent": "Cone client register"})
    return http


def companies_house(app, *, paced: bool = False) -> CompaniesHouse:
    """The Companies House adapter, drawing on the rate budget every worker and server shares.

    paced=True (jobs, the command line) waits for a free slot; pages take a slot too but never
    wait: a spent budget answers RateLimited at once. NotConfigured when no key is set or the
    saved one cannot be read.
    """
    injected = app.extensions.get("cone.providers", {}).get("companies_house")
    if injected is not None:
        return injected
    key = companies_house_key(app)
    if not key:
        unreadable = settings.secret_unreadable(settings.COMPANIES_HOUSE_API_KEY, app.config)
        raise NotConfigured(UNREADABLE_KEY if unreadable else NO_KEY)
    pacer = DatabasePacer(db.engine, "companies_house",
                          limit=int(app.config.get("COMPANIES_HOUSE_RATE_LIMIT", 600)),
                          window=int(app.config.get("COMPANIES_HOUSE_RATE_WINDOW", 300)),
                          patient=paced)
    policy = RetryPolicy(retries=int(app.config.get("COMPANIES_HOUSE_RETRIES", 3)),
                         backoff=float(app.config.get("COMPANIES_HOUSE_BACKOFF", 0.5)))
    return CompaniesHouse(_http(app, key), pacer=pacer, policy=policy)


def close_http_clients(app) -> None:
    """Close this app's pooled HTTP clients (tests and shutdown)."""
    for http in app.extensions.pop("cone.http", {}).values():
        http.close()
