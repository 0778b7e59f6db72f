"""CSV import pages: upload (and the clear refusals), column mapping, preview, run, re-run."""
import io
import re

import pytest
from sqlalchemy import select

from cone.services.imports import csv_file
from cone.services.models import Client, ImportRun, db
from tests.helpers import count, hx

GOOD = ("Customer name,Email,Company No,Postcode,Notes\n"
        "Harbour Lane Cafe Ltd,hello@harbour.example,01234567,LS1 1AA,first\n"
        "Siân Evans,sian@evans.example,,CF10 1AA,\n"
        ",nobody@example.com,,,no name here\n"
        "Quay Street Motors,not-an-email,,,\n").encode()


def upload(client, data: bytes, name="customers.csv", mimetype="text/csv", **kwargs):
    return client.post("/integrations/csv", data={"file": (io.BytesIO(data), name, mimetype)},
                       content_type="multipart/form-data", **kwargs)


def staged(admin_client, data: bytes = GOOD) -> ImportRun:
    r = upload(admin_client, data)
    assert r.status_code == 303, r.text
    run = db.session.scalars(select(ImportRun)).one()
    assert r.headers["Location"].endswith(f"/integrations/csv/{run.id}/mapping")
    return run


def test_upload_page_is_for_admins(admin_client):
    page = admin_client.get("/integrations/csv")
    assert page.status_code == 200 and 'type="file"' in page.text
    assert 'enctype="multipart/form-data"' in page.text and 'name="csrf_token"' in page.text


def test_staff_cannot_upload(staff_client):
    assert staff_client.get("/integrations/csv").status_code == 403
    assert upload(staff_client, GOOD).status_code == 403 and count(ImportRun) == 0


@pytest.mark.parametrize("data, name, mimetype, message", [
    (None, "", "text/csv", "Choose a CSV file"),
    (b"PK\x03\x04 not a sheet", "customers.xlsx",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "is not a CSV file"),
    (b"", "empty.csv", "text/csv", "The file is empty"),
    (b"Name,Email\n", "headers.csv", "text/csv", "no customers"),
    (b"Name,Email\n\x00\x01\x02\x00binary\x00", "binary.csv", "text/csv", "not a CSV file"),
])
def test_bad_files_are_refused_with_a_clear_message(admin_client, data, name, mimetype,
                                                    message):
    if data is None:
        r = admin_client.post("/integrations/csv", data={}, content_type="multipart/form-data")
    else:
        r = upload(admin_client, data, name, mimetype)
    assert r.status_code == 422 and "<html" in r.text
    assert message in r.text and 'aria-invalid="true"' in r.text
    assert count(ImportRun) == 0


def test_a_file_over_the_limit_is_refused(admin_client):
    big = b"Name\n" + b"x" * csv_file.MAX_BYTES
    # Encoded by hand: the test client would spool a body this size to a file it never closes
    body = (b"--b0undary\r\nContent-Disposition: form-data; name=\"file\"; "
            b"filename=\"big.csv\"\r\nContent-Type: text/csv\r\n\r\n" + big
            + b"\r\n--b0undary--\r\n")
    r = admin_client.post("/integrations/csv", data=body,
                          content_type="multipart/form-data; boundary=b0undary")
    assert r.status_code == 422 and "larger than 5 MB" in r.text and count(ImportRun) == 0


def test_a_body_over_the_server_limit_is_refused_on_the_form(admin_client, app):
    app.config["MAX_CONTENT_LENGTH"] = 2000
    r = upload(admin_client, b"Name\n" + b"x" * 4000)
    assert r.status_code == 422 and "larger than" in r.text and 'type="file"' in r.text


def test_boosted_upload_gets_the_whole_page(admin_client):
    r = upload(admin_client, b"", "empty.csv", headers=hx(None, **{"HX-Boosted": "true"}))
    assert r.status_code == 422 and "<html" in r.text and "The file is empty" in r.text


