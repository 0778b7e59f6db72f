"""Clients: editing by hand, field rules, contacts, duplicates.

This module only re-exports the package's public names; its own modules import each other
directly, never this one.
"""
from cone.services.clients.editing import (StaleClient, archive_client, create_client,
                                           get_client, restore_client, unlink_source,
                                           update_client)
from cone.services.clients.fields import (FIELD_LABELS, ClientInvalid, NewContact,
                                          UnknownContact)
from cone.services.clients.contacts import (ContactChoice, ContactsInput, add_contact,
                                            link_contact, set_primary_contact, unlink_contact)
from cone.services.clients.duplicates import (Duplicate, find_duplicates)

__all__ = [
    "StaleClient", "archive_client", "create_client", "get_client", "restore_client",
    "unlink_source", "update_client", "FIELD_LABELS", "ClientInvalid", "NewContact",
    "UnknownContact", "ContactChoice", "ContactsInput", "add_contact", "link_contact",
    "set_primary_contact", "unlink_contact", "Duplicate", "find_duplicates"
]
