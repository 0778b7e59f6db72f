"""The import page says what each record will do: warnings per row, sub-customers, the same
record twice, the kind of a new client; the client page shows what the platform had."""
import re

import httpx
import pytest
from sqlalchemy import select

from cone.services import imports
from cone.services.models import Client, ImportRun, db
from cone.services.providers.quickbooks import QuickBooks
from tests.helpers import count, hx, INDIVIDUAL, run_import

REALM = "9130350000000001"


def books(**raw):
    """A QuickBooks Customer as its API sends it, mapped by the real adapter."""
    payload = {"Id": "58", "SyncToken": "0", "Active": True, "Job": False,
               "MetaData": {"LastUpdatedTime": "2024-06-01T10:00:00-07:00"}, **raw}
    adapter = QuickBooks(httpx.Client(base_url="http://platform.invalid"), REALM, None)
    return adapter.to_customer(payload)


def records():
    return [
        books(Id="58", DisplayName="Hill & O’Brien Joinery Ltd",
              CompanyName="Hill & O’Brien Joinery Ltd", PrimaryTaxIdentifier="DE123456789",
              PrimaryPhone={"FreeFormNumber": "0207 ABC 1234"},
              PrimaryEmailAddr={"Address": "office@hillobrien.example"}),
        books(Id="61", DisplayName="Kitchen refit", Job=True, Level=1,
              ParentRef={"value": "58", "name": "Hill & O’Brien Joinery Ltd"}),
        books(Id="70", DisplayName="Hill and O'Brien Joinery Limited",
              PrimaryEmailAddr={"Address": "office@hillobrien.example"}),
        books(Id="80", DisplayName="Rodriguez Plumbing", GivenName="Diego",
              FamilyName="Rodriguez"),
        books(Id="90", DisplayName="Gone Away Ltd", CompanyName="Gone Away Ltd", Active=False),
    ]


@pytest.fixture
def preview(admin):
    rows = imports.build_preview(records())
    return imports.create_preview_run("quickbooks", rows, user=admin)


def test_the_preview_shows_each_rows_warnings_plain_and_as_a_fragment(admin_client, preview):
    page = admin_client.get(f"/imports/{preview.id}")
    assert page.status_code == 200 and "<html" in page.text
    section = page.text[page.text.index('id="warnings-0"'):]
    assert "2 warnings" in section[:200]
    assert "VAT number “DE123456789” is a foreign VAT number (DE), not a UK one: left empty." \
        in page.text
    assert "Phone “0207 ABC 1234” is not a phone number: left empty." in page.text
    assert "1 record with warnings" in page.text
    frag = admin_client.get(f"/imports/{preview.id}", headers=hx("import-preview"))
    assert "<html" not in frag.text and 'id="warnings-0"' in frag.text


def test_sub_customers_the_same_record_twice_and_inactive_ones_are_said(admin_client, preview):
    page = admin_client.get(f"/imports/{preview.id}").text
    assert "Sub-customer of Hill &amp; O’Brien Joinery Ltd: skipped" in page
    assert ("Same as Hill &amp; O’Brien Joinery Ltd (row 1) on QuickBooks: same e-mail"
            in page)
    assert "Sub-customers (1)" in page and "Twice on the platform (1)" in page
    assert "1 archived or non-customer record skipped" in page
    # a sub-customer classified on its own does not tick "include inactive" for the next preview
    box = re.search(r'<input[^>]*name="include_inactive"[^>]*>', page).group()
    assert "checked" not in box
    sub = re.search(r'<select name="decision-1".*?</select>', page, re.S).group()
    assert re.findall(r'value="(\w+)"', sub) == ["skip", "create"] and "selected" in sub
    only = admin_client.get(f"/imports/{preview.id}?show=subcustomer").text
    assert "Kitchen refit" in only and "Rodriguez Plumbing" not in only


def test_a_sub_customer_created_on_request_says_whose_it_is(admin_client, preview, admin):
    r = admin_client.post(f"/imports/{preview.id}/start",
                          data={"decision-1": "create", "decision-2": "skip"})
    assert r.status_code == 303
    run = db.session.get(ImportRun, preview.id)
    assert run.status == "done" and run.created == 3  # the parent, its job, Diego
    job = db.session.scalars(select(Client).where(Client.display_name == "Kitchen refit")).one()
    activity = admin_client.get(f"/clients/{job.id}?tab=activity").text
    assert "(sub-customer of Hill &amp; O’Brien Joinery Ltd)" in activity


