"""Forms for clients: one class per kind, validators that use services/validation.py."""
import calendar

from wtforms import DateField, FormField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from cone.filters import fsi
from cone.forms import FlaskForm, Form
from cone.services import validation
from cone.services.clients.fields import UK_NAMES
from cone.services.models import ADDRESS_PARTS, ENTITY_TYPES, STATUSES, Address, Client

ADDRESSES = {"registered": "registered_address", "trading": "trading_address",
             "home": "home_address"}


def str_or_blank(value):
    return "" if value is None else str(value)


def int_or_none(value):
    return None if value in ("", None) else int(value)


def options(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def max_len(model, column: str) -> Length:
    """A Length validator as long as the database column allows."""
    size = model.__table__.columns[column].type.length
    return Length(max=size, message=f"Use at most {size} characters.")


class Normalised:
    """Check a value with a validation.py function and keep its normalised form."""

    def __init__(self, check):
        self.check = check

    def __call__(self, form, field):
        if field.data in (None, ""):
            return
        try:
            field.data = self.check(field.data)
        except validation.Invalid as e:
            raise ValidationError(str(e)) from None


class NotFuture:
    """Refuse a date after today (dates of birth, incorporation dates)."""

    def __init__(self, what: str):
        self.what = what

    def __call__(self, form, field):
        if field.data:
            try:
                validation.past_date(field.data, self.what)
            except validation.Invalid as e:
                raise ValidationError(str(e)) from None


class ListField(StringField):
    """Comma-separated text shown back as typed; tags and SIC codes are lists of strings."""

    def process_data(self, value):
        if value and not isinstance(value, str):
            value = ", ".join(getattr(v, "name", v) for v in value)
        super().process_data(value)

    def _value(self):
        if isinstance(self.data, list):
            return ", ".join(self.data)
        return super()._value()


def text(label, column, *validators, model=Client, required=None, **kw):
    """A trimmed text field limited to its column's length."""
    first = [DataRequired(message=required)] if required else [Optional()]
    return StringField(label, first + [*validators, max_len(model, column)], **kw)


class AddressForm(Form):
    line1 = StringField("Address line 1", [Optional(), Length(max=200)])
    line2 = StringField("Address line 2", [Optional(), Length(max=200)])
    town = StringField("Town or city", [Optional(), Length(max=200)])
    county = StringField("County", [Optional(), Length(max=200)])
    postcode = StringField("Postcode", [Optional(), Length(max=16)])
    country = StringField("Country", [Optional(), Length(max=80)])

    def validate_postcode(self, field):
        # Only UK postcodes have a format we can check; an address abroad keeps what was typed
        if (self.country.data or "").strip().casefold() in UK_NAMES:
            Normalised(validation.postcode)(self, field)


NOT_DATA = {"csrf_token", "contacts", "linked", "primary", "confirm_duplicates", "version"}


class ClientForm(FlaskForm):
    """Fields every client has."""
    can_be_own_contact = False  # an individual may be their own primary contact
    status = SelectField("Status", choices=options((s, s.capitalize()) for s in STATUSES),
                         default="customer")
    manager_id = SelectField("Manager", coerce=int_or_none, choices=options([("", "No one")]))
    partner_id = SelectField("Partner", coerce=int_or_none, choices=options([("", "No one")]))
    tags = ListField("Tags", [Optional()],
                     description="Separate tags with commas.")
    internal_reference = text("Internal reference", "internal_reference")
    email = text("E-mail", "email", Normalised(validation.email))
    phone = text("Phone", "phone", Normalised(validation.phone))

    def set_people(self, users, *keep):
        """Offer active users as manager/partner, plus whoever is set already."""
        people = {u.id: u.name for u in users}
        people.update({u.id: f"{u.name} (inactive)" for u in keep if u and u.id not in people})
        # An option label takes no markup: the names are isolated with marks instead
        isolated = [(i, fsi(name)) for i, name in people.items()]
        self.manager_id.choices = options([("", "No one"), *isolated])
        self.partner_id.choices = options([("", "No one"), *isolated])
        self.people = people

    def client_data(self, skip=frozenset()) -> dict:
        """The submitted values keyed by Client attribute, for the clients service."""
        data = {}
        for name, f in self._fields.items():
            attr = ADDRESSES.get(name, name)
            if name in NOT_DATA or attr in skip:
                continue
            if name in ADDRESSES:
                data[attr] = Address(**{k: v or None for k, v in f.data.items()})
            elif isinstance(f, ListField):
                data[attr] = f.data if isinstance(f.data, list) else []
            else:
                data[attr] = None if f.data == "" else f.data
        return data

    def lock(self, owned):
        """Show fields owned by the client's source read-only; they are not checked or sent."""
        for name, f in self._fields.items():
            if ADDRESSES.get(name, name) in owned:
                for sub in (f if name in ADDRESSES else [f]):
                    sub.validators = []
                    sub.render_kw = {"disabled": True} if sub.type == "SelectField" \
                        else {"readonly": True}

    def field_for(self, key: str):
        """The field behind a service error key ("email", "registered_postcode", ...)."""
        if key == "contacts":
            return self._fields.get("primary")
        if key in self._fields:
            return self._fields[key]
        prefix, _, rest = key.partition("_")
        if prefix in ADDRESSES and rest in ADDRESS_PARTS and prefix in self._fields:
            return self[prefix][rest]
        if key.startswith(("contacts-", "linked-")) and hasattr(self, "entry_field"):
            return self.entry_field(key)
        return None

    def add_errors(self, errors: dict[str, list[str]]):
        """Show a service refusal beside the fields it concerns."""
        for key, messages in errors.items():
            target = self.field_for(key)
            if target is None or target.type == "FormField":
                self.form_errors = [*self.form_errors, *messages]
            else:
                target.errors = [*target.errors, *messages]

    def validate_tags(self, field):
        names = [t.strip() for t in (field.data or "").split(",") if t.strip()]
        if any(len(n) > 60 for n in names):
            raise ValidationError("Each tag can have at most 60 characters.")
        seen = {}
        for name in names:
            seen.setdefault(name.casefold(), name)
        field.data = list(seen.values())


class BusinessForm(ClientForm):
    legal_name = text("Legal name", "legal_name", required="Enter the legal name.")
    trading_name = text("Trading name", "trading_name")
    entity_type = SelectField("Entity type", filters=[str_or_blank],
                              choices=options([("", "Not set"), *ENTITY_TYPES.items()]))
    company_number = text("Company number", "company_number", Normalised(validation.company_number))
    incorporation_date = DateField("Incorporation date", [Optional(),
                                                          NotFuture("Incorporation date")])
    registered = FormField(AddressForm, "Registered office", separator="_")
    trading = FormField(AddressForm, "Trading address", separator="_")
    sic_codes = ListField("SIC codes", [Optional(), Normalised(validation.sic_codes)],
                          description="e.g. 62020, 69201")
    vat_number = text("VAT number", "vat_number", Normalised(validation.vat_number))
    ct_utr = text("Corporation tax UTR", "ct_utr", Normalised(validation.utr))
    paye_reference = text("PAYE reference", "paye_reference",
                          Normalised(validation.paye_reference))
    accounts_office_reference = text("Accounts office reference", "accounts_office_reference",
                                     Normalised(validation.accounts_office_reference))
    ch_auth_code = text("Companies House authentication code", "ch_auth_code",
                        Normalised(validation.ch_auth_code))
    year_end_day = SelectField("Year end day", coerce=int_or_none,
                               choices=options([("", "Day")] + [(d, str(d)) for d in range(1, 32)]))
    year_end_month = SelectField("Year end month", coerce=int_or_none,
                                 choices=options([("", "Month")] + [(m, calendar.month_name[m])
                                                                    for m in range(1, 13)]))
    website = text("Website", "website", Normalised(validation.website))

    def validate_year_end_month(self, field):
        day, month = self.year_end_day.data, field.data
        if (day is None) != (month is None):
            raise ValidationError("Give both the day and the month of the year end, or neither.")
        if day is not None:
            try:
                validation.year_end(day, month)
            except validation.Invalid as e:
                raise ValidationError(str(e)) from None


class IndividualForm(ClientForm):
    can_be_own_contact = True
    title = text("Title", "title", description="e.g. Mr, Ms, Dr")
    first_name = text("First name", "first_name", required="Enter the first name.")
    middle_name = text("Middle name", "middle_name")
    last_name = text("Last name", "last_name", required="Enter the last name.")
    suffix = text("Suffix", "suffix", description="e.g. Jr, OBE")
    known_as = text("Known as", "known_as",
                    description="The name the register shows, when it is not the names above "
                                "(as the accounting platform has it, say).")
    date_of_birth = DateField("Date of birth", [Optional(), NotFuture("Date of birth")])
    ni_number = text("National Insurance number", "ni_number", Normalised(validation.ni_number))
    sa_utr = text("Self-assessment UTR", "sa_utr", Normalised(validation.utr))
    home = FormField(AddressForm, "Home address", separator="_")


class EditForm:
    """Edit forms carry the version the user loaded, for optimistic locking."""
    version = IntegerField(widget=HiddenInput(), validators=[DataRequired()])


class EditBusinessForm(BusinessForm, EditForm):
    pass


class EditIndividualForm(IndividualForm, EditForm):
    pass


EDIT_FORMS = {"business": EditBusinessForm, "individual": EditIndividualForm}


class CompanySearchForm(FlaskForm):
    """Search Companies House by name or number (GET: changes nothing, so no CSRF)."""
    q = StringField("Company name or number", [Optional(), Length(max=160)])

    class Meta:
        csrf = False
