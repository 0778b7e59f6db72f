"""Import runs: the preview and its decisions, starting the run, its progress and summary."""
from flask import Blueprint

bp = Blueprint("imports", __name__)

from cone.imports import views  # noqa: E402,F401
from cone.imports import undo_views  # noqa: E402,F401
