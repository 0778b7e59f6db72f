"""Forms for importing customers: start a preview, filter it, decide per row, upload and map a CSV."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField
from wtforms.validators import NumberRange, Optional, ValidationError

SHOW = [("", "All rows"), ("new", "New"), ("linked", "Already linked"),
        ("match", "Matches a client"), ("skipped", "Skipped")]
DECISION_WORDS = {"create": "Create a new client", "update": "Update the linked client",
                  "link": "Link to the match", "skip": "Skip"}
CSV_TYPES = {"text/csv", "text/plain", "application/csv", "application/vnd.ms-excel",
             "text/comma-separated-values", "application/octet-stream", ""}
CSV_SUFFIXES = (".csv", ".txt", ".tsv")


class StartPreviewForm(FlaskForm):
    """Fetch the platform's customers and show what importing them would do."""
    include_inactive = BooleanField("Include archived contacts and contacts not marked as "
                                    "customers")


class PreviewFilterForm(FlaskForm):
    """Which preview rows to show (GET: changes nothing, so no CSRF)."""
    show = SelectField("Show", choices=[SelectChoice(v, label) for v, label in SHOW], default="",
                       validate_choice=False)
    page = IntegerField("Page", [Optional(), NumberRange(min=1)], default=1)

    class Meta:
        csrf = False

    def chosen(self) -> str:
        """The classification to filter by, "" for all; unknown values show everything."""
        return self.show.data if self.show.data in dict(SHOW) else ""


class RepreviewForm(FlaskForm):
    """Classify the same records again, with or without the inactive ones."""
    include_inactive = BooleanField("Include archived contacts and contacts not marked as "
                                    "customers")


def read_decisions(formdata, plan: list[dict], choices: dict[str, tuple[str, ...]]
                   ) -> tuple[dict[int, str], dict[int, str]]:
    """The decisions posted as decision-<index>, checked against each row's classification.

    Returns (decisions, errors) keyed by row index; rows not in the form are left alone, so a
    page of a long preview can be saved on its own.
    """
    by_index = {row["index"]: row for row in plan}
    decisions, errors = {}, {}
    for key, value in formdata.items():
        index = key.removeprefix("decision-")
        if index == key or not index.isdigit() or int(index) not in by_index:
            continue
        allowed = allowed_decisions(by_index[int(index)], choices)
        if value in allowed:
            decisions[int(index)] = value
        else:
            errors[int(index)] = "Choose one of: " + ", ".join(
                DECISION_WORDS[d].lower() for d in allowed) + "."
    return decisions, errors


def allowed_decisions(row: dict, choices: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The decisions offered for a plan row: linking needs a matching client."""
    allowed = choices.get(row["classification"], ("skip",))
    return tuple(d for d in allowed if d != "link" or row.get("client_id"))


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
    choices = [SelectChoice("", "— not imported —")] + [SelectChoice(h, h) for h in headers]

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
