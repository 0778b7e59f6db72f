"""Integrations: Companies House, accounting platforms, CSV."""
from flask import Blueprint

bp = Blueprint("integrations", __name__)

from cone.integrations import (companies_house, connections, imports, imports_csv,  # noqa: E402,F401
                               views)
