"""Hostile input (tests/data/hostile.txt) through every text field of every form, the inputs
that have no form class (notes, the inline contact, searches) and every provider payload:
refused beside the field (control characters) or stored and shown escaped; never a 500, never
raw markup in a page, never a control character in the database.

The form classes and their text fields are found by walking cone.forms' subclasses, so a new
field is covered without touching this file; a new form class fails test_every_form_is_covered
until it has a route below.
"""
import csv
import functools
import io
import re
import tempfile
from pathlib import Path
from urllib.parse import quote

import flask_wtf
import pytest
import wtforms
from markupsafe import escape
from sqlalchemy import String, Text, select
from werkzeug.datastructures import MultiDict
from wtforms import FieldList, FormField, StringField, TextAreaField

import cone.forms
from cone.services import clients, contacts, notes, settings, users, validation
from cone.services.models import Client, Contact, ImportRun, Note, db
from tests.data.hostile import refused, strings
from tests.helpers import connect_xero, hx, login_as, make_app, run_import

STRINGS = strings()
CONTROL_MESSAGES = ("control character", "single line")
# A raw string with any of these in the page means it was not escaped
MARKUP = re.compile(r"[<>&\"']")
# Anything the single-line rule refuses, bar the line breaks notes may keep
STORED_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


# Every form class and its text fields

def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _our_forms() -> list[type]:
    """Every concrete form class of the app (the CSV mapping form is built per file)."""
    found = {c for c in _subclasses(cone.forms.FlaskForm) if c.__module__.startswith("cone.")}
    found |= {c for c in _subclasses(cone.forms.Form) if c.__module__.startswith("cone.")}
    found = {c for c in found if c.__name__ != "CsvMappingForm"}
    return sorted(found, key=lambda c: (c.__module__, c.__qualname__))


def _walk(form):
    """(name, field) for every text field, nested forms and lists (one entry) included."""
    for field in form:
        if isinstance(field, FieldList) and not field.entries:
            field.append_entry()
        if isinstance(field, FormField):
            yield from _walk(field.form)
        elif isinstance(field, FieldList):
            yield from _walk([field.entries[0]])
        elif isinstance(field, StringField):
            yield field.name, field


def _text_fields(app, cls) -> list[tuple[str, bool]]:
    with app.test_request_context():
        form = cls(formdata=None) if issubclass(cls, flask_wtf.FlaskForm) else cls()
        return [(name, isinstance(f, TextAreaField)) for name, f in _walk(form)]


# Forms are built in a request context of an app whose database is never touched
BARE_APP = make_app(Path(tempfile.mkdtemp()))
FORM_CASES = [pytest.param(cls, name, multiline, id=f"{cls.__name__}.{name}")
              for cls in _our_forms() for name, multiline in _text_fields(BARE_APP, cls)]


def test_every_form_class_is_ours():
    """A form built on flask_wtf or wtforms directly would miss the rule."""
    theirs = {c.__qualname__ for base in (flask_wtf.FlaskForm, wtforms.Form)
              for c in _subclasses(base) if c.__module__.startswith("cone.")
              and not issubclass(c, (cone.forms.FlaskForm, cone.forms.Form))}
    assert theirs == set()


@functools.lru_cache(maxsize=None)
def _validated(cls, value: str) -> dict:
    """{field name: (errors, value after the field's filters)} with value in every text field
    (built once per form and string, however many of its fields are checked)."""
    with BARE_APP.test_request_context():
        names = [n for n, _ in _text_fields(BARE_APP, cls)]
        form = cls(formdata=MultiDict({n: value for n in names}))
        form.validate()
        return {n: (list(f.errors), f.data) for n, f in _walk(form)}


@pytest.mark.parametrize("cls,name,multiline", FORM_CASES)
def test_text_field_refuses_control_characters(cls, name, multiline):
    """Each corpus string in the field: the rule's message exactly when the rule refuses it
    (after the field's own trimming; passwords are taken as typed)."""
    for value in STRINGS:
        errors, typed = _validated(cls, value)[name]
        said = any(m in e for e in errors for m in CONTROL_MESSAGES)
        checked = typed if isinstance(typed, str) else value.strip()
        assert said == refused(checked, multiline=multiline, trimmed=False), (value, errors)


# Through the pages: every form's text fields at once, the other inputs, then the pages that
# show what was stored

FORMATTED = ("email", "phone", "postcode", "website", "vat_number", "utr", "ni_number",
             "company_number", "paye_reference", "accounts_office_reference", "ch_auth_code",
             "sic_codes", "password", "api_key", "numbers")


