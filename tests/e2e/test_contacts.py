"""Contacts in a real browser: live search, editing seen on a client, the keyboard picker."""
import re

from playwright.sync_api import expect

from cone.services import contacts
from tests.helpers import sign_in


def person(first, last, email=None):
    return contacts.create_contact({"first_name": first, "last_name": last, "email": email},
                                   user=None)


def test_search_open_edit_and_see_it_on_the_client(server_url, page, admin, make_client):
    jane = person("Jane", "Doe", "jane@example.com")
    person("John", "Smith", "john@example.com")
    acme = make_client(legal_name="Acme Ltd", contact=jane, user=admin)
    sign_in(page, server_url, admin.email)

    page.get_by_role("link", name="Contacts").click()
    results = page.locator("#contact-results")
    expect(results).to_contain_text("2 contacts")
    page.get_by_label("Search contacts").press_sequentially("ja do")
    expect(results).to_contain_text("1 contact matching")
    expect(results.get_by_role("link", name="John Smith")).to_have_count(0)
    assert "q=ja+do" in page.url or "q=ja%20do" in page.url  # the search is in the address

    results.get_by_role("link", name="Jane Doe").click()
    expect(page.get_by_role("heading", name="Jane Doe")).to_be_visible()
    expect(page.get_by_role("link", name="Acme Ltd")).to_be_visible()
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("E-mail").fill("not an e-mail")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".error")).to_contain_text("e-mail")
    page.get_by_label("E-mail").fill("jane.doe@example.com")
    page.get_by_label("Phone").fill("020 7946 0000")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved Jane Doe.")).to_be_visible()

    page.get_by_role("link", name="Acme Ltd").click()
    expect(page.locator("#client-activity")).to_contain_text("Updated contact Jane Doe")
    assert page.url.endswith(f"/clients/{acme.id}")
    tabs = page.get_by_role("navigation", name="Client sections")
    tabs.get_by_role("link", name="Contacts").click()
    section = page.locator("#client-contacts")
    expect(section.get_by_role("link", name="jane.doe@example.com")).to_be_visible()
    expect(section.get_by_role("link", name="020 7946 0000")).to_be_visible()


def test_link_with_the_keyboard_and_make_primary(server_url, page, admin, make_client):
    jane = person("Jane", "Doe", "jane@example.com")
    person("Bob", "Roe", "bob@example.com")
    person("Bobby", "Robinson")
    person("Carol", "King")  # offered on focus, gone once "bob r" is typed
    acme = make_client(legal_name="Acme Ltd", contact=jane, user=admin)
    sign_in(page, server_url, admin.email)
    page.goto(f"{server_url}/clients/{acme.id}?tab=contacts")

    combo = page.get_by_role("combobox", name="Find a contact")
    expect(combo).to_have_attribute("aria-expanded", "false")
    combo.focus()
    combo.press_sequentially("bob r")
    listbox = page.get_by_role("listbox")
    expect(listbox.get_by_role("option")).to_have_count(2)
    expect(combo).to_have_attribute("aria-expanded", "true")
    expect(page.locator("[data-combobox-status]")).to_have_text("2 contacts found.")
    expect(listbox.get_by_role("option", name=re.compile("Jane"))).to_have_count(0)

    combo.press("ArrowDown")
    options = listbox.get_by_role("option")
    expect(options.first).to_have_text("Bobby Robinson")  # by last name: Robinson, Roe
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(combo).to_have_attribute("aria-activedescendant", options.first.get_attribute("id"))
    combo.press("ArrowUp")  # wraps round to the last option
    expect(options.last).to_have_attribute("aria-selected", "true")
    expect(options.first).to_have_attribute("aria-selected", "false")
    combo.press("ArrowDown")  # and back round to the first
    expect(options.first).to_have_attribute("aria-selected", "true")
    combo.press("Escape")
    expect(combo).to_have_attribute("aria-expanded", "false")
    expect(combo).to_have_value("bob r")
    combo.press("ArrowDown")  # reopens on the first option
    expect(combo).to_have_attribute("aria-expanded", "true")
    combo.press("ArrowDown")
    expect(options.last).to_have_attribute("aria-selected", "true")
    expect(options.last).to_have_text("Bob Roe · bob@example.com")
    combo.press("Enter")

    section = page.locator("#client-contacts")
    expect(section.locator(".flash")).to_have_text("Linked Bob Roe.")
    expect(section.locator(".flash")).to_be_focused()  # focus is not dropped by the swap
    expect(section.get_by_role("link", name="Bob Roe")).to_be_visible()
    section.get_by_role("button", name="Make primary: Bob Roe").click()
    expect(section.locator(".flash")).to_have_text("Bob Roe is now the primary contact.")
    first_row = section.locator(".contact-list > li").first
    expect(first_row).to_contain_text("Bob Roe")
    expect(first_row).to_contain_text("Primary")
    expect(section.get_by_role("button", name="Make primary: Jane Doe")).to_be_visible()

    page.reload()
    expect(page.locator("#client-contacts .contact-list > li").first).to_contain_text("Bob Roe")
