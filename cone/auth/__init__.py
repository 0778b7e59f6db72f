"""Sign-in, sign-out and user administration."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from cone.auth import views  # noqa: E402,F401