def _free_and_formatted(cls) -> tuple[list[str], list[str]]:
    """The form's visible text fields: free text, and those with a format of their own."""
    with BARE_APP.test_request_context():
        form = cls(formdata=None)
        names = [n for n, f in _walk(form) if f.type not in ("HiddenField", "CSRFTokenField")
                 # a picked contact's role needs a real contact id; the form test covers it
                 and not n.startswith("linked-")]
    formatted = [n for n in names if n.endswith(FORMATTED)]
    return [n for n in names if n not in formatted], formatted


def assert_escaped(r, value: str) -> None:
    """A page that may show value: no 500, and never the value's markup as markup."""
    assert r.status_code < 500, (value, r.status_code)
    text = r.get_data(as_text=True)
    if MARKUP.search(value) and value.strip():
        assert value.strip() not in text, value
    for raw in ("<script>alert", "<img src=x", "<svg onload"):
        assert raw not in text, value


def assert_clean_database() -> None:
    """No control character stored anywhere (line breaks only in notes and their history)."""
    db.session.expire_all()
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)):
            for column, value in zip(columns, row):
                if isinstance(value, str):
                    assert not STORED_CONTROLS.search(value), (table.name, column.name, value)


def _expect(r, value: str, *, multiline: bool = False, ok=(200, 303, 401, 409, 422)) -> bool:
    """The answer to a post of value: refused (422, the rule's message) or one of ok; True
    when it was accepted."""
    assert_escaped(r, value)
    if refused(value, multiline=multiline):
        assert r.status_code == 422, (value, r.status_code)
        assert any(m in r.get_data(as_text=True) for m in CONTROL_MESSAGES), value
        return False
    assert r.status_code in ok, (value, r.status_code)
    return r.status_code in (200, 303)


@pytest.fixture
def admin_in(client, admin):
    login_as(client, admin)
    return client


@pytest.fixture
def acme(make_client):
    return make_client(legal_name="Acme Ltd")


def _version(model, ident) -> str:
    db.session.expire_all()
    return str(db.session.get(model, ident).version)


def _create(kind: str):
    def post(client, value, fields, ctx):
        base = ({"legal_name": "Base Ltd", "contacts-0-first_name": "Ann", "primary": "new:0"}
                if kind == "business" else
                {"first_name": "Jo", "last_name": "Base", "primary": "self"})
        data = {"kind": kind, "action": "save", "status": "customer", "confirm_duplicates": "1",
                **base, **{f: value for f in fields}}
        return client.post("/clients", data=data)
    return post


def _edit(client, value, fields, ctx):
    data = {"legal_name": "Acme Ltd", "status": "customer",
            "version": _version(Client, ctx["acme"].id), **{f: value for f in fields}}
    return client.post(f"/clients/{ctx['acme'].id}/edit", data=data)


def _new_contact(client, value, fields, ctx):
    return client.post("/contacts/new", data={"first_name": "Ann", **{f: value for f in fields}})


def _edit_contact(client, value, fields, ctx):
    contact = ctx["acme"].contact_links[0].contact_id
    data = {"first_name": "Ann", "version": _version(Contact, contact),
            **{f: value for f in fields}}
    return client.post(f"/contacts/{contact}/edit", data=data)


def _new_user(client, value, fields, ctx):
    ctx["n"] = ctx.get("n", 0) + 1
    data = {"email": f"user{ctx['n']}@example.com", "name": "New Person", "role": "staff",
            **{f: value for f in fields}}
    return client.post("/users", data=data)


def _edit_user(client, value, fields, ctx):
    staff = ctx["staff"]
    data = {"name": "Sam Staff", "role": "staff", "active": "y", **{f: value for f in fields}}
    return client.post(f"/users/{staff.id}/edit", data=data)


def _new_role(client, value, fields, ctx):
    ctx["n"] = ctx.get("n", 0) + 1
    return client.post("/users/roles", data={"name": f"Role {ctx['n']}",
                                             **{f: value for f in fields}})


def _join(client, value, fields, ctx):
    # A new invite each time: an accepted one is spent
    ctx["n"] = ctx.get("n", 0) + 1
    made = client.post("/users", data={"email": f"join{ctx['n']}@example.com", "role": "standard"})
    link = re.search(r'value="http://localhost(/invite/[^"]+)"', client.get(made.headers["Location"]).text)
    data = {"name": "New Person", "password": "x" * 8, "confirm": "x" * 8,
            **{f: value for f in fields}}
    return client.application.test_client().post(link.group(1), data=data)


def _own_password(client, value, fields, ctx):
    return client.post("/account/password", data={"current": "not it", "password": "x" * 8,
                                                  "confirm": "x" * 8,
                                                  **{f: value for f in fields}})


