"""Resync a client from its active source, whichever it is: Companies House or a platform.

It sits above companies_house.sync and imports.resync (which import sources.py), so it cannot
live in sources.py. The adapters come in as factories: the caller (a view, a job) builds them
from the app's configuration, and nothing is fetched for a client that has no source.
"""
from __future__ import annotations

from typing import Callable, ContextManager

from cone.services.companies_house import sync as ch_sync
from cone.services.imports import resync as platform_sync
from cone.services.models import Client, Connection, User
from cone.services.providers.accounting import AccountingProvider
from cone.services.providers.companies_house import CompaniesHouse
from cone.services.sources import (ACCOUNTING_PROVIDERS, NotLinked, SyncResult,
                                   find_connection, source_name)


def resync(client: Client, *, user: User | None,
           companies_house: Callable[[], CompaniesHouse],
           open_platform: Callable[[Connection], ContextManager[AccountingProvider]]
           ) -> SyncResult:
    """Re-fetch the client from its source and store what changed; NotLinked when it has none.

    A provider failure (ProviderError) leaves the client as it was.
    """
    link = client.active_link
    if link is None:
        raise NotLinked("This client is not linked to any source: its fields are kept by hand.")
    if link.provider == ch_sync.PROVIDER:
        return ch_sync.resync(client, companies_house(), user=user)
    if link.provider not in ACCOUNTING_PROVIDERS:
        raise NotLinked(f"Cone cannot resync a client from {source_name(link.provider)}.")
    connection = find_connection(link.provider, link.tenant_id)
    with open_platform(connection) as provider:
        return platform_sync.resync_client(client, provider, user=user)
