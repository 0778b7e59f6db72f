"""The named rights a role grants, and the built-in roles' rights.

The one list of rights: the users pages label their checkboxes from it, services and views ask
`user.can(name)`. It imports nothing from Cone, so the User model can use it.
"""

# name -> label, in the order the roles page shows them
RIGHTS = {
    "view_all_clients": "See every client (without it: only the clients they are assigned to)",
    "create_clients": "Add clients",
    "bulk_import": "Import in bulk (accounting platforms, CSV files, Companies House bulk add)",
    "edit_others_clients": "Edit clients created by others",
    "archive_delete": "Archive and delete clients",
    "manage_contacts": "Add, edit and link contacts",
    "manage_users": "Invite users, change their roles, deactivate them; edit custom roles",
    "manage_integrations": "Connect accounting platforms and change settings",
    "see_activity": "See the activity log",
    "manage_owners": "Make, change and remove owners",
    "manage_secrets": "Set the integrations' secrets (API keys)",
}
# Held by owners alone: no other role, custom ones included, can be given them
OWNER_ONLY = frozenset({"manage_owners", "manage_secrets"})
GRANTABLE = [name for name in RIGHTS if name not in OWNER_ONLY]

# key -> (label, rights); fixed in code so an upgrade can never widen a firm's roles silently
BUILTIN_ROLES = {
    "owner": ("Owner", frozenset(RIGHTS)),
    "admin": ("Admin", frozenset(GRANTABLE)),
    "standard": ("Standard", frozenset({
        "view_all_clients", "create_clients", "edit_others_clients", "archive_delete",
        "manage_contacts", "see_activity"})),
    "restricted": ("Restricted", frozenset({"edit_others_clients", "manage_contacts"})),
}
# Earlier releases called the standard role "staff"; scripts may still say so
ALIASES = {"staff": "standard"}
ADMIN_ROLES = ("owner", "admin")  # User.is_admin: the roles that had admin's powers before


def builtin_key(role: str) -> str:
    """The built-in role's key for role, an old name resolved ("staff" is "standard")."""
    return ALIASES.get(role, role)


def builtin_rights(role: str) -> frozenset[str] | None:
    """The rights of a built-in role, None when role is not one (a custom role's key)."""
    entry = BUILTIN_ROLES.get(builtin_key(role))
    return entry[1] if entry else None
