"""The read-only rule: while a client is mapped, no request can change a fetched field.

Each crafted POST to the edit view changes one owned field; the service refuses it with a
message beside the field and nothing is saved. Fields Companies House does not provide stay
editable in the same request shape.
"""
import re

import pytest

from cone import wiring
from cone.services import companies_house as ch_service
from cone.services.models import db

NORTHWIND = "09876543"

CRAFTED = [
    ("legal_name", {"legal_name": "Something Else Ltd"}),
    ("company_number", {"company_number": "01234567"}),
    ("entity_type", {"entity_type": "plc"}),
    ("incorporation_date", {"incorporation_date": "2001-01-01"}),
    ("registered_address", {"registered_line1": "1 Fake Street", "registered_town": "Leeds"}),
    ("sic_codes", {"sic_codes": "01110"}),
]


@pytest.fixture
def mapped(ch_app, staff):
    return ch_service.create_from_companies_house(NORTHWIND, wiring.companies_house(ch_app),
                                                  {}, None, user=staff)


def form_as_shown(client) -> dict:
    """What the edit form posts unchanged: the owned fields as rendered (readonly)."""
    a = client.registered_address
    data = {"version": str(client.version), "status": client.status,
            "legal_name": client.legal_name, "company_number": client.company_number,
            "incorporation_date": client.incorporation_date.isoformat(),
            "sic_codes": ", ".join(client.sic_codes or []), "entity_type": client.entity_type}
    data.update({f"registered_{part}": getattr(a, part) or ""
                 for part in ("line1", "line2", "town", "county", "postcode", "country")})
    return data


def test_edit_page_shows_owned_fields_read_only(staff_client, mapped):
    page = staff_client.get(f"/clients/{mapped.id}/edit").text
    for name in ("legal_name", "company_number", "incorporation_date", "sic_codes",
                 "registered_line1"):
        assert "readonly" in page.split(f'name="{name}"')[1].split(">")[0], name
    assert re.search(r'<select[^>]*disabled[^>]*name="entity_type"', page)
    assert "readonly" not in page.split('name="vat_number"')[1].split(">")[0]


def test_unchanged_owned_fields_save_with_other_changes(staff_client, mapped):
    data = form_as_shown(mapped) | {"vat_number": "GB 980 7806 84", "trading_name": "Northwind"}
    r = staff_client.post(f"/clients/{mapped.id}/edit", data=data)
    assert r.status_code == 303
    db.session.refresh(mapped)
    assert mapped.vat_number == "GB980780684" and mapped.trading_name == "Northwind"


def test_disabled_select_missing_from_the_post_is_left_alone(staff_client, mapped):
    data = form_as_shown(mapped)
    del data["entity_type"]  # a browser sends nothing for a disabled select
    r = staff_client.post(f"/clients/{mapped.id}/edit", data=data | {"trading_name": "NW"})
    assert r.status_code == 303
    db.session.refresh(mapped)
    assert mapped.entity_type == "limited_company" and mapped.trading_name == "NW"


@pytest.mark.parametrize("field,changes", CRAFTED, ids=[c[0] for c in CRAFTED])
def test_crafted_post_cannot_change_an_owned_field(staff_client, mapped, field, changes):
    before = (getattr(mapped, field), mapped.version)
    data = form_as_shown(mapped) | changes | {"trading_name": "Sneaky"}
    r = staff_client.post(f"/clients/{mapped.id}/edit", data=data)
    assert r.status_code == 422 and "comes from Companies House" in r.text
    db.session.refresh(mapped)
    assert (getattr(mapped, field), mapped.version) == before
    assert mapped.trading_name is None  # nothing of the request was saved


def test_after_unlink_the_same_post_is_accepted(staff_client, mapped):
    staff_client.post(f"/clients/{mapped.id}/unlink")
    db.session.refresh(mapped)
    data = form_as_shown(mapped) | {"legal_name": "Northwind Renamed Ltd"}
    r = staff_client.post(f"/clients/{mapped.id}/edit", data=data)
    assert r.status_code == 303
    db.session.refresh(mapped)
    assert mapped.legal_name == "Northwind Renamed Ltd"


def test_form_loaded_before_a_resync_gets_the_conflict_not_a_refusal(staff_client, mapped,
                                                                     ch_emulator):
    shown = form_as_shown(mapped)  # the form as opened, before Companies House renamed it
    ch_emulator.update_company(NORTHWIND, {"company_name": "NORTHWIND DATA LTD"})
    assert staff_client.post(f"/clients/{mapped.id}/resync").status_code == 303
    r = staff_client.post(f"/clients/{mapped.id}/edit", data=shown | {"trading_name": "NW"})
    assert r.status_code == 409 and "comes from Companies House" not in r.text
    db.session.refresh(mapped)
    assert mapped.legal_name == "NORTHWIND DATA LTD" and mapped.trading_name is None
