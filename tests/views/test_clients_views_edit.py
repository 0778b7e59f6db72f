"""Editing a client (optimistic locking, source-owned fields), the workspace, list and archive."""
from datetime import date

from sqlalchemy import func, select

from cone.services import clients
from cone.services.models import ActivityEvent, Client, ExternalLink, db
from tests.helpers import add_user, hx, login_as


def new_business(user, name="Acme Widgets Ltd", **data):
    contacts = clients.ContactsInput(new=[clients.NewContact(first_name="Ann", last_name="Archer")],
                                     existing=[], primary="new:0")
    return clients.create_client("business", {"legal_name": name, **data}, contacts, user=user)


def edit_data(client, **changes):
    """What the edit form posts for this client, with some changes."""
    data = {"version": str(client.version), "legal_name": client.legal_name or "",
            "status": client.status, "email": client.email or "",
            "company_number": client.company_number or ""}
    data.update(changes)
    return data


def test_edit_page_and_fragment(staff_client, staff):
    client = new_business(staff, email="office@acme.example")
    page = staff_client.get(f"/clients/{client.id}/edit")
    assert page.status_code == 200 and "<html" in page.text
    assert 'value="Acme Widgets Ltd"' in page.text and 'name="version"' in page.text
    assert 'name="contacts-0-first_name"' not in page.text  # contacts live on the workspace
    frag = staff_client.get(f"/clients/{client.id}/edit", headers=hx("client-form"))
    assert "<html" not in frag.text and 'id="client-form"' in frag.text


def test_edit_saves_and_records_the_difference(staff_client, staff):
    client = new_business(staff)
    r = staff_client.post(f"/clients/{client.id}/edit",
                          data=edit_data(client, trading_name="Acme", tags="vip, Payroll",
                                         sic_codes="62020 6201"))
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/clients/{client.id}")
    db.session.refresh(client)
    assert client.trading_name == "Acme" and client.version == 2
    assert [t.name for t in client.tags] == ["Payroll", "vip"]
    assert client.sic_codes == ["62020", "06201"]
    page = staff_client.get(r.headers["Location"])
    assert "Saved Acme Widgets Ltd." in page.text
    activity = page.text.split('id="client-activity"', 1)[1]
    assert "Trading name" in activity and "Acme" in activity and "Sam Staff" in activity


def test_edit_invalid_is_422_with_message(staff_client, staff):
    client = new_business(staff)
    r = staff_client.post(f"/clients/{client.id}/edit",
                          data=edit_data(client, legal_name="", vat_number="GB1"))
    assert r.status_code == 422 and "Enter the legal name." in r.text
    assert 'id="vat_number-error"' in r.text and 'value="GB1"' in r.text
    r = staff_client.post(f"/clients/{client.id}/edit", data=edit_data(client, legal_name=""),
                          headers=hx("client-form"))
    assert r.status_code == 422 and "<html" not in r.text
    db.session.refresh(client)
    assert client.version == 1


def test_stale_edit_shows_differences_then_saves_deliberately(client, app_ctx):
    ann = add_user("ann@example.com", "staff", "Ann Accountant")
    bob = add_user("bob@example.com", "staff", "Bob Bookkeeper")
    acme = new_business(ann, email="old@acme.example")
    opened = edit_data(acme)  # both open the form at version 1
    login_as(client, ann)
    assert client.post(f"/clients/{acme.id}/edit",
                       data=dict(opened, email="ann@acme.example")).status_code == 303
    login_as(client, bob)
    r = client.post(f"/clients/{acme.id}/edit", data=dict(opened, email="bob@acme.example",
                                                          phone="01234 567890"))
    assert r.status_code == 409
    assert "<bdi>Ann Accountant</bdi> saved this client at" in r.text and "after you opened it" in r.text
    table = r.text.split('class="table differences"', 1)[1].split("</table>", 1)[0]
    assert "E-mail" in table and "ann@acme.example" in table and "bob@acme.example" in table
    assert 'name="version" type="hidden" value="2"' in r.text
    assert 'value="bob@acme.example"' in r.text and 'value="01234 567890"' in r.text
    db.session.expire_all()
    assert db.session.get(Client, acme.id).email == "ann@acme.example"
    # Saving again from the re-rendered form is a deliberate overwrite
    r = client.post(f"/clients/{acme.id}/edit", data=dict(opened, version="2",
                                                          email="bob@acme.example"))
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(Client, acme.id).email == "bob@acme.example"


def test_stale_edit_htmx_answers_the_form_with_conflict(staff_client, staff):
    acme = new_business(staff)
    opened = edit_data(acme)
    staff_client.post(f"/clients/{acme.id}/edit", data=dict(opened, legal_name="Acme Two Ltd"))
    r = staff_client.post(f"/clients/{acme.id}/edit", headers=hx("client-form"),
                          data=dict(opened, legal_name="Acme Three Ltd"))
    assert r.status_code == 409 and "<html" not in r.text and "after you opened it" in r.text


def test_fields_owned_by_a_source_are_read_only(staff_client, staff):
    acme = new_business(staff, company_number="01234567")
    db.session.add(ExternalLink(client_id=acme.id, provider="companies_house",
                                external_id="01234567"))
    db.session.commit()
    page = staff_client.get(f"/clients/{acme.id}/edit")
    legal = page.text.split('id="legal_name"', 1)[1].split(">", 1)[0]
    assert "readonly" in legal
    assert '<select disabled id="entity_type"' in page.text
    assert "readonly" not in page.text.split('id="trading_name"', 1)[1].split(">", 1)[0]
    r = staff_client.post(f"/clients/{acme.id}/edit",
                          data=edit_data(acme, legal_name="Hijacked Ltd", company_number="BAD",
                                         trading_name="Acme"))
    # The service refuses the change, beside the field; nothing of the request is saved
    assert r.status_code == 422 and "comes from Companies House" in r.text
    db.session.refresh(acme)
    assert acme.legal_name == "Acme Widgets Ltd" and acme.company_number == "01234567"
    assert acme.trading_name is None


