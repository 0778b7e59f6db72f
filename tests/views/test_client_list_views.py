"""The /clients page and its #client-results fragment: filters in the URL, pager, empty states."""
import gzip
import re

import pytest

from cone.services.models import Client, Tag, db
from tests.helpers import hx


def add(name, **fields):
    client = Client(kind=fields.pop("kind", "business"), status=fields.pop("status", "customer"),
                    display_name=name, **fields)
    db.session.add(client)
    db.session.commit()
    return client


def test_page_has_every_filter_and_the_fragment_has_only_results(staff_client):
    db.session.add(Tag(name="Payroll"))
    add("Alpha Ltd")
    page = staff_client.get("/clients")
    assert page.status_code == 200 and "<html" in page.text
    for name in ("q", "kind", "status", "source", "manager", "tag", "ch_status", "due", "archived",
                 "sort", "per_page"):
        assert f'name="{name}"' in page.text, name
    assert ">Payroll</option>" in page.text and "Sam Staff" in page.text
    frag = staff_client.get("/clients?q=alp", headers=hx("client-results"))
    assert frag.status_code == 200 and "<html" not in frag.text and 'name="kind"' not in frag.text
    assert "Alpha Ltd" in frag.text and "1 client" in frag.text
    assert "HX-Target" in frag.headers["Vary"]


def test_boosted_and_history_requests_get_the_whole_page(staff_client):
    for headers in (hx("client-results", **{"HX-Boosted": "true"}),
                    hx("client-results", **{"HX-History-Restore-Request": "true"})):
        assert "<html" in staff_client.get("/clients?q=x", headers=headers).text


def test_url_round_trip_fills_the_form_and_the_links(staff_client):
    for i in range(30):
        add(f"Prospect {i:02}", status="prospect", kind="individual")
    url = "/clients?q=pros&kind=individual&status=prospect&sort=created&per_page=25&archived=1"
    page = staff_client.get(url).text
    assert 'value="pros"' in page
    assert re.search(r'<option selected value="individual">|<option value="individual" selected>', page)
    assert re.search(r'<option selected value="created">|<option value="created" selected>', page)
    assert 'checked' in page.split('name="archived"')[1][:80] or 'checked' in page.split('id="archived"')[0][-120:]
    nxt = re.search(r'href="(/clients\?page=2[^"]*)"', page).group(1).replace("&amp;", "&")
    assert all(p in nxt for p in ("q=pros", "kind=individual", "status=prospect", "sort=created",
                                  "archived=1"))
    second = staff_client.get(nxt, headers=hx("client-results")).text
    assert "Page 2 of 2" in second and "Prospect 04" in second  # newest first: 29..05, then 04..00
    export = re.search(r'href="(/clients/export\.csv[^"]*)"', page).group(1)
    assert "q=pros" in export and "status=prospect" in export


def test_unknown_values_match_nothing_and_bad_numbers_fall_back(staff_client):
    add("Alpha Ltd")
    assert "No clients match" in staff_client.get("/clients?kind=robot").text
    r = staff_client.get("/clients?page=abc&per_page=7&sort=sideways")
    assert r.status_code == 200 and "Alpha Ltd" in r.text


def test_too_long_search_says_so_and_keeps_the_text(staff_client):
    add("Alpha Ltd")
    r = staff_client.get("/clients?q=" + "a" * 201)
    assert r.status_code == 200 and "a" * 201 in r.text
    assert re.search(r'class="error"[^>]*>[^<]*200', r.text)


def test_rows_show_source_reference_contact_and_deadline(staff_client, staff):
    add("Alpha Ltd", company_number="SC123456", manager_id=staff.id)
    add("Jo Bloggs", kind="individual", sa_utr="1234567890")
    frag = staff_client.get("/clients", headers=hx("client-results")).text
    assert "SC123456" in frag and "1234567890" in frag and "Manual" in frag and "Sam Staff" in frag


def test_empty_states(staff_client):
    assert "No clients yet." in staff_client.get("/clients").text
    add("Alpha Ltd")
    r = staff_client.get("/clients?status=prospect")
    assert "No clients match" in r.text and 'href="/clients"' in r.text


def test_fragment_stays_small_for_a_full_page(staff_client):
    for i in range(25):
        add(f"Limited Company Number {i:02} Holdings", company_number=f"{i:08}")
    body = staff_client.get("/clients", headers=hx("client-results")).data
    assert body.count(b"<tr>") == 26 and len(gzip.compress(body)) < 8 * 1024


@pytest.mark.parametrize("url", ["/clients", "/clients/export.csv"])
def test_list_and_export_need_login(client, url):
    assert client.get(url).status_code == 302
