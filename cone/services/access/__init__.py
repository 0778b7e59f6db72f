"""Access: who may do what. Custom roles, invites, role and password changes; the rights
themselves are named in services/rights.py."""
from cone.services.access.guard import Forbidden, LastOwner, recent_changes, role_label
from cone.services.access.invites import (InvalidInvite, Sent, accept_invite, find_invite, invite,
                                          invite_state, open_invites, withdraw_invite)
from cone.services.access.mail import MailFailed, MailSettings, settings_from
from cone.services.access.members import (Member, change_password, delete_user, directory,
                                          end_sessions, set_password, update_user)
from cone.services.access.roles import (RoleChoice, RoleInUse, RoleRow, choices, create_role,
                                        custom_roles, delete_role, update_role)
from cone.services.users import UserError

__all__ = [
    "Forbidden", "InvalidInvite", "LastOwner", "MailFailed", "MailSettings", "Member",
    "RoleChoice", "RoleInUse", "RoleRow", "Sent", "accept_invite", "change_password", "choices",
    "create_role", "custom_roles", "delete_role", "delete_user", "directory", "end_sessions",
    "find_invite", "invite", "invite_state", "open_invites", "recent_changes", "role_label",
    "set_password",
    "settings_from", "update_role", "update_user", "UserError", "withdraw_invite",
]
