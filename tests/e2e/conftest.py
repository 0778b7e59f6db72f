"""Browser fixtures: the app served on a loopback port, driven by Debian's Chromium."""
import pytest
from playwright.sync_api import expect, sync_playwright

from tests.helpers import serve

CHROMIUM = "/usr/bin/chromium"
# Assertions wait as long as actions do: a busy 2-core CI machine is slower than a laptop
expect.set_options(timeout=10_000)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def server_url(app):
    """The test app on 127.0.0.1 with CSRF on, as in production; yields its base URL."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield from serve(app)


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()
