"""The base of every form: each text field is trimmed and refuses control characters, so a new
field cannot forget to (validation.plain_text is the rule; services apply it again for callers
that are not forms)."""
import flask_wtf
import wtforms
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import StopValidation

from cone.services import validation


class PlainText:
    """Refuse control characters; a multi-line field keeps tab and line breaks."""

    def __init__(self, multiline: bool):
        self.multiline = multiline

    def __call__(self, form, field):
        if isinstance(field.data, str):
            try:
                validation.plain_text(field.data, multiline=self.multiline)
            except validation.Invalid as e:
                # Stop: one clear message, not format errors about the same invisible character
                raise StopValidation(str(e)) from None


def strip(value):
    return value.strip() if isinstance(value, str) else value


class TextMeta:
    """Binds PlainText first on every text field (StringField and its kin: e-mail, password,
    hidden, text area) and trims all but passwords, which are taken as typed."""

    def bind_field(self, form, unbound_field, options):
        field = super().bind_field(form, unbound_field, options)
        if isinstance(field, StringField):
            field.validators = [PlainText(isinstance(field, TextAreaField)), *field.validators]
            if not isinstance(field, PasswordField):
                field.filters = (*field.filters, strip)
        return field


class FlaskForm(flask_wtf.FlaskForm):
    """A page's form (CSRF and all)."""
    Meta = TextMeta


class Form(wtforms.Form):
    """A form nested in another (FormField, FieldList)."""
    Meta = TextMeta
