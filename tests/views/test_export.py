"""CSV export of the current list view: every matching row, filters applied, formulas defused."""
import csv
import io

import pytest

from cone.services.search.export import safe_cell
from cone.services.models import Client, ClientContact, Contact, Tag, db, utcnow


def add(name, **fields):
    client = Client(kind=fields.pop("kind", "business"), status=fields.pop("status", "customer"),
                    display_name=name, **fields)
    db.session.add(client)
    db.session.commit()
    return client


def rows(response) -> list[list[str]]:
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")  # BOM: Excel then reads the file as UTF-8
    return list(csv.reader(io.StringIO(text[1:])))


def test_export_streams_every_matching_row_with_filters(staff_client):
    for i in range(60):
        add(f"Client {i:02}", status="prospect" if i % 2 else "customer")
    add("Gone Ltd", archived_at=utcnow())
    r = staff_client.get("/clients/export.csv?status=prospect&per_page=25&page=2")
    assert r.status_code == 200 and r.mimetype == "text/csv" and r.is_streamed
    assert 'attachment; filename="clients-' in r.headers["Content-Disposition"]
    table = rows(r)
    assert table[0][:3] == ["Name", "Kind", "Status"]
    assert [line[0] for line in table[1:]] == [f"Client {i:02}" for i in range(1, 60, 2)]
    everyone = rows(staff_client.get("/clients/export.csv?archived=1"))
    assert len(everyone) == 62 and any(line[0] == "Gone Ltd" for line in everyone)


def test_export_content(staff_client, staff):
    client = add("Zoë Café Ltd", company_number="SC123456", vat_number="GB123456789",
                 manager_id=staff.id, tags=[Tag(name="VIP"), Tag(name="Payroll")])
    db.session.add(ClientContact(client=client, contact=Contact(first_name="Ann", last_name="Archer",
                                                                email="ann@example.com"),
                                 is_primary=True))
    db.session.commit()
    header, line = rows(staff_client.get("/clients/export.csv?q=zoe"))
    record = dict(zip(header, line))
    assert record["Name"] == "Zoë Café Ltd" and record["Company number"] == "SC123456"
    assert record["VAT number"] == "GB123456789" and record["Manager"] == "Sam Staff"
    assert record["Primary contact last name"] == "Archer" and record["Source"] == "manual"
    assert sorted(record["Tags"].split(", ")) == ["Payroll", "VIP"]
    assert record["Cone id"] == str(client.id)


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)",
                                  "\tTab", "\rReturn"])
def test_formulas_become_text(staff_client, name):
    add(name)
    header, line = rows(staff_client.get("/clients/export.csv"))
    assert line[0] == "'" + name


def test_safe_cell_leaves_ordinary_values():
    assert safe_cell("Acme") == "Acme" and safe_cell(42) == "42" and safe_cell("") == ""
    assert safe_cell("a=b") == "a=b"


def test_empty_export_has_the_header(staff_client):
    table = rows(staff_client.get("/clients/export.csv?q=nothing"))
    assert len(table) == 1 and table[0][0] == "Name"
