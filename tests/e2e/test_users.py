"""An owner invites a colleague; the colleague opens the link in their own browser, chooses a
name and password and lands signed in. A password change signs the other browser out."""
import re

from playwright.sync_api import expect

from tests.helpers import PASSWORD, sign_in


def test_owner_invites_and_the_invitee_joins_signed_in(server_url, browser, page, owner):
    sign_in(page, server_url, owner.email)
    page.get_by_role("link", name="Users", exact=True).click()
    page.get_by_label("E-mail").fill("nia@example.com")
    page.get_by_label("Role").select_option(label="Restricted")
    page.get_by_role("button", name="Make invite link").click()
    link = page.get_by_role("textbox", name="Invite link").input_value()
    assert link.startswith(f"{server_url}/invite/")
    expect(page.get_by_role("button", name="Copy the invite link")).to_be_visible()

    invitee = browser.new_context()
    try:
        theirs = invitee.new_page()
        theirs.goto(link)
        expect(theirs.get_by_text("You are invited as Restricted")).to_be_visible()
        theirs.get_by_label("Your name").fill("Nia Ní Bhriain")
        theirs.get_by_label(re.compile(r"^Password\*?$")).fill("her own secret")
        theirs.get_by_label("Password again").fill("her own secret")
        theirs.get_by_role("button", name="Join").click()
        theirs.wait_for_url(f"{server_url}/clients**")
        expect(theirs.get_by_text("Welcome to Cone, Nia Ní Bhriain.")).to_be_visible()
        expect(theirs.get_by_role("link", name="Users", exact=True)).to_have_count(0)
        theirs.goto(link)
        expect(theirs.get_by_text("This invite link has already been used.")).to_be_visible()
    finally:
        invitee.close()
    page.get_by_role("link", name="Users", exact=True).click()
    expect(page.locator("#user-list")).to_contain_text("Nia Ní Bhriain")


def test_password_change_signs_the_other_browser_out(server_url, browser, page, staff):
    sign_in(page, server_url, staff.email)
    other = browser.new_context()
    try:
        phone = other.new_page()
        sign_in(phone, server_url, staff.email)
        page.get_by_role("link", name="Change password").click()
        page.get_by_label("Current password").fill(PASSWORD)
        page.get_by_label(re.compile(r"^New password\*?$")).fill("a brand new one")
        page.get_by_label("New password again").fill("a brand new one")
        page.get_by_role("button", name="Change password").click()
        expect(page.get_by_text("Other sessions are signed out.")).to_be_visible()
        page.get_by_role("link", name="Clients").click()
        expect(page.get_by_role("heading", name="Clients")).to_be_visible()
        phone.reload()
        assert "/login" in phone.url
    finally:
        other.close()
