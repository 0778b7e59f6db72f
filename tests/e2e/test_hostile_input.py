"""Hostile names in a real browser: a client, a contact and a note typed through the forms,
then every page that shows them. Any dialog, page error or CSP violation fails the test."""
import re

import pytest
from playwright.sync_api import expect

from cone.services.models import Client, Contact, Note, db
from tests.helpers import sign_in

NAME = '"><img src=x onerror=alert(1)> \u202eAcme {{7*7}}'
PERSON = "<script>alert(2)</script>\u202eAnn"
NOTE = "'><svg onload=alert(3)>\nsecond line \u202e\u05e9\u05dc\u05d5\u05dd"
# Reports a CSP violation where the watcher below hears it
REPORT_CSP = """document.addEventListener("securitypolicyviolation",
    e => console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI));"""


@pytest.fixture
def watched(page):
    """The page, with dialogs, page errors and CSP violations collected; none may happen."""
    trouble = []
    page.on("dialog", lambda d: (trouble.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("pageerror", lambda e: trouble.append(f"page error: {e}"))
    # "Failed to load resource" is a refused form's 422, which the test asks for
    page.on("console", lambda m: trouble.append(f"console: {m.text}")
            if "Content Security Policy" in m.text or "CSP violation" in m.text else None)
    page.add_init_script(REPORT_CSP)
    yield page
    assert trouble == []


def test_hostile_names_stay_text_everywhere(server_url, watched, admin):
    page = watched
    sign_in(page, server_url, admin.email)
    page.goto(f"{server_url}/clients/new")
    # A control character is refused beside the field, and what was typed stays
    page.get_by_label("Legal name").fill("Acme\x07Ltd")
    page.get_by_label("First name").fill(PERSON)
    page.get_by_role("button", name="Create client").click()
    legal = page.get_by_label("Legal name")
    expect(page.locator(".field.has-error")).to_contain_text("control character")
    expect(legal).to_have_value("Acme\x07Ltd")
    expect(page.get_by_label("First name")).to_have_value(PERSON)
    legal.fill(NAME)
    page.get_by_role("button", name="Create client").click()
    page.wait_for_url(re.compile(r"/clients/\d+$"))
    client = db.session.scalars(db.select(Client)).one()
    assert client.display_name == NAME

    # The heading isolates the name: the override inside cannot turn the page around
    heading = page.get_by_role("heading", level=1)
    expect(heading.locator("bdi")).to_have_text(NAME)
    assert page.title().startswith("\u2068" + NAME + "\u2069")

    tabs = page.get_by_role("navigation", name="Client sections")
    tabs.get_by_role("link", name="Notes").click()
    notes = page.locator("#client-notes")
    notes.get_by_label("Add a note").fill(NOTE)
    notes.get_by_role("button", name="Add note").click()
    expect(notes.locator(".flash")).to_have_text("Note added.")
    expect(notes.locator(".note-body").first).to_have_text(NOTE)
    assert db.session.scalars(db.select(Note)).one().body == NOTE

    page.goto(f"{server_url}/contacts/new")
    page.get_by_label("First name").fill(PERSON)
    page.get_by_label("Last name").fill(NAME)
    page.get_by_role("button", name="Add contact").click()
    page.wait_for_url(re.compile(r"/contacts/\d+$"))
    expect(page.get_by_role("heading", level=1).locator("bdi")).to_have_text(
        f"{PERSON} {NAME}")
    assert db.session.scalars(db.select(Contact)).all()

    page.goto(f"{server_url}/clients/{client.id}")
    for tab in ("Overview", "Contacts", "Notes", "Activity", "Related clients"):
        link = tabs.get_by_role("link", name=tab, exact=True)
        link.click()
        expect(link).to_have_attribute("aria-current", "page")
        # shown as text: the names' markup never became elements
        expect(page.locator("#workspace-panel script, img[src=x], svg[onload]")).to_have_count(0)
    page.goto(f"{server_url}/clients")
    expect(page.locator("#client-results bdi").first).to_have_text(NAME)
    page.goto(f"{server_url}/contacts")
    expect(page.locator("table bdi").first).to_contain_text("Ann")
    expect(page.locator("img[src=x], svg[onload]")).to_have_count(0)
