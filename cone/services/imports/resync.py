"""Resync of one client linked to an accounting platform, for the workspace's Resync button."""
from __future__ import annotations

from cone.services.imports import apply
from cone.services.models import Client, User, db, utcnow
from cone.services.providers.accounting import AccountingProvider
from cone.services.providers.base import ProviderBadResponse
from cone.services.sources import NotLinked, SyncResult, source_name
from cone.services.tx import retry_on_stale


def resync_client(client: Client, provider: AccountingProvider, *,
                  user: User | None) -> SyncResult:
    """Re-fetch the linked customer and apply what the platform owns; records a "resynced" event.

    The platform is asked before anything is written, so a failure changes nothing. A value
    Cone cannot keep (say, a malformed VAT number) leaves the client's value as it is and becomes
    a warning on the link; only a record with no usable name raises ProviderBadResponse.
    """
    link = client.active_link
    if link is None or link.provider != provider.key:
        raise NotLinked("This client is not linked to that accounting platform.")
    customer = provider.fetch_customer(link.external_id)
    source = source_name(provider.key)

    def work() -> SyncResult:
        try:
            changes = apply.update(client, client.active_link, customer, user,
                                   touch_unchanged=True)
        except apply.RecordFailed as e:
            raise ProviderBadResponse(f"{source} sent details Cone cannot accept: {e}") from None
        apply.record_resync(client, provider.key, changes, user)
        return SyncResult(changes=changes, synced_at=utcnow(), name=client.display_name,
                          name_changed=any(c["field"] == "legal_name" for c in changes))
    # Someone saving the client meanwhile: apply again on the fresh row, once
    return retry_on_stale(work, refresh=lambda: db.session.refresh(client))