def test_edit_individual_keeps_kind(staff_client, staff, make_client):
    jane = make_client("individual", user=staff)
    r = staff_client.post(f"/clients/{jane.id}/edit",
                          data={"version": "1", "first_name": "Janet", "last_name": "Doe",
                                "status": "customer", "date_of_birth": "1980-02-29",
                                "legal_name": "Not A Business"})
    assert r.status_code == 303
    db.session.refresh(jane)
    assert jane.display_name == "Janet Doe" and jane.date_of_birth == date(1980, 2, 29)
    assert jane.legal_name is None and jane.kind == "individual"


def test_edit_unknown_client_is_404(staff_client):
    assert staff_client.get("/clients/999/edit").status_code == 404
    assert staff_client.post("/clients/999/edit", data={"version": "1"}).status_code == 404


# ---- workspace ------------------------------------------------------------------------------

def test_workspace_page_and_panel(staff_client, staff):
    manager = add_user("mo@example.com", "staff", "Mo Manager")
    acme = new_business(staff, company_number="SC123456", vat_number="GB 980 7806 84",
                        manager_id=manager.id, tags=["VIP"],
                        incorporation_date=date(2020, 3, 5))
    page = staff_client.get(f"/clients/{acme.id}")
    assert page.status_code == 200 and "<html" in page.text
    for text in ("Acme Widgets Ltd", "Business", "Customer", "VIP", "Mo Manager", "SC123456",
                 "GB980780684", "5 March 2020", "Ann Archer", "Created business client"):
        assert text in page.text
    assert "Trading name" not in page.text  # empty values are left out
    assert 'id="client-contacts"' in staff_client.get(f"/clients/{acme.id}?tab=contacts").text
    frag = staff_client.get(f"/clients/{acme.id}?tab=overview", headers=hx("workspace-panel"))
    assert "<html" not in frag.text and "SC123456" in frag.text
    assert 'id="client-contacts"' not in frag.text
    contacts = staff_client.get(f"/clients/{acme.id}", headers=hx("client-contacts"))
    assert "<html" not in contacts.text and 'id="client-contacts"' in contacts.text


def test_workspace_unknown_client_is_404(staff_client):
    assert staff_client.get("/clients/4242").status_code == 404


# ---- archive / restore ----------------------------------------------------------------------

def test_archive_and_restore(staff_client, staff):
    acme = new_business(staff)
    r = staff_client.post(f"/clients/{acme.id}/archive")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/clients/{acme.id}")
    page = staff_client.get(r.headers["Location"])
    assert "banner-archived" in page.text and "Archived" in page.text
    assert ">Restore</button>" in page.text
    listing = staff_client.get("/clients")
    assert "Acme Widgets Ltd" not in listing.text
    assert "Acme Widgets Ltd" in staff_client.get("/clients?archived=y").text
    r = staff_client.post(f"/clients/{acme.id}/restore")
    assert r.status_code == 303
    page = staff_client.get(r.headers["Location"])
    assert "banner-archived" not in page.text and ">Archive</button>" in page.text
    assert "Acme Widgets Ltd" in staff_client.get("/clients").text
    actions = db.session.scalars(select(ActivityEvent.action).order_by(ActivityEvent.id)).all()
    assert actions[-2:] == ["archived", "restored"]


def test_archive_needs_post_and_csrf(staff_client, staff, app):
    acme = new_business(staff)
    assert staff_client.get(f"/clients/{acme.id}/archive").status_code == 405
    app.config["WTF_CSRF_ENABLED"] = True
    assert staff_client.post(f"/clients/{acme.id}/archive").status_code == 400
    db.session.refresh(acme)
    assert acme.archived_at is None


# ---- list -----------------------------------------------------------------------------------

def test_list_page_and_results_fragment(staff_client, staff):
    new_business(staff)
    new_business(staff, "Zebra Crossings Ltd", company_number="SC123456")
    page = staff_client.get("/clients")
    assert page.status_code == 200 and "<html" in page.text
    assert "Acme Widgets Ltd" in page.text and "2 clients" in page.text
    assert "Ann Archer" in page.text
    frag = staff_client.get("/clients?q=zebra", headers=hx("client-results"))
    assert "<html" not in frag.text and "Zebra Crossings Ltd" in frag.text
    assert "Acme Widgets Ltd" not in frag.text and "1 client" in frag.text
    assert "SC123456" in frag.text


def test_list_empty_states(staff_client, staff):
    r = staff_client.get("/clients")
    assert "No clients yet." in r.text and 'href="/clients/new"' in r.text
    new_business(staff)
    r = staff_client.get("/clients?q=nothing-like-this")
    assert "No clients match" in r.text


def test_list_pager_has_real_links(staff_client, staff):
    for i in range(27):
        db.session.add(Client(kind="business", legal_name=f"Client {i:02}",
                              display_name=f"Client {i:02}", status="customer"))
    db.session.commit()
    first = staff_client.get("/clients?q=client")
    assert "Page 1 of 2" in first.text and 'href="/clients?page=2&amp;q=client"' in first.text
    second = staff_client.get("/clients?page=2&q=client", headers=hx("client-results"))
    assert "Page 2 of 2" in second.text and "Previous" in second.text
    assert db.session.scalar(select(func.count()).select_from(Client)) == 27
