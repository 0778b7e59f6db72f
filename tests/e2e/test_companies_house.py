"""Companies House in a real browser against the emulator: search, pick, save, details,
Resync, Switch to manual, then edit a field that was read-only while mapped."""
import re

from playwright.sync_api import expect

from cone.services.models import Client, db
from tests.helpers import sign_in


def test_create_from_companies_house_resync_unlink_and_edit(ch_app, ch_emulator, server_url,
                                                            page, staff):
    sign_in(page, server_url, staff.email)
    page.goto(f"{server_url}/clients/new?kind=business")
    page.get_by_label("First name").fill("Nadia")
    # Live search: results arrive as you type, with number, status and postcode
    page.get_by_role("searchbox", name="Company name or number").fill("northwind")
    results = page.locator("#ch-results")
    expect(results).to_contain_text("09876543")
    expect(results).to_contain_text("Active")
    results.get_by_role("link", name="NORTHWIND ANALYTICS LTD").click()
    # The form is filled, the fetched fields are read-only, and what was typed is kept
    legal = page.get_by_label("Legal name")
    expect(legal).to_have_value("NORTHWIND ANALYTICS LTD")
    expect(legal).to_have_attribute("readonly", "")
    expect(page.get_by_label("First name")).to_have_value("Nadia")
    expect(page.locator("#ch-details")).to_contain_text("PATEL, Priya")
    page.get_by_role("button", name="Create client").last.click()
    page.wait_for_url(re.compile(r"/clients/\d+$"))
    expect(page.get_by_role("heading", name="NORTHWIND ANALYTICS LTD")).to_be_visible()
    client_id = int(page.url.rsplit("/", 1)[1])

    page.get_by_role("link", name="Companies House", exact=True).click()
    details = page.locator("#ch-details")
    expect(details).to_contain_text("Companies House details")
    expect(details).to_contain_text("PATEL, Priya")

    # Resync after Companies House changed the name: the change is shown in place
    ch_emulator.update_company("09876543", {"company_name": "NORTHWIND DATA LTD"})
    page.locator("#sync-status").get_by_role("button", name="Resync").click()
    expect(page.locator("#sync-status")).to_contain_text("now called NORTHWIND DATA LTD")

    # Switch to manual, with a confirmation page
    page.get_by_role("link", name="Switch to manual").click()
    expect(page.get_by_role("heading", name=re.compile("to manual\\?"))).to_be_visible()
    page.get_by_role("button", name="Switch to manual").click()
    page.wait_for_url(re.compile(rf"/clients/{client_id}$"))
    expect(page.locator(".flash")).to_contain_text("Switched NORTHWIND DATA LTD to manual")
    expect(page.locator("#sync-status")).to_contain_text("Manual")

    # The legal name can now be edited
    page.goto(f"{server_url}/clients/{client_id}/edit")
    legal = page.get_by_label("Legal name")
    expect(legal).not_to_have_attribute("readonly", "")
    legal.fill("Northwind Data (Leeds) Ltd")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(rf"/clients/{client_id}$"))
    expect(page.get_by_role("heading", name="Northwind Data (Leeds) Ltd")).to_be_visible()
    db.session.expire_all()
    assert db.session.get(Client, client_id).legal_name == "Northwind Data (Leeds) Ltd"
