"""Views for contacts."""
from cone.contacts import bp
from cone.htmx import render


@bp.get("")
def index():
    """The contact list."""
    return render("contacts/index.html")
