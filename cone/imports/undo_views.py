"""Undoing an import run: the confirm step, the POST that undoes it, and the report after.

The run's summary (imports/_undo.html) carries the confirm step itself in a <details>, so no
JavaScript is needed; /imports/<id>/undo is the same step as a page, and the report once done.
"""
from flask import abort, flash, redirect, url_for
from flask_login import current_user

from cone import jobs
from cone.auth.views import right_required
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
    if run.undone_at is None and not current_user.can("bulk_import"):
        abort(403)  # undoing is for those who may import
    return render("imports/undo.html", run=run, report=report, refused=refused)


@bp.post("/imports/<int:run_id>/undo")
@right_required("bulk_import")
def undo(run_id: int):
    """Undo the run (the confirm button posts here); 303 to its report."""
    user = acting_user()
    try:
        report = undoing.start_undo(run_id, user=user)
    except undoing.RunNotFound:
        abort(404)
    except undoing.UndoRefused as e:
        flash(str(e), "warning")
        return redirect(url_for("imports.show", run_id=run_id), 303)
    if report is None:  # a big run: a job takes it back, the report page follows it
        jobs.undo_task(run_id, user.id if user else None)
        flash("Undoing the import: this page shows how far it has gone.", "info")
    elif report.already:
        flash("This import had already been undone: nothing changed.", "info")
    else:
        flash(f"Import undone: {report.summary()}", "success")
    # 303 so the browser follows with GET: a reload shows the report, never undoes again
    return redirect(url_for("imports.undo_report", run_id=run_id), 303)
