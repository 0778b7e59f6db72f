"""OAuth connections to accounting platforms and their stored tokens.

This module only re-exports the package's public names; its own modules import each other
directly, never this one.
"""
from cone.services.connections.oauth import (PLATFORMS, ConnectRefused, Platform, Tenant,
                                             TenantChoice, begin, choose_tenant, complete,
                                             configured_platforms, disconnect, last_runs,
                                             list_connections, load_adapters, open_provider,
                                             platform, provider_for, token_source)

__all__ = [
    "PLATFORMS", "ConnectRefused", "Platform", "Tenant", "TenantChoice", "begin",
    "choose_tenant", "complete", "configured_platforms", "disconnect", "last_runs",
    "list_connections", "load_adapters", "open_provider", "platform", "provider_for",
    "token_source"
]
