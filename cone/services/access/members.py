"""Changes to a user's access: role, name, active flag, password, removal. Each is recorded,
and each that should end the user's sessions raises their session generation."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from cone.services import users
from cone.services.access.guard import (Forbidden, keep_an_owner, owners_only, record, require,
                                        role_label)
from cone.services.models import Role, User, db
from cone.services.tx import transaction
from cone.services.users import UserError

MIN_PASSWORD = 8


@dataclass(frozen=True)
class Member:
    user: User
    role_label: str


def directory() -> list[Member]:
    """Every user by name, with their role's name, for the users page."""
    names = dict(db.session.execute(select(Role.key, Role.name)).all())
    rows = db.session.scalars(select(User).order_by(func.lower(User.name), User.id))
    return [Member(u, names.get(u.role) or role_label(u.role)) for u in rows]


def end_sessions(user: User) -> None:
    """Every session signed in as user so far is refused from its next request on (the
    caller's transaction commits it)."""
    user.session_generation = (user.session_generation or 0) + 1


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"The password must have at least {MIN_PASSWORD} characters.")
    return generate_password_hash(password)


def update_user(user: User, *, name: str, role: str, active: bool, acting: User) -> User:
    """Change a user's name, role or active flag. Only owners touch owners; the last active
    owner keeps the role; nobody deactivates themself; deactivating ends their sessions."""
    require(acting, "manage_users")
    name = users.plain_field(name, "Name", "name")
    role = users.role_key(role)
    owners_only(acting, user.role, role)
    changes = [{"field": f, "before": b, "after": a} for f, b, a in (
        ("name", user.name, name), ("role", user.role, role), ("active", user.active, active))
        if b != a]
    if not changes:
        return user
    with transaction():
        if role != "owner" or not active:
            keep_an_owner(user)
        if user.id == acting.id and not active:
            raise Forbidden("You cannot deactivate yourself: ask another admin.")
        if user.active and not active:
            end_sessions(user)
        user.name, user.role, user.active = name, role, active
        record("user_changed", _summary(user, changes), acting, changes)
    return user


def _summary(user: User, changes: list[dict]) -> str:
    parts = []
    for c in changes:
        if c["field"] == "role":
            parts.append(f"role {role_label(c['before'])} → {role_label(c['after'])}")
        elif c["field"] == "active":
            parts.append("reactivated" if c["after"] else "deactivated (signed out)")
        else:
            parts.append(f"name {c['before']} → {c['after']}")
    return f"{user.email}: {', '.join(parts)}"


def set_password(user: User, password: str, *, acting: User) -> None:
    """An admin sets a user's password; the user's sessions end."""
    require(acting, "manage_users")
    owners_only(acting, user.role)
    password_hash = _check_password(password)
    with transaction():
        user.password_hash = password_hash
        end_sessions(user)
        record("user_password_set", f"{user.email}: password set by an admin (signed out)",
               acting)


def change_password(user: User, current: str, new: str) -> None:
    """The user changes their own password; every session of theirs ends (the caller signs the
    current one in again)."""
    if not check_password_hash(user.password_hash, current):
        raise UserError("The current password is not right.")
    password_hash = _check_password(new)
    with transaction():
        user.password_hash = password_hash
        end_sessions(user)
        record("password_changed", f"{user.email} changed their password (other sessions "
               "signed out)", user)


def delete_user(user: User, *, acting: User) -> None:
    """Remove a user who has left no trace (no clients, notes, events); UserError otherwise,
    suggesting deactivation, which keeps the history."""
    require(acting, "manage_users")
    owners_only(acting, user.role)
    email = user.email
    try:
        with transaction():
            keep_an_owner(user)
            if user.id == acting.id:
                raise Forbidden("You cannot remove yourself: ask another admin.")
            db.session.delete(user)
            db.session.flush()
            record("user_removed", f"{email}: removed", acting)
    except IntegrityError:
        raise UserError(f"{email} has history in Cone (clients, notes or activity): deactivate "
                        "them instead, which keeps it.") from None
