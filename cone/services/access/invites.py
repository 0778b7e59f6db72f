"""Invites: a one-time link that lets someone set their name and password and join with the
role they were given. Only the token's hash is stored; the link is shown once (and e-mailed
when SMTP is configured)."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from cone.services import users
from cone.services.access import mail
from cone.services.access.guard import owners_only, record, require, role_label
from cone.services.models import Invite, User, db, utcnow
from cone.services.tx import transaction
from cone.services.users import UserError

VALID_FOR = timedelta(days=7)
REFUSALS = {"used": "This invite link has already been used. Sign in instead.",
            "withdrawn": "This invite was withdrawn. Ask for a new one.",
            "expired": "This invite link has expired. Ask for a new one."}


class InvalidInvite(UserError):
    """The link cannot be used (unknown, used, withdrawn or expired); the message says which."""


@dataclass(frozen=True)
class Sent:
    invite: Invite
    link: str
    emailed: bool
    mail_error: str | None = None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_state(invite: Invite, now: datetime | None = None) -> str:
    """"open", "used", "withdrawn" or "expired"."""
    if invite.used_at:
        return "used"
    if invite.withdrawn_at:
        return "withdrawn"
    return "expired" if (now or utcnow()) >= invite.expires_at else "open"


def open_invites() -> list[Invite]:
    """Invites not used or withdrawn, newest first (expired ones too: see invite_state())."""
    return list(db.session.scalars(select(Invite).where(
        Invite.used_at.is_(None), Invite.withdrawn_at.is_(None)).order_by(Invite.id.desc())))


def invite(email: str, role: str, *, acting: User, link_for: Callable[[str], str],
           mail_settings: mail.MailSettings | None = None, now: datetime | None = None) -> Sent:
    """Invite email with role: returns the one-time link (valid VALID_FOR), e-mailed too when
    mail_settings is given. An earlier open invite to the same address is withdrawn."""
    require(acting, "manage_users")
    email = users.plain_field(users.normalise_email(email), "E-mail", "email")
    role = users.role_key(role)
    owners_only(acting, role)
    if users.get_by_email(email):
        raise UserError(f"{email} already has an account.")
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    with transaction():
        db.session.execute(update(Invite).where(
            Invite.email == email, Invite.used_at.is_(None), Invite.withdrawn_at.is_(None))
            .values(withdrawn_at=now))
        row = Invite(email=email, role=role, token_hash=token_hash(token), invited_by_id=acting.id,
                     created_at=now, expires_at=now + VALID_FOR)
        db.session.add(row)
        record("user_invited", f"{email} invited as {role_label(role)}", acting)
    link = link_for(token)
    if mail_settings is None:
        return Sent(row, link, emailed=False)
    try:
        mail.send(mail_settings, email, "You are invited to Cone", _body(acting, row, link))
    except mail.MailFailed as e:
        return Sent(row, link, emailed=False, mail_error=str(e))
    return Sent(row, link, emailed=True)


def _body(acting: User, row: Invite, link: str) -> str:
    return (f"{acting.name} has invited you to join Cone as {role_label(row.role)}.\n\n"
            f"Open this link to choose your name and password:\n\n{link}\n\n"
            f"The link works once, until {row.expires_at:%d %B %Y %H:%M} UTC.\n")


def find_invite(token: str, now: datetime | None = None) -> Invite:
    """The open invite with this token; InvalidInvite saying why it cannot be used."""
    row = db.session.scalar(select(Invite).where(Invite.token_hash == token_hash(token)))
    if row is None:
        raise InvalidInvite("This invite link is not valid. Check it was copied whole, or ask "
                            "for a new one.")
    reason = REFUSALS.get(invite_state(row, now))
    if reason:
        raise InvalidInvite(reason)
    return row


def accept_invite(token: str, *, name: str, password: str, now: datetime | None = None) -> User:
    """Create the invited user with this name and password; the link is spent."""
    now = now or utcnow()
    row = find_invite(token, now)
    name = users.plain_field(name, "Name", "name")
    if len(password) < 8:
        raise UserError("The password must have at least 8 characters.")
    role = users.role_key(row.role)
    with transaction():
        # one statement claims the link, so two tabs submitting together cannot both join
        claimed = db.session.execute(update(Invite).where(
            Invite.id == row.id, Invite.used_at.is_(None), Invite.withdrawn_at.is_(None))
            .values(used_at=now)).rowcount
        if not claimed:
            raise InvalidInvite(REFUSALS["used"])
        if users.get_by_email(row.email):
            raise UserError(f"{row.email} already has an account. Sign in instead.")
        user = User(email=row.email, name=name, role=role, last_login_at=now,
                    password_hash=generate_password_hash(password))
        db.session.add(user)
        db.session.flush()
        db.session.execute(update(Invite).where(Invite.id == row.id).values(user_id=user.id))
        record("user_joined", f"{user.email} joined as {role_label(role)}", user)
    return user


def withdraw_invite(invite_id: int, *, acting: User) -> Invite | None:
    """Withdraw an open invite: its link stops working. None if there is no such invite."""
    require(acting, "manage_users")
    row = db.session.get(Invite, invite_id)
    if row is None:
        return None
    owners_only(acting, row.role)
    if invite_state(row) == "open":
        with transaction():
            row.withdrawn_at = utcnow()
            record("invite_withdrawn", f"Invite to {row.email} withdrawn", acting)
    return row
