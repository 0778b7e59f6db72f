"""Custom roles: a name and a set of rights, made by users who manage users."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from cone.services import rights, users
from cone.services.access.guard import record, require
from cone.services.models import Invite, Role, User, db
from cone.services.tx import transaction
from cone.services.users import UserError


class RoleInUse(UserError):
    """A role still held by users or offered by open invites cannot be deleted."""


@dataclass(frozen=True)
class RoleChoice:
    key: str
    label: str
    rights: frozenset[str]


@dataclass(frozen=True)
class RoleRow:
    role: Role
    users: int


def custom_roles() -> list[RoleRow]:
    """Custom roles by name, each with how many users hold it."""
    counts = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
    roles = db.session.scalars(select(Role).order_by(func.lower(Role.name)))
    return [RoleRow(r, counts.get(r.key, 0)) for r in roles]


def choices(acting: User) -> list[RoleChoice]:
    """The roles acting may give: built-in ones (owner only for owners), then custom ones."""
    builtin = [RoleChoice(key, label, granted) for key, (label, granted)
               in rights.BUILTIN_ROLES.items()
               if key != "owner" or acting.can("manage_owners")]
    custom = [RoleChoice(row.role.key, row.role.name, frozenset(row.role.rights))
              for row in custom_roles()]
    return builtin + custom


def _clean(name: str, granted: list[str], role: Role | None) -> tuple[str, list[str]]:
    name = users.plain_field(name, "Name", "name")[:60].strip()
    if not name:
        raise UserError("A role needs a name.")
    taken = {label.casefold() for label, _ in rights.BUILTIN_ROLES.values()} | set(rights.ALIASES)
    if name.casefold() in taken:
        raise UserError(f"{name} is a built-in role's name: choose another.")
    same = db.session.scalar(select(Role.id).where(func.lower(Role.name) == name.lower()))
    if same and (role is None or same != role.id):
        raise UserError(f"A role called {name} already exists.")
    unknown = set(granted) - set(rights.GRANTABLE)
    if unknown:
        raise UserError(f"Rights that cannot be given: {', '.join(sorted(unknown))}.")
    return name, [r for r in rights.GRANTABLE if r in granted]


def create_role(name: str, granted: list[str], *, acting: User) -> Role:
    """A new custom role with these rights (owner-only rights cannot be given)."""
    require(acting, "manage_users")
    name, granted = _clean(name, granted, None)
    # the key is fixed for good: users' rows hold it, so renaming the role changes none
    role = Role(key=f"c{secrets.token_hex(4)}", name=name, rights=granted)
    try:
        with transaction():
            db.session.add(role)
            db.session.flush()
            record("role_created", f"Role {name} created: {_rights_text(granted)}", acting)
    except IntegrityError:  # another admin made the same name a moment ago
        raise UserError(f"A role called {name} already exists.") from None
    return role


def update_role(role: Role, name: str, granted: list[str], *, acting: User) -> Role:
    """Rename a custom role or change its rights; its users have the new rights at once."""
    require(acting, "manage_users")
    name, granted = _clean(name, granted, role)
    changes = [{"field": f, "before": b, "after": a} for f, b, a in (
        ("name", role.name, name), ("rights", list(role.rights), granted)) if b != a]
    if not changes:
        return role
    before = role.name
    with transaction():
        role.name, role.rights = name, granted
        record("role_changed", f"Role {before}: now {name}, {_rights_text(granted)}", acting,
               changes)
    return role


def delete_role(role: Role, *, acting: User) -> None:
    """Delete a custom role nobody holds and no open invite offers; RoleInUse otherwise."""
    require(acting, "manage_users")
    with transaction():
        holders = db.session.scalar(select(func.count()).where(User.role == role.key))
        invited = db.session.scalar(select(func.count()).where(
            Invite.role == role.key, Invite.used_at.is_(None), Invite.withdrawn_at.is_(None)))
        if holders or invited:
            raise RoleInUse(f"{role.name} is held by {holders} user(s) and offered by "
                            f"{invited} open invite(s): give them another role first.")
        record("role_deleted", f"Role {role.name} deleted", acting)
        db.session.delete(role)


def _rights_text(granted: list[str]) -> str:
    return ", ".join(granted) or "no rights"
