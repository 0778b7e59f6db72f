"""Clients: list, create, edit, workspace, archive."""
from flask import Blueprint

bp = Blueprint("clients", __name__, url_prefix="/clients")

from cone.clients import edit, views  # noqa: E402,F401
from cone.clients import contacts  # noqa: E402,F401
