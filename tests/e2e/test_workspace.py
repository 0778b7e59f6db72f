"""The workspace in a real browser: every tab, a note added and edited, a contact linked."""
import re
from datetime import date, timedelta

from playwright.sync_api import expect

from cone.services import clients as cs
from cone.services import contacts
from cone.services.models import CompaniesHouseProfile, Officer, db
from tests.helpers import sign_in

TAB_HEADINGS = {"Overview": "Recent activity", "Contacts": "Contacts",
                "Companies House": re.compile("^Companies House"), "Deadlines": "Deadlines",
                "Notes": "Notes", "Activity": "Activity", "Related clients": "Related clients"}


def test_walk_every_tab_add_a_note_and_link_a_contact(server_url, page, admin):
    acme = cs.create_client("business", {"legal_name": "Acme Ltd", "company_number": "01234567"},
                            cs.ContactsInput(new=[cs.NewContact("Ann", "Archer")], existing=[],
                                             primary="new:0"), user=admin)
    profile = CompaniesHouseProfile(client_id=acme.id, company_number="01234567",
                                    company_name="ACME LTD",
                                    accounts_next_due=date.today() - timedelta(days=2),
                                    confirmation_statement_next_due=date.today()
                                    + timedelta(days=10))
    profile.officers = [Officer(name="ARCHER, Ann", role="director")]
    db.session.add(profile)
    db.session.commit()
    contacts.create_contact({"first_name": "Bob", "last_name": "Roe"}, user=None)
    sign_in(page, server_url, admin.email)
    page.goto(f"{server_url}/clients/{acme.id}")
    tabs = page.get_by_role("navigation", name="Client sections")

    for name, heading in TAB_HEADINGS.items():
        link = tabs.get_by_role("link", name=name, exact=True)
        link.click()
        expect(link).to_have_attribute("aria-current", "page")
        expect(page.locator("#workspace-panel").get_by_role("heading", name=heading)
               .first).to_be_visible()
        if name != "Overview":
            expect(page).to_have_url(re.compile(r"tab="))  # pushed: back and reload keep the tab
    expect(page.get_by_role("heading", name="Acme Ltd", level=1)).to_be_visible()

    tabs.get_by_role("link", name="Deadlines").click()
    overdue = page.locator("tr.deadline-overdue")
    expect(overdue).to_contain_text("Overdue by 2 days")
    red = overdue.evaluate("el => getComputedStyle(el.querySelector('td')).color")
    assert red == "rgb(180, 35, 24)"  # --danger

    # a note: refused empty, then added with its line breaks, then edited in place
    tabs.get_by_role("link", name="Notes").click()
    notes = page.locator("#client-notes")
    notes.get_by_role("button", name="Add note").click()
    expect(notes.locator(".error")).to_have_text("Write something before saving the note.")
    notes.get_by_label("Add a note").fill("Called Ann.\nShe will send the bank statements.")
    notes.get_by_role("button", name="Add note").click()
    expect(notes.locator(".flash")).to_have_text("Note added.")
    body = notes.locator(".note-body").first
    expect(body).to_have_text("Called Ann.\nShe will send the bank statements.")
    assert body.evaluate("el => el.getClientRects().length") == 1 and \
        body.evaluate("el => el.offsetHeight") > 30  # two lines shown
    notes.get_by_role("link", name="Edit").click()
    notes.get_by_label("Edit note").fill("Called Ann twice.")
    notes.get_by_role("button", name="Save note").click()
    expect(notes.locator(".flash")).to_have_text("Note saved.")
    expect(notes.locator(".note-body")).to_have_text("Called Ann twice.")
    notes.get_by_role("button", name="Pin").click()
    expect(notes.get_by_role("button", name="Unpin")).to_be_visible()

    # a contact linked through the picker, inline
    tabs.get_by_role("link", name="Contacts").click()
    combo = page.get_by_role("combobox", name="Find a contact")
    # The panel arrived by htmx: type once htmx and combobox.js have wired it up
    expect(page.locator("[data-combobox][data-combobox-ready]")).to_have_count(1)
    combo.press_sequentially("bob")
    expect(page.get_by_role("listbox").get_by_role("option")).to_have_count(1)
    combo.press("ArrowDown")
    combo.press("Enter")
    section = page.locator("#client-contacts")
    expect(section.locator(".flash")).to_have_text("Linked Bob Roe.")

    tabs.get_by_role("link", name="Activity").click()
    activity = page.locator("#client-activity")
    expect(activity).to_contain_text("Linked contact Bob Roe")
    expect(activity).to_contain_text("Edited a note: Called Ann twice.")
    expect(activity.locator("table.changes").first).to_contain_text("Called Ann.")

    page.go_back()  # history restores the tab as a whole page
    expect(page).to_have_url(re.compile(r"tab=contacts"))
    expect(page.locator("#client-contacts")).to_contain_text("Bob Roe")
    page.goto(f"{server_url}/clients/{acme.id}")
    expect(page.locator(".pinned-notes")).to_contain_text("Called Ann twice.")


def test_copy_buttons_appear_only_with_javascript(server_url, browser, admin):
    acme = cs.create_client("business", {"legal_name": "Acme Ltd", "company_number": "01234567"},
                            cs.ContactsInput(new=[cs.NewContact("Ann", "Archer")], existing=[],
                                             primary="new:0"), user=admin)
    for js in (True, False):
        ctx = browser.new_context(java_script_enabled=js, permissions=["clipboard-read",
                                                                       "clipboard-write"])
        page = ctx.new_page()
        sign_in(page, server_url, admin.email)
        page.goto(f"{server_url}/clients/{acme.id}")
        button = page.get_by_role("button", name="Copy Company number")
        if js:
            expect(button).to_be_visible()
            button.click()
            expect(button).to_have_text("Copied")
            assert page.evaluate("navigator.clipboard.readText()") == "01234567"
        else:
            expect(page.locator("dd", has_text="01234567")).to_be_visible()
            expect(button).to_be_hidden()
            # the tabs are plain links without JavaScript
            page.get_by_role("navigation", name="Client sections").get_by_role(
                "link", name="Notes").click()
            expect(page).to_have_url(re.compile(r"tab=notes"))
            page.get_by_label("Add a note").fill("No JS note")
            page.get_by_role("button", name="Add note").click()
            expect(page.get_by_text("Note added.")).to_be_visible()
            expect(page.locator(".note-body")).to_have_text("No JS note")
        ctx.close()
