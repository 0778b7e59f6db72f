"""Forms for starting an import: fetch a platform's preview, upload a CSV and map its columns."""
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectChoice, SelectField
from wtforms.validators import ValidationError

from cone.filters import fsi
from cone.forms import FlaskForm

CSV_TYPES = {"text/csv", "text/plain", "application/csv", "application/vnd.ms-excel",
             "text/comma-separated-values", "application/octet-stream", ""}
CSV_SUFFIXES = (".csv", ".txt", ".tsv")


class StartPreviewForm(FlaskForm):
    """Fetch the platform's customers and show what importing them would do."""

    include_inactive = BooleanField("Include archived contacts and contacts not marked as "
                                    "customers")


class CsvUploadForm(FlaskForm):
    """A CSV file of customers (the limits are checked when it is read)."""
    file = FileField("CSV file", description="A spreadsheet saved as CSV (comma, semicolon or "
                     "tab separated), with a header row.")

    def validate_file(self, field):
        upload = field.data
        if not upload or not getattr(upload, "filename", ""):
            raise ValidationError("Choose a CSV file to upload.")
        name = upload.filename.lower()
        if not name.endswith(CSV_SUFFIXES) or (upload.mimetype or "") not in CSV_TYPES:
            raise ValidationError(f"“{upload.filename}” is not a CSV file: save the "
                                  "spreadsheet as CSV (comma separated) and upload that.")


def mapping_form(fields: dict[str, str], headers: list[str], guessed: dict[str, str],
                 formdata=None):
    """A form with one select per Cone field, offering the file's columns (guesses preselected)."""
    choices = [SelectChoice("", "— not imported —")] + [SelectChoice(h, fsi(h)) for h in headers]

    class CsvMappingForm(FlaskForm):
        def validate(self, extra_validators=None):
            ok = super().validate(extra_validators)
            mapped = {name: f.data for name, f in self.field_items() if f.data}

            if not (mapped.get("name") or mapped.get("last_name")
                    or mapped.get("first_name")):
                self.form_errors.append("Choose the column that holds each customer's name.")
                ok = False
            return ok

        def field_items(self):
            return [(name, self[name]) for name in fields]

        def mapping(self) -> dict[str, str]:
            return {name: f.data for name, f in self.field_items() if f.data}

    # The guesses only fill a fresh form: a posted form says exactly what was chosen
    guesses = guessed if formdata is None else {}
    for name, label in fields.items():
        setattr(CsvMappingForm, name, SelectField(label, choices=choices,
                                                  default=guesses.get(name, "")))
    return CsvMappingForm(formdata=formdata)
