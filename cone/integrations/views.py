"""Views for connections to outside services."""
from flask import current_app

from cone.htmx import render

from cone.integrations import bp

PLATFORMS = {"xero": "Xero", "quickbooks": "QuickBooks Online", "freeagent": "FreeAgent",
             "sage": "Sage Business Cloud Accounting"}


@bp.get("/integrations")
def index():
    """Which outside services this installation is configured to use."""
    config = current_app.config
    platforms = [(name, bool(config.get(f"{key.upper()}_CLIENT_ID"))) for key, name in PLATFORMS.items()]
    return render("integrations/index.html", platforms=platforms,
                  companies_house=bool(config.get("COMPANIES_HOUSE_API_KEY")))
