"""Users: creation, sign-in with throttling, role keys (changes to access: services/access/)."""
from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from cone.services import audit, rights, validation
from cone.services.models import LoginThrottle, Role, User, db, utcnow
from cone.services.tx import transaction

# Failures allowed before delays start; an office shares one IP, so that key gets more
FREE_FAILURES = {"email": 5, "ip": 20}
BASE_DELAY = timedelta(seconds=30)  # doubles with each further failure
MAX_DELAY = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)
# Compared against when the e-mail is unknown, so timing does not reveal accounts
_DUMMY_HASH = generate_password_hash(secrets.token_hex(8))


class UserError(ValueError):
    """A user change that cannot be made; the message is safe to show."""


class InvalidCredentials(Exception):
    pass


@dataclass
class Throttled(Exception):
    retry_after: int  # seconds


def normalise_email(email: str) -> str:
    """The address as stored and compared: trimmed, lower case."""
    return email.strip().lower()


def plain_field(value: str, what: str, column: str) -> str:
    """value trimmed; UserError when it holds a control character or is longer than the column
    (forms refuse both first; this is for the command line)."""
    limit = User.__table__.c[column].type.length
    try:
        value = validation.plain_text(value.strip())
    except validation.Invalid as e:
        raise UserError(f"{what}: {e}") from None
    if len(value) > limit:
        raise UserError(f"{what} can have at most {limit} characters.")
    return value


def generate_password() -> str:
    """A random password for a new account."""
    return secrets.token_urlsafe(12)


def get_by_email(email: str) -> User | None:
    """The user with this e-mail address, if any."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def role_key(role: str) -> str:
    """The key to store for role: a built-in role ("staff" is read as "standard") or an
    existing custom role's key; UserError otherwise."""
    key = rights.builtin_key(role)
    if key in rights.BUILTIN_ROLES:
        return key
    if db.session.scalar(select(Role.id).where(Role.key == role)):
        return role
    raise UserError(f"Role must be one of: {', '.join(rights.BUILTIN_ROLES)}, or a custom role.")


def create_user(email: str, *, role: str = "standard", name: str | None = None,
                password: str | None = None) -> tuple[User, str]:
    """Create a user; returns it with the password (generated when none is given)."""
    email = plain_field(normalise_email(email), "E-mail", "email")
    if "@" not in email:
        raise UserError(f"'{email}' is not an e-mail address.")
    role = role_key(role)
    if get_by_email(email):
        raise UserError(f"A user with e-mail {email} already exists.")
    password = password or generate_password()
    if len(password) < 8:
        raise UserError("The password must have at least 8 characters.")
    name = plain_field(name or email.split("@")[0], "Name", "name")
    user = User(email=email, name=name, role=role, password_hash=generate_password_hash(password))
    label = rights.BUILTIN_ROLES[role][0] if role in rights.BUILTIN_ROLES else role
    with transaction():
        db.session.add(user)
        audit.record("user_created", f"{email} added as {label} (command line)", user=None)
    return user, password


def _throttles(keys: list[str]) -> dict[str, LoginThrottle]:
    """The throttle rows of these keys, by key."""
    rows = db.session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))
    return {row.key: row for row in rows}


def _wait(row: LoginThrottle, now: datetime) -> int:
    """Seconds still to wait before this key may try again (0 if none)."""
    if now - row.last_failure_at > FORGET_AFTER:
        return 0
    free = FREE_FAILURES[row.key.split(":", 1)[0]]
    if row.failures < free:
        return 0
    delay = min(BASE_DELAY * 2 ** min(row.failures - free, 20), MAX_DELAY)
    return max(0, math.ceil((row.last_failure_at + delay - now).total_seconds()))


def authenticate(email: str, password: str, ip: str) -> User:
    """The active user for these credentials; raises Throttled or InvalidCredentials."""
    email = normalise_email(email)
    keys = [f"email:{email}"[:300], f"ip:{ip}"]
    now = utcnow()
    rows = _throttles(keys)
    wait = max((_wait(row, now) for row in rows.values()), default=0)
    if wait:
        raise Throttled(wait)
    user = get_by_email(email)
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user and ok and user.active:
        with transaction():
            for row in rows.values():
                db.session.delete(row)
            user.last_login_at = now
        return user
    for _attempt in range(2):
        try:
            with transaction():
                _count_failure(keys, now)
            break
        except IntegrityError:  # another worker added the row first: count on its row
            pass
    raise InvalidCredentials()


def _count_failure(keys: list[str], now: datetime) -> None:
    """One more failure per key, as a single UPDATE so parallel attempts all count."""
    stale = now - FORGET_AFTER
    for key in keys:
        counted = db.session.execute(
            update(LoginThrottle).where(LoginThrottle.key == key)
            .values(failures=case((LoginThrottle.last_failure_at < stale, 1),
                                  else_=LoginThrottle.failures + 1), last_failure_at=now)
            .execution_options(synchronize_session=False)).rowcount
        if not counted:
            db.session.add(LoginThrottle(key=key, failures=1, last_failure_at=now))
            db.session.flush()


def list_users() -> list[User]:
    """Every user, by name."""
    return list(db.session.scalars(select(User).order_by(func.lower(User.name))))


def active_users() -> list[User]:
    """Users who can be chosen as a client's manager or partner."""
    return list(db.session.scalars(select(User).where(User.active).order_by(func.lower(User.name))))


def ensure_admin() -> tuple[User, str] | None:
    """Create a first owner when the database has no owner or admin; returns it with its
    password."""
    if db.session.scalar(select(User.id).where(User.role.in_(rights.ADMIN_ROLES)).limit(1)):
        return None
    return create_user("admin@example.com", role="owner", name="Administrator")
