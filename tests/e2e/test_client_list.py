"""Browser: live search into the results, filters in the URL, back/forward restore the view."""
import re

from playwright.sync_api import expect

from cone.services.models import Client, db
from tests.helpers import add_user, sign_in


def test_live_search_filters_and_history(page, server_url, app_ctx):
    add_user("sam@example.com", "staff", "Sam Staff")
    for name, kind in [("Acme Trading Ltd", "business"), ("Zoë Archer", "individual"),
                       ("Acme Holdings Ltd", "business")]:
        db.session.add(Client(kind=kind, status="customer", display_name=name))
    db.session.commit()
    sign_in(page, server_url, "sam@example.com")
    results = page.locator("#client-results")
    expect(results).to_contain_text("3 clients")

    page.get_by_label("Search").press_sequentially("acme hol", delay=30)
    expect(results).to_contain_text("1 client matching")
    expect(page).to_have_url(re.compile(r"q=acme(\+|%20)hol"))
    expect(results).not_to_contain_text("Acme Trading Ltd")

    page.get_by_label("Search").fill("")
    page.get_by_label("Search").press_sequentially("zoe", delay=30)
    expect(results).to_contain_text("Zoë Archer")
    expect(page).to_have_url(re.compile(r"q=zoe"))

    page.get_by_label("Search").fill("")
    page.get_by_label("Kind").select_option("business")
    expect(page).to_have_url(re.compile(r"kind=business"))
    expect(results).to_contain_text("2 clients")
    expect(results).not_to_contain_text("Zoë Archer")

    page.go_back()
    expect(page).to_have_url(re.compile(r"q=zoe&kind=&"))
    expect(results).to_contain_text("Zoë Archer")
    expect(page.get_by_label("Search")).to_have_value("zoe")
    expect(page.get_by_label("Kind")).to_have_value("")
    page.go_back()
    expect(page.get_by_label("Search")).to_have_value("acme hol")
    expect(results).to_contain_text("1 client matching")
    page.go_forward()
    expect(page.get_by_label("Search")).to_have_value("zoe")
    expect(results).to_contain_text("Zoë Archer")
