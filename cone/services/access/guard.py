"""Who may change access: the checks every access change goes through, and how it is recorded."""
from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from cone.services import audit, rights
from cone.services.models import ActivityEvent, Role, User, db
from cone.services.users import UserError


# The actions record() writes, for the users page's list of recent changes
ACTIONS = ("user_created", "user_invited", "user_joined", "user_changed", "user_password_set",
           "password_changed", "user_removed", "invite_withdrawn", "role_created",
           "role_changed", "role_deleted")


class Forbidden(UserError):
    """The acting user's role does not allow this change."""


class LastOwner(UserError):
    """The change would leave the firm without an active owner."""


def require(acting: User, right: str) -> None:
    """Forbidden unless acting's role grants right."""
    if not acting.can(right):
        raise Forbidden("Your role does not allow this.")


def owners_only(acting: User, *roles: str) -> None:
    """Forbidden when a role involved is owner and acting is not an owner."""
    if "owner" in roles and not acting.can("manage_owners"):
        raise Forbidden("Only an owner can make, change or remove an owner.")


def keep_an_owner(user: User) -> None:
    """LastOwner if user is the only active owner; call inside the transaction that demotes,
    deactivates or removes them. Two owners stepping down at once cannot both pass: the check
    holds a write lock until the change commits (every active owner's row on PostgreSQL, taken
    in id order so two checks never deadlock; the database's one write lock on SQLite)."""
    if not (user.role == "owner" and user.active):
        return
    if db.session.get_bind().dialect.name == "sqlite":
        # a write first: SQLite then holds its write lock, and a second check waits for ours
        db.session.execute(update(User).where(User.id == user.id).values(role=User.role))
    owners = db.session.scalars(select(User.id).where(User.role == "owner", User.active)
                                .order_by(User.id).with_for_update()).all()
    if not set(owners) - {user.id}:
        raise LastOwner(f"{user.name} is the last active owner: make someone else an owner "
                        "first.")


def role_label(key: str) -> str:
    """The name shown for a role key: a built-in's label, a custom role's name."""
    builtin = rights.BUILTIN_ROLES.get(rights.builtin_key(key))
    if builtin:
        return builtin[0]
    from_table = db.session.scalar(select(func.min(Role.name)).where(Role.key == key))
    return from_table or f"Removed role ({key})"


def record(action: str, summary: str, acting: User | None, changes: list[dict] | None = None):
    """An activity event about access (no client): who did what, to whom."""
    return audit.record(action, summary, user=acting, changes=changes)


def recent_changes(limit: int = 20) -> list[ActivityEvent]:
    """The latest access events, newest first, with who made them."""
    return list(db.session.scalars(
        select(ActivityEvent).where(ActivityEvent.client_id.is_(None),
                                    ActivityEvent.action.in_(ACTIONS))
        .options(selectinload(ActivityEvent.user))
        .order_by(ActivityEvent.id.desc()).limit(limit)))
