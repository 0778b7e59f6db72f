"""Importing customers from a CSV file: upload, map the columns, then the usual preview."""
from flask import abort, flash, redirect, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from cone.auth.views import right_required
from cone.htmx import render
from cone.integrations import bp
from cone.integrations.imports_forms import CsvUploadForm, mapping_form
from cone.services.imports import runs
from cone.services.imports import csv_file, csv_staging
from cone.web import acting_user

FIELDS = {name: label for name, (label, _) in csv_file.FIELDS.items()}
SAMPLE_ROWS = 3
TOO_BIG = (f"The file is larger than {csv_file.MAX_BYTES // (1024 * 1024)} MB: split it into "
           "smaller files.")


@bp.route("/integrations/csv", methods=["GET", "POST"])
@right_required("bulk_import")
def csv_upload():
    """Upload a CSV file of customers; a readable one goes on to its column mapping."""
    form = CsvUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            # One byte over the limit is enough to know the file is too big
            headers, rows = csv_file.read_csv(upload.read(csv_file.MAX_BYTES + 1))
        except csv_file.CsvInvalid as e:
            form.file.errors.append(str(e))
        else:
            run = csv_staging.stage(upload.filename, headers, rows, user=acting_user())
            return redirect(url_for("integrations.csv_mapping", run_id=run.id), 303)
    return render("imports/csv.html", form=form, status=422 if form.is_submitted() else 200,
                  max_mb=csv_file.MAX_BYTES // (1024 * 1024), max_rows=csv_file.MAX_ROWS)


@bp.app_errorhandler(RequestEntityTooLarge)
def too_large(error):
    """A body over MAX_CONTENT_LENGTH: the upload form says so; elsewhere the usual 413."""
    if request.endpoint != "integrations.csv_upload":
        return error
    form = CsvUploadForm(formdata=None)
    form.file.errors = [TOO_BIG]
    # 422, not 413: htmx swaps it (base.html), so a boosted upload shows the message too
    return render("imports/csv.html", form=form, status=422,
                  max_mb=csv_file.MAX_BYTES // (1024 * 1024), max_rows=csv_file.MAX_ROWS)


@bp.route("/integrations/csv/<int:run_id>/mapping", methods=["GET", "POST"])
@right_required("bulk_import")
def csv_mapping(run_id: int):
    """Say which column holds which field (guessed from the headers); then the preview."""
    run = runs.get_run(run_id) or abort(404)
    try:
        filename, headers, rows = csv_staging.staged(run)
    except csv_staging.NotStaged as e:
        flash(str(e), "warning")
        return redirect(url_for("imports.show", run_id=run.id), 303)
    form = mapping_form(FIELDS, headers, csv_file.guess_mapping(headers),
                        formdata=request.form if request.method == "POST" else None)
    if form.validate_on_submit():
        csv_staging.preview(run, form.mapping(), user=acting_user())
        return redirect(url_for("imports.show", run_id=run.id), 303)
    samples = {h: [r.get(h, "") for r in rows[:SAMPLE_ROWS]] for h in headers}
    return render("imports/mapping.html", form=form, run=run, filename=filename,
                  columns=headers, samples=samples, row_count=len(rows),
                  status=422 if form.is_submitted() else 200)
