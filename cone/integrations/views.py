"""Views for connections to outside services."""
from flask import current_app

from cone.htmx import render
from cone.integrations import bp
from cone.integrations.connections import connections_context
from cone.integrations.forms import BulkAddForm
from cone.services import settings
from cone.services.imports import csv_staging, runs

def index_context() -> dict:
    """What the Integrations page shows besides its forms."""
    return {"ch_key_from_env": bool(current_app.config.get("COMPANIES_HOUSE_API_KEY")),
            "ch_key_saved": settings.has_secret(settings.COMPANIES_HOUSE_API_KEY),
            "ch_runs": runs.recent_runs(), "is_bulk_add": runs.is_bulk_add,
            "csv_runs": csv_staging.recent_runs(), **connections_context()}


@bp.get("/integrations")
def index():
    """Which outside services this installation uses; Companies House bulk add and resync."""
    return render("integrations/index.html", bulk_form=BulkAddForm(formdata=None),
                  **index_context())
