"""The users pages: list, invite (link shown once, e-mailed over real SMTP when configured),
joining through the link, changing a user's access, custom roles; who may do each."""
import re

import pytest
from sqlalchemy import func, select

from cone.services.models import ActivityEvent, Invite, Role, User, db, utcnow
from tests.data.hostile import refused, strings
from tests.helpers import PASSWORD, add_user, login_as, make_app

LINK = re.compile(r'value="(http://localhost/invite/[^"]+)"')


def invite(client, email="nia@example.com", role="standard"):
    return client.post("/users", data={"email": email, "role": role})


def invite_link(client, email="nia@example.com", role="standard") -> str:
    r = invite(client, email, role)
    assert r.status_code == 303, r.text
    return LINK.search(client.get(r.headers["Location"]).text).group(1).replace(
        "http://localhost", "")


def user(email) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def actions() -> list[str]:
    return list(db.session.scalars(select(ActivityEvent.action).order_by(ActivityEvent.id)))


# Who may open the users pages

PAGES = [("get", "/users"), ("post", "/users"), ("get", "/users/{id}/edit"),
         ("post", "/users/{id}/edit"), ("post", "/users/{id}/delete"), ("get", "/users/roles"),
         ("post", "/users/roles"), ("get", "/users/roles/{role}"),
         ("post", "/users/roles/{role}"), ("post", "/users/roles/{role}/delete"),
         ("get", "/users/invites/{invite}"), ("post", "/users/invites/{invite}/withdraw")]


@pytest.fixture
def targets(app_ctx, owner):
    role = Role(key="cpayroll", name="Payroll", rights=[])
    row = Invite(email="open@example.com", role="standard", token_hash="0" * 64,
                 expires_at=utcnow())
    db.session.add_all([role, row])
    db.session.commit()
    return {"id": owner.id, "role": role.id, "invite": row.id}


@pytest.mark.parametrize("method, path", PAGES)
@pytest.mark.parametrize("who", ["staff_client", "restricted_client"])
def test_users_pages_need_the_manage_users_right(request, targets, who, method, path):
    client = request.getfixturevalue(who)
    r = getattr(client, method)(path.format(**targets),
                                data={"name": "x", "role": "owner", "email": "z@example.com"})
    assert r.status_code == 403 and "not allowed" in r.text
    assert user("z@example.com") is None and user("owner@example.com").name == "Olu Owner"
    assert db.session.scalar(select(func.count(Role.id))) == 1
    assert db.session.scalar(select(func.count(Invite.id))) == 1


def test_a_custom_role_with_manage_users_opens_them(app_ctx, client):
    db.session.add(Role(key="chr", name="HR", rights=["manage_users"]))
    db.session.commit()
    login_as(client, add_user("hr@example.com", "chr", "Hana HR"))
    assert client.get("/users").status_code == 200
    assert 'href="/users"' in client.get("/clients").text


@pytest.mark.parametrize("who, shown", [("owner_client", True), ("admin_client", True),
                                        ("staff_client", False), ("restricted_client", False)])
def test_users_link_only_for_those_who_manage_users(request, who, shown):
    assert ('href="/users"' in request.getfixturevalue(who).get("/clients").text) is shown


def test_list_shows_names_roles_and_last_sign_in(owner_client, staff, restricted):
    r = owner_client.get("/users")
    assert r.status_code == 200 and "<html" in r.text
    for text in ("<bdi>Sam Staff</bdi>", "staff@example.com", "<bdi>Standard</bdi>",
                 "<bdi>Restricted</bdi>", "<bdi>Owner</bdi>", "Never"):
        assert text in r.text
    assert '<option value="owner">' in r.text  # an owner may invite owners
    assert '<option selected value="standard">' in r.text  # the usual choice comes first


def test_admins_are_not_offered_owner(admin_client):
    assert '<option value="owner">' not in admin_client.get("/users").text
    r = invite(admin_client, role="owner")
    assert r.status_code == 422 and "Not a valid choice" in r.text
    assert db.session.scalar(select(func.count(Invite.id))) == 0


# Invites

