"""Views for connections to outside services."""
from flask import current_app

from cone.htmx import render
from cone.integrations import bp
from cone.integrations.connections import connections_context
from cone.integrations.forms import BulkAddForm
from cone.services.imports import runs
from cone.services import settings
from cone.services.imports import csv_staging

PLATFORMS = {"xero": "Xero", "quickbooks": "QuickBooks Online", "freeagent": "FreeAgent",
             "sage": "Sage Business Cloud Accounting"}


def index_context() -> dict:
    """What the Integrations page shows besides its forms."""
    config = current_app.config
    platforms = [(name, bool(config.get(f"{key.upper()}_CLIENT_ID")))
                 for key, name in PLATFORMS.items()]
    return {"platforms": platforms,
            "ch_key_from_env": bool(config.get("COMPANIES_HOUSE_API_KEY")),
            "ch_key_saved": settings.has_secret(settings.COMPANIES_HOUSE_API_KEY),
            "ch_runs": runs.recent_runs(), "is_bulk_add": runs.is_bulk_add,
            "csv_runs": csv_staging.recent_runs(), **connections_context()}


@bp.get("/integrations")
def index():
    """Which outside services this installation uses; Companies House bulk add and resync."""
    return render("integrations/index.html", bulk_form=BulkAddForm(formdata=None),
                  **index_context())