def test_mapping_is_guessed_and_checked(admin_client):
    run = staged(admin_client)
    page = admin_client.get(f"/integrations/csv/{run.id}/mapping")
    assert page.status_code == 200 and "customers.csv" in page.text and "4 rows" in page.text
    name_select = re.search(r'<select[^>]*name="name".*?</select>', page.text, re.DOTALL).group(0)
    assert '<option selected value="Customer name">' in name_select or \
        'value="Customer name" selected' in name_select
    assert "Harbour Lane Cafe Ltd" in page.text  # the sample rows
    r = admin_client.post(f"/integrations/csv/{run.id}/mapping", data={"email": "Email"})
    assert r.status_code == 422 and "Choose the column that holds each customer" in r.text
    assert db.session.get(ImportRun, run.id).status == "mapping"
    r = admin_client.post(f"/integrations/csv/{run.id}/mapping", data={"name": "Nope"})
    assert r.status_code == 422 and "Not a valid choice" in r.text


def test_mapping_leads_to_the_preview_then_the_run(admin_client):
    run = staged(admin_client)
    r = admin_client.post(f"/integrations/csv/{run.id}/mapping", data={
        "name": "Customer name", "email": "Email", "company_number": "Company No",
        "postcode": "Postcode"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/imports/{run.id}")
    page = admin_client.get(r.headers["Location"]).text
    assert "Import preview: CSV file" in page and "Harbour Lane Cafe Ltd" in page
    # A row that cannot be read stays in the preview, skipped, with the line and the reason;
    # a bad e-mail is no such reason: the row is imported with the e-mail left empty
    assert "Line 4" in page and "No name" in page and "Line 5" not in page
    assert "E-mail “not-an-email” is not a valid e-mail address: left empty." in page
    assert count(Client) == 0
    # The mapping page of a previewed file sends the user to the preview
    again = admin_client.get(f"/integrations/csv/{run.id}/mapping")
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/imports/{run.id}")
    r = admin_client.post(f"/imports/{run.id}/start")
    db.session.refresh(run)
    assert run.status == "done" and run.created == 3 and count(Client) == 3
    summary = admin_client.get(f"/imports/{run.id}").text
    assert "<strong>3</strong> created" in summary and "Siân Evans" in summary
    assert "Written with warnings" in summary and "Quay Street Motors" in summary


def test_the_same_file_twice_never_duplicates(admin_client):
    mapping = {"name": "Customer name", "email": "Email", "company_number": "Company No"}
    for _ in range(2):
        r = upload(admin_client, GOOD)
        run_id = int(r.headers["Location"].split("/")[-2])
        admin_client.post(f"/integrations/csv/{run_id}/mapping", data=mapping)
        admin_client.post(f"/imports/{run_id}/start")
    assert count(Client) == 3
    second = db.session.get(ImportRun, run_id)
    assert second.created == 0 and second.status == "done"


def test_staged_upload_page_redirects_to_its_mapping(admin_client):
    run = staged(admin_client)
    r = admin_client.get(f"/imports/{run.id}")
    assert r.status_code == 303 and r.headers["Location"].endswith("/mapping")
    assert admin_client.get("/integrations/csv/999/mapping").status_code == 404


def test_upload_needs_a_csrf_token(admin_client, app):
    app.config["WTF_CSRF_ENABLED"] = True
    assert upload(admin_client, GOOD).status_code == 400
    page = admin_client.get("/integrations/csv").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                      r'name="csrf_token" value="([^"]+)"', page)
    value = token.group(1) or token.group(2)
    r = admin_client.post("/integrations/csv", content_type="multipart/form-data",
                          data={"file": (io.BytesIO(GOOD), "customers.csv", "text/csv"),
                                "csrf_token": value})
    assert r.status_code == 303


def test_integrations_page_offers_csv_and_lists_recent_uploads(admin_client):
    page = admin_client.get("/integrations").text
    assert 'href="/integrations/csv"' in page and "Recent CSV imports" not in page
    run = staged(admin_client)
    page = admin_client.get("/integrations").text
    assert f'href="/imports/{run.id}"' in page and "Columns to choose" in page