def _settings(client, value, fields, ctx):
    return client.post("/settings", data={f: value for f in fields})


def _bulk_add(client, value, fields, ctx):
    return client.post("/companies-house/import", data={f: value for f in fields})


def _login(client, value, fields, ctx):
    # A new address and IP each time: the throttle is not what this test is about
    ctx["n"] = n = ctx.get("n", 0) + 1
    fresh = client.application.test_client()
    return fresh.post("/login", data={"email": f"nobody{n}@example.com", "password": "x" * 8,
                                      **{f: value for f in fields}},
                      environ_base={"REMOTE_ADDR": f"10.0.{n // 200}.{n % 200}"})


# form class -> how to post it; every form class with a text field must be here
ROUTE_FORMS = {
    "NewBusinessForm": _create("business"), "NewIndividualForm": _create("individual"),
    "EditBusinessForm": _edit, "ContactForm": _new_contact, "EditContactForm": _edit_contact,
    "InviteForm": _new_user, "UserEditForm": _edit_user, "ApiKeyForm": _settings,
    "RoleForm": _new_role, "JoinForm": _join, "PasswordForm": _own_password,
    "BulkAddForm": _bulk_add, "LoginForm": _login,
}
# Forms posted only as part of another (nested), or whose text fields another route covers
COVERED_BY = {"AddressForm": "NewBusinessForm", "NewContactForm": "NewBusinessForm",
              "LinkedContactForm": "test_text_field_refuses_control_characters",
              "BusinessForm": "NewBusinessForm", "IndividualForm": "NewIndividualForm",
              "ClientForm": "NewBusinessForm", "EditIndividualForm": "EditBusinessForm",
              "CompanySearchForm": "test_searches_never_fail",
              "ClientListForm": "test_searches_never_fail"}


def test_every_form_is_covered():
    """A form class with a text field needs a route below (or says who covers it)."""
    with_text = {c.__name__ for c in _our_forms() if _text_fields(BARE_APP, c)}
    assert with_text <= set(ROUTE_FORMS) | set(COVERED_BY)


def assert_pages_escaped(client, acme_id: int) -> None:
    """Where stored values show (the lists, the workspace's tabs, contacts, users): each
    page answers and shows no corpus string's markup as markup."""
    urls = (["/clients", "/contacts", "/users", "/integrations", f"/clients/{acme_id}/edit"]
            + [f"/clients/{acme_id}?tab={t}" for t in ("overview", "contacts", "notes",
                                                       "activity", "related")])
    db.session.expire_all()
    urls += [f"/clients/{c}" for c in db.session.scalars(select(Client.id))]
    urls += [f"/contacts/{c}" for c in db.session.scalars(select(Contact.id))]
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200, url
        for value in STRINGS:
            assert_escaped(r, value)


@pytest.mark.parametrize("form_name", sorted(ROUTE_FORMS))
def test_form_posts_refuse_or_escape(admin_in, app_ctx, acme, staff, form_name):
    """Each string in every free-text field at once, then in every formatted field."""
    cls = next(c for c in _our_forms() if c.__name__ == form_name)
    free, formatted = _free_and_formatted(cls)
    post, ctx = ROUTE_FORMS[form_name], {"acme": acme, "staff": staff}
    for value in STRINGS:
        for fields in (free, formatted):
            if fields:
                r = post(admin_in, value, fields, ctx)
                multiline = any(n == "numbers" for n in fields)
                if _expect(r, value, multiline=multiline) and r.status_code == 303:
                    assert_escaped(admin_in.get(r.headers["Location"]), value)
    assert_pages_escaped(admin_in, acme.id)
    assert_clean_database()


# Inputs without a form class: notes, the workspace's inline contact, searches and filters

def test_notes_refuse_or_escape(admin_in, app_ctx, acme):
    """A note keeps tab and line breaks; other control characters are refused, text kept."""
    for value in STRINGS:
        for headers in ({}, hx("client-notes")):
            r = admin_in.post(f"/clients/{acme.id}/notes", data={"body": value}, headers=headers)
            if not _expect(r, value, multiline=True) and r.status_code == 422:
                assert _escaped_form_value(value) in r.get_data(as_text=True), value
    note = db.session.scalars(select(Note)).first()
    for value in STRINGS:
        r = admin_in.post(f"/clients/{acme.id}/notes/{note.id}", data={"body": value})
        _expect(r, value, multiline=True)
    assert_pages_escaped(admin_in, acme.id)
    assert_clean_database()


