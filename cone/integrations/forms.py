"""Forms for Companies House: bulk add by number, the API key on the Settings page."""
from wtforms import BooleanField, PasswordField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from cone.forms import FlaskForm

BULK_LIMIT = 50  # each number costs several API calls; more belongs to the command line


def strip(value):
    return value.strip() if isinstance(value, str) else value



class BulkAddForm(FlaskForm):
    """Company numbers, one a line, to create mapped clients from."""
    numbers = TextAreaField("Company numbers", description="One company number a line, e.g. "
                            f"01234567 or SC123456; at most {BULK_LIMIT} at a time.")

    def validate_numbers(self, field):
        lines = [" ".join(line.split()) for line in (field.data or "").splitlines()]
        lines = [line for line in lines if line]
        if not lines:
            raise ValidationError("Enter at least one company number.")
        if len(lines) > BULK_LIMIT:
            raise ValidationError(f"Enter at most {BULK_LIMIT} numbers at a time (this has "
                                  f"{len(lines)}); the ch-import command takes any number.")
        self.lines = lines


class ApiKeyForm(FlaskForm):
    """The Companies House API key: write-only, it is never shown back."""
    api_key = PasswordField("Companies House API key", [Optional(), Length(max=200)],
                            filters=[strip], description="From your application on the "
                            "Companies House developer hub (a REST key, not a stream key).",
                            render_kw={"autocomplete": "off"})
    remove = BooleanField("Remove the saved key")

    def validate_api_key(self, field):
        if field.data and any(c.isspace() for c in field.data):
            raise ValidationError("An API key has no spaces in it: paste it again.")
        if not field.data and not self.remove.data:
            raise ValidationError("Paste the API key, or tick “Remove the saved key”.")
