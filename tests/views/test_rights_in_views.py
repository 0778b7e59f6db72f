"""The import and integration pages ask for a right, not a role: a custom role holding only
bulk_import imports but cannot connect platforms or change settings, and one holding only
manage_integrations the other way round."""
import pytest

from cone.services import access
from tests.helpers import add_user, login_as


@pytest.fixture
def as_role(client, owner):
    def sign_in(name: str, right: str):
        role = access.create_role(name, [right], acting=owner)
        user = add_user(f"{right}@example.com", role.key, f"{name} User")
        login_as(client, user)
        return client
    return sign_in


def test_a_role_with_bulk_import_imports_and_nothing_more(as_role, xero_app, xero_emulator):
    importer = as_role("Importer", "bulk_import")
    assert importer.get("/integrations/csv").status_code == 200
    page = importer.get("/integrations").text
    assert "Import from a CSV file" in page and 'href="/settings"' not in page
    assert importer.get("/settings").status_code == 403
    assert importer.get("/integrations/xero/connect").status_code == 403
    assert importer.post("/integrations/connections/1/disconnect").status_code == 403
    assert importer.post("/companies-house/resync-all").status_code == 403


def test_a_role_with_manage_integrations_connects_but_cannot_import(as_role, xero_app,
                                                                    xero_emulator):
    integrator = as_role("Integrator", "manage_integrations")
    assert integrator.get("/settings").status_code == 200
    page = integrator.get("/integrations").text
    assert 'href="/settings"' in page and "Import from a CSV file" not in page
    assert integrator.get("/integrations/xero/connect").status_code in (302, 303)
    assert integrator.get("/integrations/csv").status_code == 403
    assert integrator.post("/integrations/xero/import").status_code == 403