def test_invite_link_shown_once_then_joining_signs_in(app, owner_client):
    r = invite(owner_client, "Nia@Example.com", "restricted")
    assert r.status_code == 303 and r.headers["Location"].startswith("/users/invites/")
    page = owner_client.get(r.headers["Location"]).text
    link = LINK.search(page).group(1)
    assert "shown only now" in page and "data-copy" in page
    again = owner_client.get(r.headers["Location"]).text
    assert link not in again and "shown when the invite was made" in again
    assert "nia@example.com" in owner_client.get("/users").text  # listed as open

    newcomer = app.test_client()
    path = link.replace("http://localhost", "")
    r = newcomer.get(path)
    assert r.status_code == 200 and "<bdi>Restricted</bdi>" in r.text
    assert "nia@example.com" in r.text
    r = newcomer.post(path, data={"name": "Nia Ní Bhriain", "password": "her secret 1",
                                  "confirm": "her secret 1"})
    assert r.status_code == 303 and r.headers["Location"] == "/clients"
    r = newcomer.get("/clients")
    assert r.status_code == 200 and "Welcome to Cone, Nia Ní Bhriain." in r.text
    assert user("nia@example.com").role == "restricted"
    assert actions() == ["user_invited", "user_joined"]

    r = app.test_client().get(path)
    assert r.status_code == 410 and "already been used" in r.text
    r = app.test_client().post(path, data={"name": "Mallory", "password": "x" * 8,
                                           "confirm": "x" * 8})
    assert r.status_code == 409 and "already been used" in r.text
    assert db.session.scalar(select(func.count(User.id))) == 2


def test_expired_and_withdrawn_links_say_so(app, owner_client):
    path = invite_link(owner_client, "late@example.com")
    row = db.session.scalar(select(Invite))
    row.expires_at = utcnow()
    db.session.commit()
    r = app.test_client().get(path)
    assert r.status_code == 410 and "This invite link has expired. Ask for a new one." in r.text
    path = invite_link(owner_client, "gone@example.com")
    row = db.session.scalar(select(Invite).where(Invite.email == "gone@example.com"))
    r = owner_client.post(f"/users/invites/{row.id}/withdraw")
    assert r.status_code == 303
    r = app.test_client().get(path)
    assert r.status_code == 410 and "withdrawn" in r.text
    assert app.test_client().get("/invite/not-a-token").status_code == 410


@pytest.mark.parametrize("data, message", [
    ({"email": "staff@example.com"}, "already has an account"),
    ({"email": "not-an-email"}, "Invalid email address."),
    ({"email": ""}, "This field is required."),
    ({"role": "superuser"}, "Not a valid choice"),
])
def test_invite_invalid_is_422_beside_the_field(owner_client, staff, data, message):
    r = owner_client.post("/users", data={"email": "x@example.com", "role": "standard", **data})
    assert r.status_code == 422 and message in r.text
    assert db.session.scalar(select(func.count(Invite.id))) == 0


def test_invite_role_staff_means_standard(owner_client):
    invite(owner_client, role="staff")
    assert db.session.scalar(select(Invite.role)) == "standard"


@pytest.mark.parametrize("data, message", [
    ({"name": "Nia", "password": "short", "confirm": "short"}, "8 to 500 characters"),
    ({"name": "Nia", "password": "long enough", "confirm": "different"}, "passwords differ"),
    ({"name": "", "password": "long enough", "confirm": "long enough"}, "required"),
    ({"name": "Bell\u0007", "password": "long enough", "confirm": "long enough"},
     "control character"),
])
def test_join_form_errors_keep_the_link_open(app, owner_client, data, message):
    path = invite_link(owner_client)
    r = app.test_client().post(path, data=data)
    assert r.status_code == 422 and message in r.text
    assert user("nia@example.com") is None
    assert app.test_client().get(path).status_code == 200


def test_joining_while_signed_in_as_someone_else_switches_user(owner_client):
    path = invite_link(owner_client)
    r = owner_client.post(path, data={"name": "Nia", "password": "long enough",
                                      "confirm": "long enough"})
    assert r.status_code == 303
    assert "<bdi>Nia</bdi>" in owner_client.get("/clients").text
    assert owner_client.get("/users").status_code == 403


def test_invite_is_emailed_when_smtp_is_configured(app, owner_client, smtp_server):
    host, port, mailbox = smtp_server
    app.config.update(MAIL_SERVER=host, MAIL_PORT=str(port),
                      MAIL_DEFAULT_SENDER="cone@firm.example")
    r = invite(owner_client, "ola@example.com")
    page = owner_client.get(r.headers["Location"]).text
    assert "The link was e-mailed to ola@example.com." in page
    [message] = mailbox.messages
    assert message["To"] == "ola@example.com"
    assert LINK.search(page).group(1) in message.get_content()


