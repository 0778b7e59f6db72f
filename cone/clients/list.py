"""The client list: search, filters, paging."""
from flask import request

from cone.clients import bp
from cone.clients.forms import ClientSearchForm
from cone.htmx import render
from cone.services import clients


@bp.get("")
def index():
    """The client list: a GET search form, live search into #client-results, a pager."""
    form = ClientSearchForm(formdata=request.args, meta={"csrf": False})
    q = (form.q.data or "").strip() if form.validate() else ""
    page = request.args.get("page", 1, type=int)
    results = clients.list_clients(q=q, archived=form.archived.data, page=max(page, 1))
    return render("clients/index.html", fragments={"client-results": "results"}, form=form,
                  q=q, archived=form.archived.data, results=results)
