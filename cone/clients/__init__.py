"""Clients: list, create, edit, workspace, archive."""
from flask import Blueprint

bp = Blueprint("clients", __name__, url_prefix="/clients")

from cone.clients import contacts, edit, list, source, views  # noqa: E402,F401