def _escaped_form_value(value: str) -> str:
    """How a refused note comes back in its textarea (CRLF is stored as LF)."""
    return str(escape(value.replace("\r\n", "\n").replace("\r", "\n").strip()))[:40]


def test_inline_contact_refuses_or_escapes(admin_in, app_ctx, acme):
    """The workspace's add-a-contact form and its no-JS picker search."""
    for value in STRINGS:
        data = {"action": "add_new", "first_name": value, "last_name": value, "role": value}
        _expect(admin_in.post(f"/clients/{acme.id}/contacts", data=data,
                              headers=hx("client-contacts")), value)
        data = {"action": "add_new", "first_name": "Ann", "email": value, "phone": value}
        _expect(admin_in.post(f"/clients/{acme.id}/contacts", data=data), value)
        data = {"action": "search_contacts", "contact_q": value}
        assert_escaped(admin_in.post(f"/clients/{acme.id}/contacts", data=data), value)
    assert_pages_escaped(admin_in, acme.id)
    assert_clean_database()


SEARCHES = ["/clients?q={v}", "/clients?tag={v}&manager={v}&kind={v}&status={v}&source={v}"
            "&ch_status={v}&due={v}&sort={v}&per_page={v}&page={v}", "/clients/export.csv?q={v}",
            "/contacts?q={v}", "/contacts/options?q={v}", "/companies-house/search?q={v}",
            "/clients/{acme}/link-company?q={v}", "/contacts/new?next={v}",
            "/imports/0?show={v}"]


@pytest.mark.parametrize("url", SEARCHES)
def test_searches_never_fail(admin_in, app_ctx, acme, url):
    """A search or filter is not kept: whatever it holds, the page answers (PostgreSQL
    refuses NUL in a parameter, so a NUL must never reach it)."""
    for value in STRINGS:
        r = admin_in.get(url.format(v=quote(value, safe=""), acme=acme.id))
        assert_escaped(r, value)
        assert r.status_code in (200, 404, 409, 422), (value, r.status_code)


# Provider payloads: nobody typed them, so control characters are dropped, not refused

def test_platform_payloads_are_cleaned(admin_in, app_ctx, acme, admin, xero_app, xero_emulator):
    """Every string as a Xero contact's names, e-mail, phone and address: the preview shows
    them escaped, the import writes cleaned values and fails (never crashes) on the rest."""
    xero_emulator.add_contacts([
        {"Name": value or "x", "FirstName": value, "LastName": value, "EmailAddress": value,
         "CompanyNumber": value, "TaxNumber": value,
         "Addresses": [{"AddressType": "POBOX", "AddressLine1": value, "City": value,
                        "PostalCode": value, "Country": value}],
         "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": value}],
         "ContactPersons": [{"FirstName": value, "LastName": value, "EmailAddress": value}]}
        for value in STRINGS])
    connect_xero(admin_in)
    r = admin_in.post("/integrations/xero/import")
    assert r.status_code == 303, r.status_code
    run = db.session.scalars(select(ImportRun)).one()
    for page in range(1, 6):
        r = admin_in.get(f"/imports/{run.id}?page={page}")
        for value in STRINGS:
            assert_escaped(r, value)
    run = run_import(run, admin)
    assert run.status == "done" and run.processed == run.total
    r = admin_in.get(f"/imports/{run.id}")
    for value in STRINGS:
        assert_escaped(r, value)
    assert_pages_escaped(admin_in, acme.id)
    assert_clean_database()


def test_companies_house_payloads_are_cleaned(admin_in, app_ctx, acme, ch_app, ch_emulator):
    """Every string as a company's name, address and officer: prefill, create and each resync
    show it escaped and store it cleaned."""
    number = "09876543"
    r = admin_in.post("/clients", data={
        "kind": "business", "ch_number": number, "legal_name": "x", "company_number": number,
        "status": "customer", "action": "save", "contacts-0-first_name": "Nadia",
        "primary": "new:0"})
    assert r.status_code == 303, r.status_code
    client_id = int(r.headers["Location"].rsplit("/", 1)[1])
    for value in STRINGS:
        ch_emulator.update_company(number, {
            "company_name": value, "registered_office_address": {
                "address_line_1": value, "locality": value, "postal_code": value,
                "country": value}, "sic_codes": [value]},
            officers=[{"name": value, "officer_role": "director", "occupation": value,
                       "nationality": value, "appointed_on": "2020-01-01"}],
            pscs=[{"name": value, "kind": "individual-person-with-significant-control",
                   "natures_of_control": [value], "notified_on": "2020-01-01"}])
        assert_escaped(admin_in.get(f"/companies-house/{number}/prefill"), value)
        r = admin_in.post(f"/clients/{client_id}/resync", headers=hx("sync-status"))
        assert r.status_code == 200, (value, r.status_code)
        assert_escaped(r, value)
        assert_escaped(admin_in.get(f"/clients/{client_id}/companies-house"), value)
    assert_pages_escaped(admin_in, acme.id)
    assert_clean_database()


