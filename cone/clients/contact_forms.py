"""The create-client forms: the kind's fields plus contacts (new rows, picked rows, primary)."""
from wtforms import FieldList, FormField, HiddenField, IntegerField
from wtforms.validators import DataRequired, ValidationError
from wtforms.widgets import HiddenInput

from cone.clients.forms import BusinessForm, IndividualForm, Normalised, text
from cone.forms import Form
from cone.services import validation
from cone.services.clients import ContactChoice, ContactsInput, NewContact
from cone.services.models import ADDRESS_PARTS, ClientContact, Contact


class NewContactForm(Form):
    """A contact typed in the client form; a row left entirely empty is ignored."""
    first_name = text("First name", "first_name", model=Contact)
    last_name = text("Last name", "last_name", model=Contact)
    email = text("E-mail", "email", Normalised(validation.email), model=Contact)
    phone = text("Phone", "phone", Normalised(validation.phone), model=Contact)
    role = text("Role", "role", model=ClientContact, description="e.g. Director")

    def is_blank(self) -> bool:
        return not any(f.data for f in self)

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if not self.is_blank() and not self.first_name.data:
            self.first_name.errors = [*self.first_name.errors, "Enter the contact's first name."]
            return False
        return ok


class LinkedContactForm(Form):
    """An existing contact picked in the form."""
    contact_id = IntegerField(widget=HiddenInput(), validators=[DataRequired()])
    role = text("Role", "role", model=ClientContact)


class ContactsMixin:
    """The contacts section of the create form (see new.html).

    The radio `primary` names a row by its position: "new:<i>", "existing:<i>" or "self".
    """
    contacts = FieldList(FormField(NewContactForm), max_entries=50)
    linked = FieldList(FormField(LinkedContactForm), max_entries=50)
    primary = HiddenField()
    confirm_duplicates = HiddenField()

    def primary_options(self) -> list[str]:
        """The rows that can be primary: filled new contacts, picked ones, and "self"."""
        options = [f"new:{i}" for i, e in enumerate(self.contacts) if not e.form.is_blank()]
        options += [f"existing:{i}" for i in range(len(self.linked))]
        return options + (["self"] if self.can_be_own_contact else [])

    def validate_primary(self, field):
        options = self.primary_options()
        if not options:
            raise ValidationError("Add a contact and mark them as the primary contact.")
        if field.data not in options:
            raise ValidationError("Choose which contact is the primary contact.")

    def settle_primary(self):
        """Point a primary that names nothing (e.g. an empty row) at the only possible row."""
        options = self.primary_options()
        if self.primary.data not in options and len(options) == 1:
            self.primary.data = options[0]

    def contacts_input(self) -> ContactsInput:
        """The contacts section for create_client, empty new rows left out."""
        filled = [i for i, e in enumerate(self.contacts) if not e.form.is_blank()]
        self.filled_positions = filled
        new = [NewContact(**{k: v or None for k, v in self.contacts[i].data.items()})
               for i in filled]
        existing = [ContactChoice(e.form.contact_id.data, e.form.role.data or None)
                    for e in self.linked]
        primary = self.primary.data or ""
        if primary.startswith("new:") and primary[4:].isdigit() and int(primary[4:]) in filled:
            primary = f"new:{filled.index(int(primary[4:]))}"
        return ContactsInput(new=new, existing=existing, primary=primary)

    def entry_field(self, key: str):
        """The field behind a service error key like "contacts-0-email" (0 counts filled rows)."""
        name, index, part = key.split("-", 2)
        index = int(index)
        if name == "contacts":
            filled = getattr(self, "filled_positions", [])
            index = filled[index] if index < len(filled) else index
        entries = self.contacts if name == "contacts" else self.linked
        return entries[index][part] if index < len(entries) and part in entries[index].form \
            else self.primary

    def add_new_row(self):
        """Another empty new-contact row; it becomes primary when nothing else is."""
        self.contacts.append_entry()
        if not self.primary.data:
            self.primary.data = f"new:{len(self.contacts) - 1}"

    def remove_row(self, name: str, index: int):
        """Drop a row and keep the primary radio pointing at the same person."""
        entries = self.contacts if name == "new" else self.linked
        if not 0 <= index < len(entries):
            return
        entries.entries.pop(index)
        kind, _, pos = (self.primary.data or "").partition(":")
        if kind == name and pos.isdigit():
            pos = int(pos)
            self.primary.data = "" if pos == index else f"{kind}:{pos - (pos > index)}"

    def link_row(self, contact_id: int):
        """Add a picked contact (once); it becomes primary when the primary names nothing."""
        if contact_id in [e.form.contact_id.data for e in self.linked]:
            return
        usable = self.primary.data in self.primary_options()
        self.linked.append_entry({"contact_id": contact_id, "role": ""})
        if not usable:
            self.primary.data = f"existing:{len(self.linked) - 1}"


class NewBusinessForm(BusinessForm, ContactsMixin):
    def prefill(self, values: dict) -> None:
        """Put a company's values (services' prefill_data) into the fields."""
        def put(f, value):
            # raw_data would win over data when rendering (an empty date typed earlier, say)
            f.data, f.raw_data, f.process_errors = value, None, []

        for name, value in values.items():
            if name == "registered_address":
                for part in ADDRESS_PARTS:
                    put(self.registered[part], getattr(value, part) or "")
            elif name in self._fields:
                put(self[name], list(value or ()) if name == "sic_codes" else value)


class NewIndividualForm(IndividualForm, ContactsMixin):
    pass


NEW_FORMS = {"business": NewBusinessForm, "individual": NewIndividualForm}