def test_smtp_down_still_shows_the_link(app, owner_client, closed_port):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(closed_port))
    r = invite(owner_client, "ola@example.com")
    page = owner_client.get(r.headers["Location"]).text
    assert "could not be sent" in page and "Send the link yourself." in page
    assert LINK.search(page)


# Changing a user's access

def test_change_role_and_deactivate_are_recorded(owner_client, owner, staff):
    r = owner_client.get(f"/users/{staff.id}/edit")
    assert r.status_code == 200 and 'value="Sam Staff"' in r.text
    r = owner_client.post(f"/users/{staff.id}/edit", data={"name": "Sam Staff",
                                                           "role": "restricted", "active": "y"})
    assert r.status_code == 303 and r.headers["Location"] == "/users"
    assert user("staff@example.com").role == "restricted"
    owner_client.post(f"/users/{staff.id}/edit", data={"name": "Sam Staff", "role": "restricted"})
    assert user("staff@example.com").active is False
    events = db.session.scalars(select(ActivityEvent).order_by(ActivityEvent.id)).all()
    assert [(e.user_id, e.action) for e in events] == [(owner.id, "user_changed")] * 2
    assert "Standard → Restricted" in events[0].summary and "deactivated" in events[1].summary


def test_users_page_lists_recent_access_changes(owner_client, staff):
    owner_client.post(f"/users/{staff.id}/edit", data={"name": "Sam Staff", "role": "restricted",
                                                       "active": "y"})
    invite(owner_client, "nia@example.com")
    page = owner_client.get("/users").text
    changes = page[page.index('id="access-changes"'):]
    assert changes.index("nia@example.com invited as Standard") < changes.index(
        "staff@example.com: role Standard → Restricted")
    assert "<bdi>Olu Owner</bdi>:" in changes


def test_admin_cannot_change_an_owner(admin_client, owner):
    r = admin_client.get(f"/users/{owner.id}/edit")
    assert r.status_code == 200 and '<option selected value="owner">' in r.text
    r = admin_client.post(f"/users/{owner.id}/edit", data={"name": "Olu", "role": "standard",
                                                           "active": "y"})
    assert r.status_code == 403 and "Only an owner can make, change or remove an owner." in r.text
    assert user("owner@example.com").role == "owner"


def test_owner_makes_an_owner_and_the_last_owner_stays(owner_client, owner, admin):
    r = owner_client.post(f"/users/{owner.id}/edit", data={"name": "Olu Owner",
                                                           "role": "admin", "active": "y"})
    assert r.status_code == 422 and "last active owner" in r.text
    r = owner_client.post(f"/users/{owner.id}/edit", data={"name": "Olu Owner", "role": "owner"})
    assert r.status_code == 422 and "last active owner" in r.text
    r = owner_client.post(f"/users/{admin.id}/edit", data={"name": "Ada Admin", "role": "owner",
                                                           "active": "y"})
    assert r.status_code == 303 and user("admin@example.com").role == "owner"
    r = owner_client.post(f"/users/{owner.id}/edit", data={"name": "Olu Owner",
                                                           "role": "admin", "active": "y"})
    assert r.status_code == 303 and user("owner@example.com").role == "admin"


def test_remove_user(owner_client, owner, staff, make_client):
    r = owner_client.post(f"/users/{owner.id}/delete")
    assert r.status_code == 303
    assert "last active owner" in owner_client.get(r.headers["Location"]).text
    make_client(user=staff)
    r = owner_client.post(f"/users/{staff.id}/delete")
    assert "deactivate them instead" in owner_client.get(r.headers["Location"]).text
    fresh = add_user("fresh@example.com", "standard")
    r = owner_client.post(f"/users/{fresh.id}/delete")
    assert r.status_code == 303 and r.headers["Location"] == "/users"
    assert user("fresh@example.com") is None and user("staff@example.com") is not None


def test_edit_unknown_user_is_404(owner_client):
    assert owner_client.get("/users/999/edit").status_code == 404
    assert owner_client.post("/users/999/delete").status_code == 404
    assert owner_client.post("/users/invites/999/withdraw").status_code == 404
    assert owner_client.get("/users/invites/999").status_code == 404
    assert owner_client.get("/users/roles/999").status_code == 404


