"""The client list: live search, filters, sort, paging and CSV export of the same view."""
from datetime import date

from flask import Response, request, stream_with_context
from cone.forms import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional

from cone.clients import bp
from cone.htmx import render, wants_region
from cone.services import search
from cone.services.search.export import export_csv
from cone.services.models import KINDS, STATUSES

# Companies House company_status values (reference/companies-house-enumerations)
CH_STATUSES = {"active": "Active", "dissolved": "Dissolved", "liquidation": "Liquidation",
               "receivership": "Receiver action", "administration": "In administration",
               "voluntary-arrangement": "Voluntary arrangement",
               "insolvency-proceedings": "Insolvency proceedings",
               "converted-closed": "Converted / closed", "open": "Open", "closed": "Closed",
               "registered": "Registered", "removed": "Removed"}

FRAGMENTS = {"client-results": "results"}


def _choices(options, blank: str | None = "Any") -> list[SelectChoice]:
    pairs = list(options.items() if isinstance(options, dict) else options)
    if blank is not None:
        pairs.insert(0, ("", blank))
    return [SelectChoice(str(value), label) for value, label in pairs]


class ClientListForm(FlaskForm):
    """The list's GET filters (no CSRF: it changes nothing); each field is a URL parameter."""
    q = StringField("Search", [Optional(), Length(max=200)],
                    filters=[lambda v: v.strip() if isinstance(v, str) else v])
    kind = SelectField("Kind", choices=_choices({k: k.capitalize() for k in KINDS}))
    status = SelectField("Status", choices=_choices({s: s.capitalize() for s in STATUSES}))
    source = SelectField("Source", choices=_choices(search.SOURCES))
    manager = SelectField("Manager", choices=[])  # list_form() fills these two
    tag = SelectField("Tag", choices=[])
    ch_status = SelectField("Companies House status", choices=_choices(CH_STATUSES))
    due = SelectField("Deadlines", choices=_choices(search.DUE))
    archived = BooleanField("Include archived")
    sort = SelectField("Sort by", choices=_choices(search.SORTS, None), default="name")
    per_page = SelectField("Per page", choices=_choices({n: str(n) for n in search.PER_PAGE}, None),
                           default="25")


def list_form(options: dict | None = None) -> ClientListForm:
    """The filter form read from the query string.

    Only the search box is validated: an unknown select value (a hand-edited URL) is passed
    on and matches no client, the same for the page and for the fragment, which skips the
    queries behind the manager and tag choices.
    """
    form = ClientListForm(formdata=request.args, meta={"csrf": False})
    options = options or {}
    form.manager.choices = _choices(options.get("manager", []) + [("none", "No manager")])
    form.tag.choices = _choices(options.get("tag", []))
    form.q.validate(form)
    return form


def client_query(form: ClientListForm) -> search.ClientQuery:
    """The service's query from the form (a search too long to be real is left out)."""
    args = {name: form[name].data or "" for name in
            ("q", "kind", "status", "source", "manager", "tag", "ch_status", "due")}
    if form.q.errors:
        args["q"] = ""
    per_page = request.args.get("per_page", 25, type=int)
    return search.ClientQuery(**args, archived=bool(form.archived.data),
                              sort=form.sort.data or "name", per_page=per_page,
                              page=request.args.get("page", 1, type=int) or 1)


def state(params: search.ClientQuery) -> dict:
    """The non-default parameters, in URL order: what links must carry to keep the view."""
    defaults = search.ClientQuery()
    fields = ("q", "kind", "status", "source", "manager", "tag", "ch_status", "due",
              "archived", "sort", "per_page")
    values = {f: getattr(params, f) for f in fields if getattr(params, f) != getattr(defaults, f)}
    if values.get("archived"):
        values["archived"] = 1
    return values


@bp.get("")
def index():
    """The client list: a GET filter form, live search into #client-results, a pager."""
    options = None if wants_region(FRAGMENTS) else search.filter_options()
    form = list_form(options)
    params = search.clean(client_query(form))
    results = search.search_clients(params)
    return render("clients/index.html", fragments=FRAGMENTS, form=form,
                  params=params, args=state(params), results=results, today=date.today())


@bp.get("/export.csv")
def export():
    """The current view of the list (every matching client, not one page) as a streamed CSV."""
    lines = export_csv(client_query(list_form()))
    name = f"clients-{date.today():%Y-%m-%d}.csv"
    # stream_with_context keeps the session open while the rows are written out
    return Response(stream_with_context(lines), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
