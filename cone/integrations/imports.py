"""Importing customers: fetch and preview, decide per row, start the run, watch its progress.

A run moves through preview → queued → running → done (or failed); /imports/<id> shows the
preview table, the progress bar or the summary, whichever the run's status calls for.
Companies House runs (bulk add, resync all) are shown by the same page.
"""
from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user

from cone import jobs
from cone.auth.views import admin_required
from cone.htmx import render, wants_region
from cone.integrations import bp
from cone.integrations.imports_forms import (PreviewFilterForm, RepreviewForm,
                                             StartPreviewForm, read_decisions)
from cone.services.imports import runs as ch_runs
from cone.services import connections, imports
from cone.services.imports import csv_staging
from cone.services.providers.base import ProviderError

PROGRESS = {"import-progress": "import_progress"}
PREVIEW = {"import-preview": "preview", "decision-status": "decision_status"}
PER_PAGE = 100


def _user():
    """The signed-in user as a plain object, for the services."""
    return current_user._get_current_object()


def _run_or_404(run_id: int):
    """The import run, or 404."""
    return ch_runs.get_run(run_id) or abort(404)


def _connection(provider: str, connection_id: str | None):
    """The active connection to import from: the one posted, else the platform's only one."""
    found = [c for c in connections.list_connections() if c.provider == provider]
    if connection_id:
        found = [c for c in found if str(c.id) == connection_id]
    return found[0] if len(found) == 1 else None


@bp.post("/integrations/<provider>/import")
@admin_required
def start_preview(provider: str):
    """Fetch the platform's customers and keep a preview of what importing them would do."""
    if provider not in connections.PLATFORMS:
        abort(404)
    form = StartPreviewForm()
    label = connections.platform(provider).label
    connection = _connection(provider, request.form.get("connection_id"))
    if connection is None or not form.validate():
        flash(f"Connect {label} (one organisation) on this page before importing.", "error")
        return redirect(url_for("integrations.index"), 303)
    try:
        with connections.open_provider(connection, current_app.config) as platform:
            # Every contact comes along; the preview skips the inactive ones unless asked
            rows = imports.build_preview(platform.list_customers(include_non_customers=True),
                                         include_inactive=form.include_inactive.data)
    except ProviderError as e:
        flash(f"{e} Nothing was imported.", "error")
        return redirect(url_for("integrations.index"), 303)
    run = imports.create_preview_run(provider, rows, user=_user(), connection_id=connection.id)
    return redirect(url_for("integrations.import_progress", run_id=run.id), 303)


def _includes_inactive(plan: list[dict]) -> bool:
    """Whether the preview classified archived or non-customer records instead of skipping them."""
    return any((r["customer"].get("archived") or not r["customer"].get("is_customer", True))
               and r["classification"] != "skipped" for r in plan)


