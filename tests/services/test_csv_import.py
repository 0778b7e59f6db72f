"""CSV customer files: encodings, delimiters, mapping guesses, bad rows, limits, the run."""
import pytest
from sqlalchemy import func, select

from tests.helpers import run_import
from cone.services import imports
from cone.services.imports import csv_file
from cone.services.imports.csv_file import CsvInvalid, guess_mapping, read_csv, to_customers
from cone.services.models import Client, db

HEADER = "Name,Email,Phone,Postcode,Company number\n"


def parse(text: str, encoding="utf-8"):
    headers, rows = read_csv(text.encode(encoding))
    return to_customers(rows, guess_mapping(headers))


@pytest.mark.parametrize("data", [
    "Name,Town\nCafé Ñandú Ltd,Perth\n".encode("utf-8"),
    b"\xef\xbb\xbf" + "Name,Town\nCafé Ñandú Ltd,Perth\n".encode("utf-8"),
    "Name,Town\nCafé Ñandú Ltd,Perth\n".encode("cp1252"),
    "Name,Town\r\nCafé Ñandú Ltd,Perth\r\n".encode("utf-16"),
])
def test_encodings_are_recognised(data):
    headers, rows = read_csv(data)
    assert headers == ["Name", "Town"]
    assert rows == [{"Name": "Café Ñandú Ltd", "Town": "Perth"}]


def test_a_windows_pound_sign_and_smart_quotes_survive():
    headers, rows = read_csv("Name,Note\nO’Brien £ Co,x\n".encode("cp1252"))
    assert rows[0]["Name"] == "O’Brien £ Co"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_sniffed(delimiter):
    text = delimiter.join(["Name", "Email", "Town"]) + "\n" + delimiter.join(
        ["Acme Ltd", "a@acme.example", "Leeds"]) + "\n"
    headers, rows = read_csv(text.encode())
    assert headers == ["Name", "Email", "Town"] and rows[0]["Town"] == "Leeds"


def test_quoted_cells_keep_delimiters_and_line_breaks():
    headers, rows = read_csv(b'Name,Address\n"Smith, Jones & Co","1 Road\nLeeds"\n')
    assert rows == [{"Name": "Smith, Jones & Co", "Address": "1 Road\nLeeds"}]


def test_blank_and_repeated_headers_are_named_and_blank_rows_dropped():
    headers, rows = read_csv(b"Name,,Name\nA,b,c\n,,\n\nD,e,f\n")
    assert headers == ["Name", "Column 2", "Name (2)"] and len(rows) == 2


def test_short_rows_are_padded():
    headers, rows = read_csv(b"Name,Email,Town\nAcme Ltd\n")
    assert rows == [{"Name": "Acme Ltd", "Email": "", "Town": ""}]


def test_mapping_is_guessed_from_common_headers():
    headers = ["Customer Name", "E-mail Address", "Telephone", "Address Line 1", "City",
               "Post Code", "Country", "Company Reg. No", "VAT Reg No", "Account Ref", "Status",
               "Unrelated"]
    assert guess_mapping(headers) == {
        "name": "Customer Name", "email": "E-mail Address", "phone": "Telephone",
        "line1": "Address Line 1", "town": "City", "postcode": "Post Code",
        "country": "Country", "company_number": "Company Reg. No",
        "vat_number": "VAT Reg No", "external_id": "Account Ref", "archived": "Status"}


def test_xero_export_headers_are_guessed():
    headers = ["*ContactName", "AccountNumber", "EmailAddress", "FirstName", "LastName",
               "POAddressLine1", "POCity", "PORegion", "POPostalCode", "POCountry",
               "PhoneNumber", "TaxNumber", "CompanyNumber"]
    mapping = guess_mapping(headers)
    assert mapping["name"] == "*ContactName" and mapping["external_id"] == "AccountNumber"
    assert mapping["postcode"] == "POPostalCode" and mapping["vat_number"] == "TaxNumber"
    assert mapping["first_name"] == "FirstName" and mapping["county"] == "PORegion"


def test_rows_become_customers_with_a_stable_reference():
    customers, errors = parse(HEADER + "Acme Ltd,a@acme.example,0113 496 0000,LS1 4AP,123\n"
                              "Zed Ltd,,,,\n")
    assert errors == {}
    acme = customers[0]
    assert (acme.provider, acme.tenant_id, acme.kind) == ("csv", "", "business")
    assert acme.company_number == "123" and acme.address.postcode == "LS1 4AP"
    assert acme.raw["Name"] == "Acme Ltd"
    again, _ = parse(HEADER + "ACME LIMITED,A@acme.example,,,\n")
    assert again[0].external_id == acme.external_id  # same normalised name and e-mail
    assert customers[1].external_id != acme.external_id


def test_a_reference_column_is_the_external_id():
    customers, _ = parse("Ref,Name\nC-001,Acme Ltd\n")
    assert customers[0].external_id == "C-001"


