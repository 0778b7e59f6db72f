"""Integrations: Companies House, accounting platforms, CSV."""
from flask import Blueprint

bp = Blueprint("integrations", __name__)

from cone.integrations import companies_house, views  # noqa: E402,F401
