"""Switching a client imported from an accounting platform to manual."""
import pytest
from sqlalchemy import select

from cone.services import clients
from cone.services.imports import build_preview
from cone.services.models import ActivityEvent, Address, ExternalLink, db
from cone.services.providers.accounting import ExternalCustomer


@pytest.fixture
def imported(staff):
    """A client linked to a Xero contact, as an import leaves it."""
    contacts = clients.ContactsInput(new=[clients.NewContact(first_name="Bea")], existing=[],
                                     primary="new:0")
    client = clients.create_client("business", {"legal_name": "Brontë Bakery Ltd",
                                                 "email": "hello@bronte.example"},
                                   contacts, user=staff)
    db.session.add(ExternalLink(client_id=client.id, provider="xero", tenant_id="t-1",
                                external_id="c-42", active=True))
    db.session.commit()
    return client


def customer(**extra):
    return ExternalCustomer(
        provider="xero", external_id="c-42", tenant_id="t-1", name="Brontë Bakery Ltd",
        kind="business", first_name=None, last_name=None, email="orders@bronte.example",
        phone=None, address=Address(), company_number=None, vat_number=None, people=(),
        is_customer=True, archived=False, updated_at=None, raw={}, **extra)


def test_owned_fields_are_refused_while_linked(imported, staff):
    with pytest.raises(clients.ClientInvalid) as e:
        clients.update_client(imported, {"email": "new@bronte.example"},
                              expected_version=imported.version, user=staff)
    assert "Xero" in str(e.value.errors) or "cannot be changed" in str(e.value.errors)


def test_switch_to_manual_asks_first_then_frees_the_fields(staff_client, imported, staff):
    page = staff_client.get(f"/clients/{imported.id}/unlink")
    assert page.status_code == 200 and "Xero record c-42" in page.text and "E-mail" in page.text
    assert imported.active_link is not None  # a GET changes nothing
    r = staff_client.post(f"/clients/{imported.id}/unlink")
    assert r.status_code == 303
    db.session.expire_all()
    assert imported.active_link is None
    link = db.session.scalar(select(ExternalLink).where(ExternalLink.client_id == imported.id))
    assert link is not None and link.active is False  # kept, so a re-import finds it
    event = db.session.scalar(select(ActivityEvent).where(
        ActivityEvent.client_id == imported.id, ActivityEvent.action == "unlinked"))
    assert event.changes == [{"field": "source", "before": "Xero", "after": "Manual"}]
    clients.update_client(imported, {"email": "new@bronte.example"},
                          expected_version=imported.version, user=staff)
    assert imported.email == "new@bronte.example"


def test_workspace_offers_switch_to_manual_for_a_platform(staff_client, imported):
    page = staff_client.get(f"/clients/{imported.id}").text
    assert f"/clients/{imported.id}/unlink" in page and "Switch to manual" in page


def test_a_later_import_offers_the_unlinked_client_as_a_match(staff_client, imported):
    staff_client.post(f"/clients/{imported.id}/unlink")
    [row] = build_preview([customer()])
    assert row.classification == "match" and row.client_id == imported.id
    assert "unlinked by hand" in row.reason and row.decision == "skip"
