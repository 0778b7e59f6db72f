"""A person opens Cone, signs in as a fresh admin, sees the clients page and signs out."""
from playwright.sync_api import expect

from tests.helpers import sign_in


def test_sign_in_and_out(server_url, page, admin):
    page.goto(server_url)
    assert "/login" in page.url
    sign_in(page, server_url, admin.email)
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{server_url}/login")
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    page.goto(f"{server_url}/clients")
    assert "/login" in page.url


def test_wrong_password_shows_message(server_url, page, admin):
    page.goto(f"{server_url}/login")
    page.get_by_label("E-mail").fill(admin.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Wrong e-mail or password.")).to_be_visible()
    assert page.get_by_label("E-mail").input_value() == admin.email
