"""The import page: a run's preview while it waits for decisions, then its progress and summary.

A run moves through preview → queued → running → done (or failed); /imports/<id> shows the
preview table, the progress bar or the summary, whichever the run's status calls for.
Companies House runs (bulk add, resync all) are shown by the same page.
"""
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from cone import jobs
from cone.auth.views import right_required
from cone.htmx import render, wants_region
from cone.imports import bp
from cone.imports.forms import PreviewFilterForm, RepreviewForm, read_decisions
from cone.services import imports
from cone.services.imports import csv_staging, plan, runs
from cone.services.imports.preview import preview_again
from cone.services.imports.run import interrupted, resume_import
from cone.web import acting_user

PROGRESS = {"import-progress": "import_progress"}
PREVIEW = {"import-preview": "preview", "decision-status": "decision_status"}


def _run_or_404(run_id: int):
    """The import run, or 404."""
    return runs.get_run(run_id) or abort(404)


def preview_context(run, filters: PreviewFilterForm, errors: dict | None = None) -> dict:
    """The preview table: counts per classification, and the filtered page of rows."""
    shown = plan.preview_page(run, filters.chosen(), filters.page.data or 1)
    return {**vars(shown), "filters": filters, "choices": imports.CHOICES,
            "row_errors": errors or {}, "source": plan.source_heading(run.provider),
            "repreview": RepreviewForm(formdata=None, include_inactive=shown.includes_inactive)}


def summary_context(run) -> dict:
    """What the progress and summary blocks show besides the run's counts."""
    if run.provider == runs.PROVIDER:
        return {"outcomes": runs.outcomes(run), "is_ch": True}
    return {**vars(plan.finished(run)), "is_ch": False,
            "source": plan.source_heading(run.provider)}


def _preview(run, *, status: int = 200, errors: dict | None = None, formdata=None, **extra):
    """The preview page, or the region htmx asked for."""
    context = preview_context(run, PreviewFilterForm(formdata=formdata), errors)
    return render("imports/show.html", fragments=PREVIEW, status=status, run=run,
                  running=False, **context, **extra)


@bp.get("/imports/<int:run_id>")
def show(run_id: int):
    """A run's preview while it waits for decisions, its progress bar, then its summary."""
    run = _run_or_404(run_id)
    if csv_staging.is_staged(run):
        return redirect(url_for("integrations.csv_mapping", run_id=run.id), 303)
    if run.status == "preview":
        if not current_user.can("bulk_import"):
            abort(403)  # deciding what to import is for those who may start it
        return _preview(run, formdata=request.args)
    stopped = interrupted(run)
    running = run.status in runs.RUNNING and not stopped
    # Sent on completion only: polling has stopped and other panels may refresh
    headers = {} if running or not wants_region(PROGRESS) else {"HX-Trigger": "clients-imported"}
    return render("imports/show.html", fragments=PROGRESS, run=run, running=running,
                  interrupted=stopped, headers=headers, **summary_context(run))


def _back_to_preview(run):
    # The filter and page come back with the form, so the user lands where they were
    args = {k: v for k, v in (("show", request.form.get("show")),
                              ("page", request.form.get("page"))) if v}
    return redirect(url_for("imports.show", run_id=run.id, **args), 303)


def _save_decisions(run, started: str):
    """Apply the posted decisions; (saved count, per-row errors). A started run refuses with
    the message started."""
    if run.status != "preview":
        raise imports.ImportRefused(started)
    decisions, kinds, errors = read_decisions(request.form, run.plan or [], imports.CHOICES)
    if errors:
        return 0, errors
    if decisions or kinds:
        imports.set_decisions(run, decisions, kinds=kinds, user=acting_user())
    return len(decisions), {}


def _refused(run, message: str):
    """A run that has started cannot be changed: say so and show where it is now."""
    if wants_region(PREVIEW):
        return _preview(run, status=409, refused=message)
    flash(message, "warning")
    return redirect(url_for("imports.show", run_id=run.id), 303)


@bp.post("/imports/<int:run_id>/decisions")
@right_required("bulk_import")
def decisions(run_id: int):
    """Save the decisions of the rows shown (all of them, or the one changed with htmx)."""
    run = _run_or_404(run_id)
    try:
        saved, errors = _save_decisions(
            run, "This import has already started: its decisions cannot change.")
    except imports.ImportRefused as e:
        return _refused(run, str(e))
    if errors or wants_region(PREVIEW):
        return _preview(run, status=422 if errors else 200, errors=errors, saved=saved,
                        formdata=request.form)
    flash(f"Saved {saved} decision{'s' if saved != 1 else ''}.", "success")
    return _back_to_preview(run)


@bp.post("/imports/<int:run_id>/start")
@right_required("bulk_import")
def start(run_id: int):
    """Apply any decisions posted with the button, then queue the run; 303 to its progress."""
    run = _run_or_404(run_id)
    try:
        _, errors = _save_decisions(run, "This import has already started.")
        if not errors:
            imports.start_import(run, user=acting_user())
            jobs.import_task(run.id)
    except imports.ImportRefused as e:
        return _refused(run, str(e))
    if errors:
        return _preview(run, status=422, errors=errors, formdata=request.form)
    return redirect(url_for("imports.show", run_id=run.id), 303)


@bp.post("/imports/<int:run_id>/preview")
@right_required("bulk_import")
def repreview(run_id: int):
    """Classify the same records again, with or without the inactive ones, as a new preview."""
    run = _run_or_404(run_id)
    try:
        new = preview_again(run, include_inactive=RepreviewForm().include_inactive.data,
                            user=acting_user())
    except imports.ImportRefused as e:
        return _refused(run, str(e))
    return redirect(url_for("imports.show", run_id=new.id), 303)


@bp.post("/imports/<int:run_id>/resume")
@right_required("bulk_import")
def resume(run_id: int):
    """Claim an interrupted run again and queue it: it carries on where it stopped."""
    run = _run_or_404(run_id)
    try:
        resume_import(run, user=acting_user())
        jobs.import_task(run.id)
    except imports.ImportRefused as e:
        flash(str(e), "warning")
    return redirect(url_for("imports.show", run_id=run.id), 303)