def test_the_kind_of_a_new_row_is_chosen_with_the_decision(admin_client, preview):
    page = admin_client.get(f"/imports/{preview.id}").text
    kind = re.search(r'<select name="kind-3".*?</select>', page, re.S).group()
    assert re.search(r'value="business" selected', kind)
    assert 'name="kind-1"' in page  # a sub-customer can be created too
    assert 'name="kind-4"' not in page  # an archived row cannot
    r = admin_client.post(f"/imports/{preview.id}/decisions",
                          data={"decision-3": "create", "kind-3": "individual"})
    assert r.status_code == 303
    db.session.refresh(preview)
    assert preview.plan[3]["kind"] == "individual"
    frag = admin_client.post(f"/imports/{preview.id}/decisions",
                             data={"decision-3": "create", "kind-3": "business"},
                             headers=hx("decision-status"))
    assert frag.status_code == 200 and "<html" not in frag.text and "Saved." in frag.text
    db.session.refresh(preview)
    assert preview.plan[3]["kind"] == "business"
    bad = admin_client.post(f"/imports/{preview.id}/decisions",
                            data={"decision-3": "create", "kind-3": "robot"})
    assert bad.status_code == 422 and "Choose business or individual." in bad.text
    admin_client.post(f"/imports/{preview.id}/start",
                      data={"decision-3": "create", "kind-3": "individual"})
    diego = db.session.scalars(select(Client).where(
        Client.display_name == "Rodriguez Plumbing")).one()
    assert (diego.kind, diego.first_name, diego.last_name, diego.known_as) == (
        "individual", "Diego", "Rodriguez", "Rodriguez Plumbing")


def test_preview_again_leaves_no_stale_preview(admin_client, preview):
    r = admin_client.post(f"/imports/{preview.id}/preview", data={"include_inactive": "y"})
    assert r.status_code == 303
    assert count(ImportRun) == 1
    run = db.session.scalars(select(ImportRun)).one()
    assert run.status == "preview" and {row["customer"]["name"] for row in run.plan
                                        if row["classification"] == "new"} >= {"Gone Away Ltd"}
    page = admin_client.get(r.headers["Location"]).text
    assert "Archived records and records not marked as customers are included." in page


def test_the_summary_and_the_source_panel_show_what_was_not_kept(admin_client, preview):
    admin_client.post(f"/imports/{preview.id}/start")
    summary = admin_client.get(f"/imports/{preview.id}").text
    assert "Written with warnings (1)" in summary
    assert "Phone “0207 ABC 1234” is not a phone number: left empty." in summary
    client = db.session.scalars(select(Client).where(
        Client.display_name == "Hill & O’Brien Joinery Ltd")).one()
    assert client.phone is None and client.vat_number is None
    page = admin_client.get(f"/clients/{client.id}").text
    panel = page[page.index('id="source-warnings"'):]
    assert "Not kept from QuickBooks" in panel
    assert "<bdi>0207 ABC 1234</bdi>" in panel and "<bdi>DE123456789</bdi>" in panel


def test_an_individuals_known_as_and_suffix_are_on_the_overview(admin_client, admin):
    customer = books(Id="95", DisplayName="Doe, Jane", GivenName="Jane", FamilyName="Doe",
                     Title="Dr", Suffix="OBE")
    run = imports.create_preview_run("quickbooks", imports.build_preview([customer]), user=admin)
    run_import(run, admin)
    client = db.session.scalars(select(Client)).one()
    page = admin_client.get(f"/clients/{client.id}").text
    assert "Dr Jane Doe OBE" in page and "Known as" in page and "Doe, Jane" in page


def test_known_as_and_suffix_are_in_the_individual_forms(admin_client):
    page = admin_client.get("/clients/new?kind=individual").text
    assert 'name="known_as"' in page and 'name="suffix"' in page
    r = admin_client.post("/clients", data={**INDIVIDUAL, "suffix": "OBE",
                                            "known_as": "Doe, Jane"})
    assert r.status_code == 303, r.text
    client = db.session.scalars(select(Client)).one()
    assert client.display_name == "Doe, Jane" and client.suffix == "OBE"
    assert 'value="Doe, Jane"' in admin_client.get(f"/clients/{client.id}/edit").text
    r = admin_client.post(f"/clients/{client.id}/edit", data={
        **INDIVIDUAL, "version": client.version, "suffix": "OBE", "known_as": ""})
    assert r.status_code == 303, r.text
    db.session.refresh(client)
    assert client.display_name == "Jane Doe"
    bad = admin_client.post("/clients", data={**INDIVIDUAL, "suffix": "x" * 21})
    assert bad.status_code == 422 and "at most 20" in bad.text