def test_only_nameless_rows_and_repeated_references_are_refused():
    customers, errors = parse("Ref,Name,Email\nC1,Good Ltd,good@example.com\n"
                              ",,nobody@example.com\n"
                              "C1,Other Ltd,\n")
    assert [c.name for c in customers] == ["Good Ltd"]
    assert errors == {3: ["No name: give a name, or a first and last name."],
                      4: ["Repeats the customer on line 2."]}


def test_values_cone_would_refuse_come_through_as_typed():
    """The import's cleaning leaves them out with a warning; the file's reader keeps them."""
    customers, errors = parse(HEADER + "Bad Mail Ltd,not-an-email,call Jane,,ZZ123\n"
                              "Utr Ltd,,0207 ABC 1234,,1234567890\n")
    assert errors == {}
    bad, utr = customers
    assert (bad.email, bad.phone, bad.company_number) == ("not-an-email", "call Jane", "ZZ123")
    assert (utr.phone, utr.company_number) == ("0207 ABC 1234", "1234567890")


def test_the_same_customer_twice_without_a_reference_is_two_customers():
    customers, errors = parse(HEADER + "Good Ltd,good@example.com,,,\n"
                              "Good Ltd,good@example.com,,,\n")
    assert errors == {} and [c.name for c in customers] == ["Good Ltd", "Good Ltd"]
    first, second = customers
    assert second.external_id == first.external_id + "-2"  # stable when the file comes again


def test_formula_looking_cells_are_kept_as_text():
    customers, errors = parse('Name,Phone\n"=HYPERLINK(""http://x"",""y"")",+44 20 7946 0000\n'
                              "@SUM(A1),\n")
    assert errors == {}
    assert customers[0].name == '=HYPERLINK("http://x","y")'
    assert customers[0].phone == "+44 20 7946 0000"
    assert customers[1].name == "@SUM(A1)"


@pytest.mark.parametrize("row, kind", [
    ("Jo,Bloggs,,,", "individual"),
    ("Jo,Bloggs,Bloggs Plumbing,,", "business"),
    ("Jo,Bloggs,,,business", "business"),
    (",,Acme Ltd,,individual", "individual"),
    (",,Acme,12345678,", "business"),
])
def test_kind_comes_from_the_kind_column_or_the_names(row, kind):
    customers, errors = parse("First name,Last name,Name,Company number,Type\n" + row + "\n")
    assert errors == {} and customers[0].kind == kind


@pytest.mark.parametrize("header, value, archived", [
    ("Status", "Archived", True), ("Status", "Active", False), ("Active", "No", True),
    ("Active", "yes", False), ("Archived", "yes", True), ("Archived", "", False),
])
def test_status_columns_mark_archived_customers(header, value, archived):
    customers, _ = parse(f"Name,{header}\nAcme Ltd,{value}\n")
    assert customers[0].archived is archived


def test_a_contact_person_comes_from_contact_columns():
    customers, _ = parse("Name,Contact first name,Contact last name,Contact email\n"
                         "Acme Ltd,Jo,Bloggs,jo@acme.example\n")
    person = customers[0].people[0]
    assert (person.first_name, person.last_name, person.email) == ("Jo", "Bloggs",
                                                                   "jo@acme.example")


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"Name,Email\n", "no customers"),
    (b"PK\x03\x04\x00\x00binary", "not a CSV file"),
])
def test_unusable_files_are_refused_with_a_reason(data, message):
    with pytest.raises(CsvInvalid, match=message):
        read_csv(data)


def test_limits_on_size_rows_and_columns(monkeypatch):
    with pytest.raises(CsvInvalid, match="larger than 5 MB"):
        read_csv(b"Name\n" + b"x" * csv_file.MAX_BYTES)
    rows = "Name\n" + "".join(f"Client {i}\n" for i in range(csv_file.MAX_ROWS + 1))
    with pytest.raises(CsvInvalid, match="more than 20,000 rows"):
        read_csv(rows.encode())
    assert len(read_csv(rows.rsplit("\n", 2)[0].encode())[1]) == csv_file.MAX_ROWS
    with pytest.raises(CsvInvalid, match="columns"):
        read_csv((",".join(f"c{i}" for i in range(101)) + "\n" + "x\n").encode())


def test_an_unknown_mapping_field_is_refused():
    with pytest.raises(CsvInvalid, match="Unknown field"):
        to_customers([{"A": "x"}], {"nonsense": "A"})


def test_importing_the_same_file_twice_never_duplicates(admin):
    text = HEADER + "Acme Ltd,a@acme.example,,LS1 4AP,\nJo Bloggs,,,,\n"
    for attempt in range(2):
        customers, _ = parse(text)
        rows = imports.build_preview(customers)
        if attempt:
            assert {r.classification for r in rows} == {"linked"}
        run = imports.create_preview_run("csv", rows, user=admin)
        done = run_import(run, admin)
    assert (done.created, done.skipped) == (0, 2)
    assert db.session.scalar(select(func.count()).select_from(Client)) == 2
    client = db.session.scalars(select(Client).where(Client.display_name == "Acme Ltd")).one()
    # A file owns no fields: the client stays editable and free to link to a real source
    assert client.active_link is None and client.external_links[0].provider == "csv"