def preview_context(run, filters: PreviewFilterForm, errors: dict | None = None) -> dict:
    """The preview table: counts per classification, and the filtered page of rows."""
    plan = run.plan or []
    show = filters.chosen()
    counts = {c: 0 for c in imports.CLASSIFICATIONS}
    for r in plan:
        counts[r["classification"]] = counts.get(r["classification"], 0) + 1
    shown = [r for r in plan if not show or r["classification"] == show]
    pages = max(1, -(-len(shown) // PER_PAGE))
    page = min(max(filters.page.data or 1, 1), pages)
    return {"filters": filters, "show": show, "counts": counts, "shown_total": len(shown),
            "rows": shown[(page - 1) * PER_PAGE:page * PER_PAGE], "page": page,
            "pages": pages, "choices": imports.CHOICES, "row_errors": errors or {},
            "source": _source_name(run.provider),
            "repreview": RepreviewForm(formdata=None,
                                       include_inactive=_includes_inactive(plan))}


@bp.get("/imports/<int:run_id>")
def import_progress(run_id: int):
    """A run's preview while it waits for decisions, its progress bar, then its summary."""
    run = _run_or_404(run_id)
    if csv_staging.is_staged(run):
        return redirect(url_for("integrations.csv_mapping", run_id=run.id), 303)
    if run.status == "preview":
        if not current_user.is_admin:
            abort(403)  # deciding what to import is for admins, like starting it
        filters = PreviewFilterForm(formdata=request.args)
        return render("imports/show.html", fragments=PREVIEW, run=run, running=False,
                      **preview_context(run, filters))
    running = run.status in ch_runs.RUNNING
    # Sent on completion only: polling has stopped and other panels may refresh
    headers = {} if running or not wants_region(PROGRESS) else {"HX-Trigger": "clients-imported"}
    return render("imports/show.html", fragments=PROGRESS, run=run, running=running,
                  headers=headers, **summary_context(run))


def summary_context(run) -> dict:
    """What the progress and summary blocks show besides the run's counts."""
    if run.provider == ch_runs.PROVIDER:
        return {"outcomes": ch_runs.outcomes(run), "is_ch": True}
    plan = run.plan or []
    failures = [r for r in plan if r.get("outcome") == "failed"]
    written = [r for r in plan if r.get("outcome") in ("created", "linked", "updated")]
    return {"is_ch": False, "failures": failures, "written": written[:PER_PAGE * 5],
            "written_total": len(written), "source": _source_name(run.provider)}


def _source_name(provider: str) -> str:
    """"Xero", "CSV file"… for headings."""
    if provider == "csv":
        return "CSV file"
    platform = connections.PLATFORMS.get(provider)
    return platform.label if platform else provider


def _back_to_preview(run):
    # The filter and page come back with the form, so the user lands where they were
    args = {k: v for k, v in (("show", request.form.get("show")),
                              ("page", request.form.get("page"))) if v}
    return redirect(url_for("integrations.import_progress", run_id=run.id, **args), 303)


def _save_decisions(run):
    """Apply the posted decisions; (saved count, per-row errors)."""
    decisions, errors = read_decisions(request.form, run.plan or [], imports.CHOICES)
    if errors:
        return 0, errors
    if decisions:
        imports.set_decisions(run, decisions, user=_user())
    return len(decisions), {}


def _refused(run, message: str):
    """A run that has started cannot be changed: say so and show where it is now."""
    if wants_region(PREVIEW):
        return render("imports/show.html", fragments=PREVIEW, status=409, run=run,
                      refused=message, **preview_context(run, PreviewFilterForm(formdata=None)))
    flash(message, "warning")
    return redirect(url_for("integrations.import_progress", run_id=run.id), 303)


@bp.post("/imports/<int:run_id>/decisions")
@admin_required
def decisions(run_id: int):
    """Save the decisions of the rows shown (all of them, or the one changed with htmx)."""
    run = _run_or_404(run_id)
    if run.status != "preview":
        return _refused(run, "This import has already started: its decisions cannot change.")
    try:
        saved, errors = _save_decisions(run)
    except imports.ImportRefused as e:
        return _refused(run, str(e))
    if errors or wants_region(PREVIEW):
        filters = PreviewFilterForm(formdata=request.form)
        return render("imports/show.html", fragments=PREVIEW, status=422 if errors else 200,
                      run=run, saved=saved, **preview_context(run, filters, errors))
    flash(f"Saved {saved} decision{'s' if saved != 1 else ''}.", "success")
    return _back_to_preview(run)


@bp.post("/imports/<int:run_id>/start")
@admin_required
def start(run_id: int):
    """Apply any decisions posted with the button, then queue the run; 303 to its progress."""
    run = _run_or_404(run_id)
    if run.status != "preview":
        return _refused(run, "This import has already started.")
    try:
        _, errors = _save_decisions(run)
        if not errors:
            imports.start_import(run, user=_user())
            jobs.import_task(run.id)
    except imports.ImportRefused as e:
        return _refused(run, str(e))
    if errors:
        filters = PreviewFilterForm(formdata=request.form)
        return render("imports/show.html", fragments=PREVIEW, status=422, run=run,
                      **preview_context(run, filters, errors))
    return redirect(url_for("integrations.import_progress", run_id=run.id), 303)


@bp.post("/imports/<int:run_id>/preview")
@admin_required
def repreview(run_id: int):
    """Classify the same records again, with or without the inactive ones, as a new preview."""
    run = _run_or_404(run_id)
    if run.status != "preview":
        return _refused(run, "This import has already started.")
    form = RepreviewForm()
    rows = imports.build_preview((r.customer for r in imports.plan_rows(run)),
                                 include_inactive=form.include_inactive.data)
    new = imports.create_preview_run(run.provider, rows, user=_user(),
                                     connection_id=run.connection_id)
    return redirect(url_for("integrations.import_progress", run_id=new.id), 303)
