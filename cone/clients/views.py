"""Views for the client list, forms and workspace."""
from cone.clients import bp
from cone.htmx import render


@bp.get("")
def index():
    """The client list."""
    return render("clients/index.html")
