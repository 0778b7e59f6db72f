"""Undoing an import run: the confirm step, the POST that undoes it, and the report after.

The run's summary (imports/_undo.html) carries the confirm step itself in a <details>, so no
JavaScript is needed; /imports/<id>/undo is the same step as a page, and the report once done.
"""
from flask import abort, flash, redirect, url_for
from flask_login import current_user

from cone.auth.views import admin_required
from cone.htmx import render
from cone.imports import bp
from cone.services.imports import undo as undoing
from cone.web import acting_user


@bp.get("/imports/<int:run_id>/undo")
def undo_report(run_id: int):
    """What the undo did (once done); before that, the confirm step, for admins."""
    try:
        run, report, refused = undoing.review(run_id)
    except undoing.RunNotFound:
        abort(404)
    if run.undone_at is None and not current_user.is_admin:
        abort(403)  # undoing is for admins, like starting the import
    return render("imports/undo.html", run=run, report=report, refused=refused)


@bp.post("/imports/<int:run_id>/undo")
@admin_required
def undo(run_id: int):
    """Undo the run (the confirm button posts here); 303 to its report."""
    try:
        report = undoing.undo_run(run_id, user=acting_user())
    except undoing.RunNotFound:
        abort(404)
    except undoing.UndoRefused as e:
        flash(str(e), "warning")
        return redirect(url_for("imports.show", run_id=run_id), 303)
    if report.already:
        flash("This import had already been undone: nothing changed.", "info")
    else:
        flash(f"Import undone: {report.summary()}", "success")
    # 303 so the browser follows with GET: a reload shows the report, never undoes again
    return redirect(url_for("imports.undo_report", run_id=run_id), 303)