# Custom roles

def test_custom_role_made_offered_changed_and_deleted(owner_client, staff):
    r = owner_client.get("/users/roles")
    assert r.status_code == 200 and "Set the integrations&#39; secrets (API keys)" in r.text
    r = owner_client.post("/users/roles", data={"name": "Bookkeeper \u202eevil",
                                                "rights": ["manage_contacts", "create_clients"]})
    assert r.status_code == 303
    role = db.session.scalar(select(Role))
    assert role.rights == ["create_clients", "manage_contacts"]
    page = owner_client.get("/users/roles").text
    assert "<bdi>Bookkeeper \u202eevil</bdi>" in page
    users_page = owner_client.get("/users").text
    assert f'<option value="{role.key}">\u2068Bookkeeper \u202eevil\u2069</option>' in users_page

    owner_client.post(f"/users/{staff.id}/edit", data={"name": "Sam", "role": role.key,
                                                       "active": "y"})
    assert user("staff@example.com").granted_rights == {"create_clients", "manage_contacts"}
    r = owner_client.post(f"/users/roles/{role.id}/delete")
    assert "held by 1 user" in owner_client.get(r.headers["Location"]).text
    r = owner_client.post(f"/users/roles/{role.id}", data={"name": "Bookkeeper",
                                                           "rights": ["see_activity"]})
    assert r.status_code == 303
    assert user("staff@example.com").granted_rights == {"see_activity"}
    owner_client.post(f"/users/{staff.id}/edit", data={"name": "Sam", "role": "standard",
                                                       "active": "y"})
    r = owner_client.post(f"/users/roles/{role.id}/delete")
    assert r.status_code == 303 and db.session.scalar(select(func.count(Role.id))) == 0
    assert actions() == ["role_created", "user_changed", "role_changed", "user_changed",
                         "role_deleted"]


@pytest.mark.parametrize("data, message", [
    ({"name": "Admin"}, "built-in role"), ({"name": ""}, "This field is required."),
    ({"name": "Boss", "rights": ["manage_owners"]}, "is not a valid choice"),
])
def test_custom_role_invalid_is_422(owner_client, data, message):
    r = owner_client.post("/users/roles", data=data)
    assert r.status_code == 422 and message in r.text
    assert db.session.scalar(select(func.count(Role.id))) == 0


# Hostile text in the new forms' free-text fields

def said_refused(r) -> bool:
    return r.status_code == 422 and ("control character" in r.text or "single line" in r.text)


def test_hostile_role_names_are_refused_or_shown_escaped(owner_client):
    for value in strings():
        r = owner_client.post("/users/roles", data={"name": value})
        assert r.status_code in (303, 422), (value, r.status_code)
        assert said_refused(r) is refused(value), value
    assert_no_raw_markup(owner_client, "/users/roles")


def test_hostile_names_on_joining_are_refused_or_shown_escaped(app, owner_client):
    path = None
    for n, value in enumerate(strings()):
        path = path or invite_link(owner_client, f"host{n}@example.com")
        r = app.test_client().post(path, data={"name": value, "password": PASSWORD,
                                               "confirm": PASSWORD})
        assert r.status_code in (303, 422), (value, r.status_code)
        assert said_refused(r) is refused(value), value
        if r.status_code == 303:
            path = None  # spent: the next string gets a new invite
    assert_no_raw_markup(owner_client, "/users")


def assert_no_raw_markup(client, url: str) -> None:
    page = client.get(url)
    assert page.status_code == 200
    for value in strings():
        if re.search(r"[<>&\"']", value) and value.strip():
            assert value.strip() not in page.text, value


def test_forms_refuse_posts_without_a_csrf_token(tmp_path, app):
    guarded = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    try:
        client = guarded.test_client()
        with guarded.app_context():
            login_as(client, add_user("o@example.com", "owner"))
        assert client.post("/users", data={"email": "x@example.com", "role": "standard"}
                           ).status_code == 400
        assert client.post("/account/password", data={}).status_code == 400
        assert guarded.test_client().post("/invite/anything", data={}).status_code == 400
    finally:
        with guarded.app_context():
            db.engine.dispose()
