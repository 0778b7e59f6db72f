"""Clients: list, create, edit, workspace, archive."""
from flask import Blueprint

bp = Blueprint("clients", __name__, url_prefix="/clients")

from cone.clients import contacts, create, edit, listing, notes, source, views  # noqa: E402,F401
