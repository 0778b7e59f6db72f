"""Companies House pages: search and prefill for the create form, bulk add, resync all,
and the Settings page that holds the API key."""
from flask import current_app, flash, redirect, request, url_for

from cone import jobs
from cone.auth.views import right_required
from cone.clients.create import CH_OWNED, new_form, render_new
from cone.clients.forms import CompanySearchForm
from cone.htmx import render, wants_region
from cone.integrations import bp
from cone.integrations.forms import ApiKeyForm, BulkAddForm
from cone.integrations.views import index_context
from cone.services import companies_house as ch_service
from cone.services import settings
from cone.services.imports import runs
from cone.services.providers.base import ProviderError
from cone.web import acting_user, ch_provider, failure_headers, failure_status

RESULTS = {"ch-results": "ch_results"}
SEARCH_LIMIT = 20


@bp.get("/companies-house/search")
def ch_search():
    """Companies matching ?q=: the results region, or the create page showing them."""
    search = CompanySearchForm(formdata=request.args)
    results, error, status, headers = [], None, 200, {}
    if search.validate() and search.q.data:
        try:
            results = ch_provider().search(search.q.data, SEARCH_LIMIT)
        except ProviderError as e:
            error, status, headers = str(e), failure_status(e), failure_headers(e)
    elif search.q.errors:
        error, status = search.q.errors[0], 422
    # The region needs no form; the whole page is the create form showing the results
    form = None if wants_region(RESULTS) else new_form("business", keep=False)
    return render_new(form, "business", status, fragments=RESULTS, headers=headers,
                      ch_q=search.q.data or "", ch_results=results, ch_error=error)


@bp.get("/companies-house/<number>/prefill")
def ch_prefill(number: str):
    """The create form filled from a company, the fetched fields read-only."""
    # With htmx the typed fields come along in the query string, so picking loses nothing
    form = new_form("business", keep=bool(request.args))
    try:
        record = ch_provider().fetch_company(number)
    except ProviderError as e:
        return render_new(form, "business", failure_status(e), headers=failure_headers(e),
                          ch_error=str(e), ch_q=number[:20])
    form.prefill(ch_service.prefill_data(record))
    form.lock(CH_OWNED)
    return render_new(form, "business", ch_number=record.company_number, ch_record=record)


@bp.post("/companies-house/import")
def ch_import():
    """Create mapped clients from pasted company numbers; the result is kept as a run."""
    form = BulkAddForm()
    if not form.validate():
        return render("integrations/index.html", status=422, bulk_form=form,
                      **index_context())
    try:
        results = ch_service.import_numbers(form.lines, ch_provider(), user=acting_user())
    except ProviderError as e:  # the key was refused: nothing was tried
        form.numbers.errors = [str(e)]
        return render("integrations/index.html", status=failure_status(e), bulk_form=form,
                      **index_context())
    run = runs.record_bulk_add(results, user=acting_user())
    flash(runs.bulk_summary(run), "success" if not run.failed else "warning")
    return redirect(url_for("imports.show", run_id=run.id), 303)


@bp.post("/companies-house/resync-all")
@right_required("manage_integrations")
def ch_resync_all():
    """Start resyncing every mapped client in the background; 303 to its progress."""
    ch_provider()  # no key: say so now rather than fail every client in the job
    run = ch_service.start_resync_all(user=acting_user())
    jobs.resync_all_task(run.id)
    flash("Resyncing every client mapped to Companies House.", "success")
    return redirect(url_for("imports.show", run_id=run.id), 303)


@bp.route("/settings", methods=["GET", "POST"], endpoint="settings")
@right_required("manage_integrations")
def settings_page():
    """Firm-wide settings: the Companies House API key (write-only)."""
    form = ApiKeyForm()
    name = settings.COMPANIES_HOUSE_API_KEY
    if form.validate_on_submit():
        saved = settings.set_secret(name, None if form.remove.data else form.api_key.data,
                                    current_app.config, user=acting_user())
        flash("Saved the Companies House API key." if saved
              else "Removed the saved Companies House API key.", "success")
        return redirect(url_for("integrations.settings"), 303)
    form.api_key.data = ""  # never echo a key back, not even a mistyped one
    return render("integrations/settings.html", form=form,
                  status=422 if form.is_submitted() else 200,
                  key_saved=settings.has_secret(name),
                  key_unreadable=settings.secret_unreadable(name, current_app.config),
                  key_from_env=bool(current_app.config.get("COMPANIES_HOUSE_API_KEY")))
