"""The contact form: what a person types; the service normalises and checks the values."""
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length, Optional

from cone.forms import FlaskForm
from cone.services.contacts import PART_LABELS, max_length
from cone.services.models import ADDRESS_PARTS, Address, Contact


def _text(label: str, column: str, required: bool = False, **kw) -> StringField:
    # maxlength comes from the column, so the browser and the database agree
    first = DataRequired(f"Enter a {label.lower()}.") if required else Optional()
    return StringField(label, validators=[first, Length(max=max_length(column))], **kw)


class ContactForm(FlaskForm):
    title = _text("Title", "title", description="Mr, Ms, Dr…")
    first_name = _text("First name", "first_name", required=True)
    last_name = _text("Last name", "last_name")
    email = _text("E-mail", "email", render_kw={"type": "email", "autocomplete": "email"})
    phone = _text("Phone", "phone", render_kw={"type": "tel", "autocomplete": "tel"})
    address_line1 = _text(PART_LABELS["line1"], "address_line1")
    address_line2 = _text(PART_LABELS["line2"], "address_line2")
    address_town = _text(PART_LABELS["town"], "address_town")
    address_county = _text(PART_LABELS["county"], "address_county")
    address_postcode = _text(PART_LABELS["postcode"], "address_postcode")
    address_country = _text(PART_LABELS["country"], "address_country")

    @staticmethod
    def initial(contact: Contact) -> dict:
        """The form's starting values for an existing contact."""
        data = {name: getattr(contact, name) for name in
                ("title", "first_name", "last_name", "email", "phone")}
        data.update({f"address_{p}": getattr(contact.address, p) for p in ADDRESS_PARTS})
        return data | {"version": str(contact.version)}

    def values(self) -> dict:
        """The submitted values in the service's shape (raw text; the service cleans it)."""
        out = {name: getattr(self, name).data for name in
               ("title", "first_name", "last_name", "email", "phone")}
        out["address"] = Address(**{p: getattr(self, f"address_{p}").data for p in ADDRESS_PARTS})
        return out

    def add_errors(self, errors: dict[str, list[str]]) -> None:
        """Put the service's messages beside their fields."""
        for name, messages in errors.items():
            field = self._fields.get(name)
            if field is None:
                self.form_errors.extend(messages)
            else:
                field.errors = [*field.errors, *messages]


class EditContactForm(ContactForm):
    version = HiddenField()

    def expected_version(self) -> int:
        """The version the user opened; garbage counts as stale rather than failing."""
        try:
            return int(self.version.data or 0)
        except ValueError:
            return 0
