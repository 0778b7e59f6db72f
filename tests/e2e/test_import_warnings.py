"""Values Cone cannot keep, in a real browser: the preview warns, the summary lists what was
left empty, and the client's source panel shows what the platform has."""
import re

from playwright.sync_api import expect

from tests.helpers import sign_in

HILL = {"ContactID": "5d0b6f1e-93a4-4c55-8f3e-6a1b2c3d4e5f", "ContactStatus": "ACTIVE",
        "Name": "Hill & O’Brien Joinery Ltd", "IsCustomer": True, "CompanyNumber": "SC12345X",
        "EmailAddress": "office@hillobrien.example; sales@hillobrien",
        "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "0207 ABC 1234"}],
        "Addresses": [{"AddressType": "POBOX"},
                      {"AddressType": "STREET", "AddressLine1": "Unit 4, Riverside",
                       "City": "Inverness", "PostalCode": "IV1 1AA", "Country": "UK"}],
        "ContactPersons": []}
NUMBER = "Company number “SC12345X” is not a UK company number: left empty."
PHONE = "Phone “0207 ABC 1234” is not a phone number: left empty."


def test_warnings_from_preview_to_summary_to_the_source_panel(xero_app, xero_emulator,
                                                              server_url, page, admin):
    xero_emulator.add_contacts([HILL])
    sign_in(page, server_url, admin.email)
    page.goto(f"{server_url}/integrations")
    card = page.locator("#platform-xero")
    card.get_by_role("link", name="Connect Xero").click()
    expect(page.locator(".flash")).to_contain_text("Connected Xero")
    page.locator("#platform-xero").get_by_role("button", name="Import customers").click()
    page.wait_for_url(re.compile(r"/imports/\d+$"))

    # The preview says, per row, what will be left empty
    row = page.locator("#import-preview tr", has_text="Hill & O’Brien Joinery Ltd")
    expect(row).to_contain_text("3 warnings")
    expect(row).to_contain_text(NUMBER)
    expect(row).to_contain_text(PHONE)
    expect(row.get_by_label("Create Hill & O’Brien Joinery Ltd as")).to_have_value("business")

    page.get_by_role("button", name="Start import").click()
    progress = page.locator("#import-progress")
    expect(progress).to_contain_text("Finished", timeout=10_000)
    warnings = progress.locator(".import-warnings")
    expect(warnings).to_contain_text("Written with warnings")
    expect(warnings).to_contain_text(NUMBER)

    warnings.get_by_role("link", name="Hill & O’Brien Joinery Ltd").click()
    page.wait_for_url(re.compile(r"/clients/\d+$"))
    panel = page.locator("#source-warnings")
    expect(panel).to_contain_text("Not kept from Xero")
    expect(panel.get_by_role("row", name=re.compile("^Company number"))).to_contain_text(
        "SC12345X")
    expect(panel).to_contain_text("0207 ABC 1234")
    expect(panel).to_contain_text("sales@hillobrien")