def _upload(client, data: bytes):
    return client.post("/integrations/csv", data={"file": (io.BytesIO(data), "hostile.csv",
                                                          "text/csv")},
                       content_type="multipart/form-data")


def test_csv_file_is_cleaned(admin_in, app_ctx, acme, admin):
    """Every string as a CSV row's cells (and one in a header): mapped, previewed, imported.
    A NUL at the start means a binary file, refused as such; later ones are dropped."""
    header = "<b>Odd\x07header</b>"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Name", "Email", "Phone", "Town", header])
    # NUL-free rows first: the long ones carry the NULs past the binary-file check
    for value in sorted(STRINGS, key=lambda v: "\x00" in v):
        writer.writerow([value or "x", value, value, value, value])
    r = _upload(admin_in, "Name\nA\x00B\n".encode())
    assert r.status_code == 422 and "not a CSV file" in r.get_data(as_text=True)
    # Overlong and surrogate UTF-8 is not UTF-8: read as Windows-1252, as Excel would save it
    r = _upload(admin_in, b"Name\n\xc0\xafAcme \xed\xa0\x80Ltd\n")
    assert r.status_code == 303, r.get_data(as_text=True)
    db.session.delete(db.session.scalars(select(ImportRun)).one())
    db.session.commit()
    r = _upload(admin_in, buffer.getvalue().encode("utf-8"))
    assert r.status_code == 303, r.get_data(as_text=True)
    r = admin_in.get(r.headers["Location"])
    assert_escaped(r, header)
    run = db.session.scalars(select(ImportRun)).one()
    r = admin_in.post(f"/integrations/csv/{run.id}/mapping",
                      data={"name": "Name", "email": "Email", "phone": "Phone", "town": "Town"})
    assert r.status_code == 303, r.get_data(as_text=True)
    for page in range(1, 6):
        r = admin_in.get(f"/imports/{run.id}?page={page}")
        for value in STRINGS:
            assert_escaped(r, value)
    run = run_import(db.session.get(ImportRun, run.id), admin)
    assert run.status == "done"
    assert_pages_escaped(admin_in, acme.id)
    assert_clean_database()


def test_csv_export_neutralises_formulas(admin_in, app_ctx, make_client):
    """Cells a spreadsheet would run (= + - @, tab, CR first) start with a quote instead."""
    for value in STRINGS:
        name = validation.without_controls(value).strip()
        if name:
            make_client(legal_name=name[:200], internal_reference=name[:50])
    r = admin_in.get("/clients/export.csv")
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert any(cell.startswith("'=") for cell in cells)
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


# Callers that are not forms (the command line, jobs): the services apply the same rule

REFUSALS = (notes.NoteInvalid, contacts.ContactInvalid, clients.ClientInvalid, users.UserError,
            validation.Invalid)

def _service_calls(acme, admin, app):
    """name -> (call taking a value, whether the field is multi-line)."""
    counter = iter(range(10**6))
    return {
        "note": (lambda v: notes.add_note(acme, v, user=admin), True),
        "contact": (lambda v: contacts.create_contact({"first_name": v}, user=admin), False),
        "client": (lambda v: clients.create_client(
            "business", {"legal_name": v}, clients.ContactsInput(
                new=[clients.NewContact("Ann")], primary="new:0"), user=admin), False),
        "client contact": (lambda v: clients.add_contact(
            acme, clients.NewContact(first_name="Ann", role=v), make_primary=False,
            user=admin), False),
        "user": (lambda v: users.create_user(f"user{next(counter)}@example.com", name=v,
                                             password="x" * 8), False),
        "setting": (lambda v: settings.set_secret("companies_house_api_key", v, app.config,
                                                  user=admin), False),
    }


@pytest.mark.parametrize("call", ["note", "contact", "client", "client contact", "user",
                                  "setting"])
def test_services_refuse_control_characters(app, app_ctx, acme, admin, call):
    """The rule's message exactly when the rule refuses the value; nothing stored then."""
    run, multiline = _service_calls(acme, admin, app)[call]
    for value in STRINGS:
        try:
            run(value)
            said = False
        except REFUSALS as e:
            db.session.rollback()
            said = any(m in str(e) for m in CONTROL_MESSAGES)
        assert said == refused(value, multiline=multiline), (value, call)
    assert_clean_database()
