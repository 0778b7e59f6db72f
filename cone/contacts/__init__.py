"""Contacts: list, detail, edit, and the picker's option fragments."""
from flask import Blueprint

bp = Blueprint("contacts", __name__, url_prefix="/contacts")

from cone.contacts import views  # noqa: E402,F401
