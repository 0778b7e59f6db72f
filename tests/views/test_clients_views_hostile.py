"""Hostile and unusual text in every client text field: stored exactly, rendered inert."""
import re

import pytest
from markupsafe import escape
from sqlalchemy import select

from cone.services.models import Client, db
from tests.helpers import BUSINESS, INDIVIDUAL

HOSTILE = "<script>alert(1)</script> \"dq\" 'sq' {{ 7*7 }} \u202eevil 🧾👩‍💼"
SHORT = "<i>Dr</i>\u202e🧾{{1}}"  # for 20-character columns
ADDRESS_PARTS = ("line1", "line2", "town", "county", "country")


def stored(client: Client, field: str):
    """The stored value behind a form field name."""
    if field.startswith("contacts-0-"):
        link = client.contact_links[0]
        part = field.removeprefix("contacts-0-")
        return link.role if part == "role" else getattr(link.contact, part)
    if field == "tags":
        return ", ".join(t.name for t in client.tags)
    prefix, _, part = field.partition("_")
    if prefix in ("registered", "trading", "home") and part in ADDRESS_PARTS:
        return getattr(getattr(client, f"{prefix}_address"), part)
    return getattr(client, field)


CASES = [("business", f) for f in (
    "legal_name", "trading_name", "internal_reference", "tags",
    *(f"{p}_{part}" for p in ("registered", "trading") for part in ADDRESS_PARTS),
    "contacts-0-first_name", "contacts-0-last_name", "contacts-0-role")] + \
    [("individual", f) for f in ("title", "first_name", "middle_name", "last_name",
                                 "internal_reference", "tags",
                                 *(f"home_{part}" for part in ADDRESS_PARTS))]
# Where a field's value shows up: list (l), workspace (w), edit form (e)
SHOWN = {"legal_name": "lwe", "first_name": "lwe", "middle_name": "lwe", "last_name": "lwe",
         "contacts-0-first_name": "lw", "contacts-0-last_name": "lw", "contacts-0-role": "w"}


def no_live_markup(html: str):
    assert "<script>alert(1)</script>" not in html
    assert "<i>Dr</i>" not in html


@pytest.mark.parametrize("kind, field", CASES)
def test_hostile_text_is_stored_exactly_and_rendered_inert(staff_client, kind, field):
    payload = SHORT if field == "title" else HOSTILE
    base = dict(BUSINESS if kind == "business" else INDIVIDUAL)
    if field.endswith("_country"):
        base.pop("registered_postcode", None)  # a postcode abroad is not checked
    r = staff_client.post("/clients", data=dict(base, **{field: payload}))
    assert r.status_code == 303, re.findall(r'class="error"[^>]*>([^<]*)', r.text)
    client = db.session.scalar(select(Client))
    assert stored(client, field) == payload
    pages = {"l": staff_client.get("/clients").text,
             "w": staff_client.get(f"/clients/{client.id}").text,
             "e": staff_client.get(f"/clients/{client.id}/edit").text}
    for key, html in pages.items():
        no_live_markup(html)
        if key in SHOWN.get(field, "we" if not field.startswith("contacts-") else "w"):
            assert str(escape(payload)) in html, (key, field)


@pytest.mark.parametrize("kind, field", CASES + [
    ("business", f) for f in ("company_number", "vat_number", "ct_utr", "paye_reference",
                              "accounts_office_reference", "ch_auth_code", "website", "email",
                              "phone", "sic_codes", "registered_postcode", "contacts-0-email",
                              "contacts-0-phone")] + [
    ("individual", f) for f in ("ni_number", "sa_utr", "home_postcode")])
def test_over_long_text_gets_a_message_not_an_error(staff_client, kind, field):
    base = BUSINESS if kind == "business" else INDIVIDUAL
    r = staff_client.post("/clients", data=dict(base, **{field: "x" * 10_000}))
    assert r.status_code == 422
    assert f'id="{field}-error"' in r.text
    assert db.session.scalar(select(Client)) is None


def test_hostile_text_survives_a_failed_submit(staff_client):
    r = staff_client.post("/clients", data=dict(BUSINESS, trading_name=HOSTILE, email="bad"))
    assert r.status_code == 422
    no_live_markup(r.text)
    assert f'value="{escape(HOSTILE)}"' in r.text


@pytest.mark.parametrize("first, last", [("Zoë", "Łukasiewicz"), ("小明", "王"),
                                         ("Seán", "O'Brien"), ("Ævar", "Þórsson")])
def test_unicode_names_round_trip(staff_client, first, last):
    r = staff_client.post("/clients", data=dict(INDIVIDUAL, first_name=first, last_name=last))
    assert r.status_code == 303
    client = db.session.scalar(select(Client))
    assert (client.first_name, client.last_name) == (first, last)
    assert client.display_name == f"{first} {last}"
    for url in ("/clients", f"/clients/{client.id}"):
        assert str(escape(f"{first} {last}")) in staff_client.get(url).text
    edit = staff_client.get(f"/clients/{client.id}/edit").text
    assert f'value="{escape(first)}"' in edit and f'value="{escape(last)}"' in edit


def test_pages_have_no_inline_code(staff_client):
    """The strict CSP forbids inline scripts, styles and event handlers."""
    assert staff_client.post("/clients", data=BUSINESS).status_code == 303
    client = db.session.scalar(select(Client))
    for url in ("/clients", "/clients/new", "/clients/new?kind=individual",
                f"/clients/{client.id}", f"/clients/{client.id}/edit"):
        html = staff_client.get(url).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert not re.search(r"\sstyle=|\son[a-z]+=", html), url
