"""Creating and editing clients in a real browser (Chromium), with htmx and strict CSP on."""
import re

from playwright.sync_api import expect

from cone.services import clients
from cone.services.models import Client, Contact, db
from tests.helpers import add_user, sign_in


def test_create_business_with_new_and_picked_contact_by_keyboard(server_url, page, staff):
    db.session.add(Contact(first_name="Bob", last_name="Baker", email="bob@example.com"))
    db.session.commit()
    sign_in(page, server_url, staff.email)
    page.goto(f"{server_url}/clients/new")
    kb = page.keyboard
    page.get_by_label("Legal name").focus()
    kb.type("Keyboard Widgets Ltd")
    kb.press("Tab")  # trading name
    kb.press("Tab")  # entity type
    kb.press("Tab")  # company number
    kb.type("SC123456")
    page.get_by_label("First name").focus()
    kb.type("Ann")
    kb.press("Tab")
    kb.type("Archer")
    kb.press("Tab")
    kb.type("ann@example.com")
    # The picker: type, arrow down to the option, Enter picks it and the form comes back with it
    page.get_by_role("combobox", name="Find a contact").focus()
    kb.type("bob")
    option = page.get_by_role("listbox").get_by_role("option", name=re.compile("Bob Baker"))
    expect(option).to_be_visible()
    kb.press("ArrowDown")
    kb.press("Enter")
    expect(page.get_by_role("group", name=re.compile("Bob Baker"))).to_be_visible()
    expect(page.get_by_label("Legal name")).to_have_value("Keyboard Widgets Ltd")
    expect(page.get_by_label("First name")).to_have_value("Ann")
    # Enter in a text field presses the form's default button: save
    page.get_by_label("Legal name").focus()
    kb.press("Enter")
    page.wait_for_url(re.compile(r"/clients/\d+$"))
    expect(page.get_by_role("heading", name="Keyboard Widgets Ltd")).to_be_visible()
    tabs = page.get_by_role("navigation", name="Client sections")
    tabs.get_by_role("link", name="Contacts").click()
    contacts = page.locator("#client-contacts")
    expect(contacts).to_contain_text("Ann Archer")
    expect(contacts).to_contain_text("Bob Baker")
    client = db.session.query(Client).one()
    assert client.primary_contact.first_name == "Ann"
    assert {cc.contact.first_name for cc in client.contact_links} == {"Ann", "Bob"}


def test_create_individual_as_own_primary_contact(server_url, page, staff):
    sign_in(page, server_url, staff.email)
    page.get_by_role("link", name="Create client").first.click()
    page.get_by_label("E-mail").first.fill("jane@example.com")
    page.get_by_role("link", name="Individual").click()
    # htmx swapped the form: individual fields, and the e-mail typed before is still there
    expect(page.get_by_label("Last name").first).to_be_visible()
    expect(page).to_have_url(re.compile(r"kind=individual"))
    expect(page.get_by_label("E-mail").first).to_have_value("jane@example.com")
    page.get_by_label("First name").first.fill("Jane")
    page.get_by_label("Last name").first.fill("Doe")
    page.get_by_label("This client is their own primary contact").check()
    page.get_by_role("button", name="Create client").click()
    page.wait_for_url(re.compile(r"/clients/\d+$"))
    expect(page.get_by_role("heading", name="Jane Doe")).to_be_visible()
    expect(page.get_by_text("Created Jane Doe.")).to_be_visible()
    tabs = page.get_by_role("navigation", name="Client sections")
    tabs.get_by_role("link", name="Contacts").click()
    expect(page.locator("#client-contacts")).to_contain_text("Jane Doe")


def test_edit_conflict_between_two_people(server_url, browser, staff):
    other = add_user("olive@example.com", "staff", "Olive Other")
    acme = clients.create_client(
        "business", {"legal_name": "Conflict Ltd", "email": "old@conflict.example"},
        clients.ContactsInput(new=[clients.NewContact(first_name="Ann")], existing=[],
                              primary="new:0"), user=staff)
    pages = []
    for user in (staff, other):
        ctx = browser.new_context()
        ctx.set_default_timeout(10_000)
        p = ctx.new_page()
        sign_in(p, server_url, user.email)
        p.goto(f"{server_url}/clients/{acme.id}/edit")
        pages.append(p)
    first, second = pages
    first.get_by_label("E-mail").fill("first@conflict.example")
    first.get_by_role("button", name="Save").click()
    first.wait_for_url(re.compile(rf"/clients/{acme.id}$"))
    second.get_by_label("E-mail").fill("second@conflict.example")
    second.get_by_role("button", name="Save").click()
    expect(second.get_by_role("heading", name=re.compile(
        "Sam Staff saved this client at .* after you opened it"))).to_be_visible()
    row = second.locator("table.differences tr", has_text="E-mail")
    expect(row).to_contain_text("first@conflict.example")
    expect(row).to_contain_text("second@conflict.example")
    expect(second.get_by_label("E-mail")).to_have_value("second@conflict.example")
    # Saving again is a deliberate choice, and it now goes through
    second.get_by_role("button", name="Save").click()
    second.wait_for_url(re.compile(rf"/clients/{acme.id}$"))
    expect(second.get_by_text("second@conflict.example").first).to_be_visible()
    for p in pages:
        p.context.close()
