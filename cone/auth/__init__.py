"""Sign-in, sign-out, users and roles, invites, one's own password."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from cone.auth import account, members, roles, views  # noqa: E402,F401
