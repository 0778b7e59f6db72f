"""Signing in and out, throttling of failed attempts, and the admins' users page."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from cone.services.models import LoginThrottle, User, db, utcnow
from tests.helpers import PASSWORD, add_user, login_as


def sign_in(client, email, password=PASSWORD, ip="10.0.0.1", **kwargs):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": ip}, **kwargs)


def throttle(key: str) -> LoginThrottle:
    return db.session.get(LoginThrottle, key)


def age_throttle(key: str, by: timedelta) -> None:
    """Move the last failure into the past instead of sleeping."""
    row = throttle(key)
    row.last_failure_at = utcnow() - by
    db.session.commit()


def test_sign_in_and_out(client, admin):
    r = sign_in(client, "Admin@Example.com ")
    assert r.status_code == 303 and r.headers["Location"] == "/clients"
    assert client.get("/clients").status_code == 200
    r = client.post("/logout")
    assert r.status_code == 303 and r.headers["Location"] == "/login"
    assert "You have signed out." in client.get("/login").text
    assert client.get("/clients").status_code == 302


def test_sign_in_records_last_login(client, admin):
    sign_in(client, admin.email)
    db.session.expire_all()
    assert db.session.get(User, admin.id).last_login_at is not None


def test_wrong_password_is_422_and_keeps_email(client, admin):
    r = sign_in(client, admin.email, "not the password")
    assert r.status_code == 422
    assert "Wrong e-mail or password." in r.text
    assert 'value="admin@example.com"' in r.text
    assert client.get("/clients").status_code == 302


def test_unknown_email_gets_the_same_message(client, admin):
    r = sign_in(client, "nobody@example.com", PASSWORD)
    assert r.status_code == 422 and "Wrong e-mail or password." in r.text


def test_empty_form_is_422(client, admin):
    r = client.post("/login", data={"email": "", "password": ""})
    assert r.status_code == 422 and "This field is required." in r.text


def test_inactive_user_cannot_sign_in(client, app_ctx):
    add_user("gone@example.com", "staff", active=False)
    r = sign_in(client, "gone@example.com")
    assert r.status_code == 422 and "Wrong e-mail or password." in r.text
    assert client.get("/clients").status_code == 302


def test_deactivated_user_loses_their_session(client, staff):
    login_as(client, staff)
    assert client.get("/clients").status_code == 200
    staff.active = False
    db.session.commit()
    assert client.get("/clients").status_code == 302


def test_five_failures_then_429_even_with_right_password(client, admin):
    for _ in range(5):
        assert sign_in(client, admin.email, "wrong password").status_code == 422
    r = sign_in(client, admin.email)
    assert r.status_code == 429
    assert 0 < int(r.headers["Retry-After"]) <= 30
    assert "Too many failed sign-in attempts. Try again in" in r.text
    assert client.get("/clients").status_code == 302
    # Another e-mail from another address is not affected
    add_user("other@example.com", "staff")
    assert sign_in(client, "other@example.com", ip="10.0.0.2").status_code == 303


def test_delay_grows_and_is_capped_at_15_minutes(client, admin):
    key = f"email:{admin.email}"
    for _ in range(5):
        sign_in(client, admin.email, "wrong password")
    first = int(sign_in(client, admin.email).headers["Retry-After"])
    age_throttle(key, timedelta(seconds=31))  # the first delay has passed
    assert sign_in(client, admin.email, "wrong again").status_code == 422
    second = int(sign_in(client, admin.email).headers["Retry-After"])
    assert first < second <= 60
    row = throttle(key)
    row.failures = 40
    row.last_failure_at = utcnow()
    db.session.commit()
    r = sign_in(client, admin.email)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) == 900
    assert "Try again in 15 minutes." in r.text


def test_waiting_out_the_delay_allows_a_try(client, admin):
    for _ in range(5):
        sign_in(client, admin.email, "wrong password")
    assert sign_in(client, admin.email).status_code == 429
    age_throttle(f"email:{admin.email}", timedelta(seconds=31))
    age_throttle("ip:10.0.0.1", timedelta(seconds=31))
    assert sign_in(client, admin.email).status_code == 303
    # A successful sign-in clears the counters
    assert throttle(f"email:{admin.email}") is None


def test_failures_are_forgotten_after_an_hour(client, admin):
    key = f"email:{admin.email}"
    for _ in range(12):
        sign_in(client, admin.email, "wrong password", ip=f"10.1.0.{_}")
        age_throttle(key, timedelta(minutes=16))  # each failure lands after the cap
    assert throttle(key).failures == 12
    age_throttle(key, timedelta(minutes=61))
    assert sign_in(client, admin.email, "wrong once more", ip="10.2.0.1").status_code == 422
    assert throttle(key).failures == 1
    assert sign_in(client, admin.email, ip="10.2.0.2").status_code == 303


def test_per_ip_limit_across_emails(client, admin):
    for n in range(20):
        assert sign_in(client, f"guess{n}@example.com", "guess", ip="192.0.2.7").status_code == 422
    r = sign_in(client, admin.email, ip="192.0.2.7")
    assert r.status_code == 429 and "Retry-After" in r.headers
    assert sign_in(client, admin.email, ip="192.0.2.8").status_code == 303


@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com/x", "/\\evil.com",
                                    "http:/evil.com", "javascript:alert(1)"])
def test_next_refuses_other_sites(client, admin, target):
    r = client.post("/login", query_string={"next": target},
                    data={"email": admin.email, "password": PASSWORD})
    assert r.status_code == 303 and r.headers["Location"] == "/clients"


def test_next_keeps_same_site_path(client, admin):
    r = client.get("/contacts?q=smith")
    assert r.status_code == 302
    r = client.post(r.headers["Location"], data={"email": admin.email, "password": PASSWORD})
    assert r.status_code == 303 and r.headers["Location"] == "/contacts?q=smith"


def test_admin_lists_users(admin_client, staff):
    r = admin_client.get("/users")
    assert r.status_code == 200
    assert "staff@example.com" in r.text and "Ada Admin" in r.text


def test_admin_adds_user_with_generated_password_shown_once(admin_client):
    r = admin_client.post("/users", data={"email": "New@Example.com", "name": "Nia New",
                                          "role": "staff", "password": ""})
    assert r.status_code == 303
    page = admin_client.get("/users").text
    shown = re.search(r"Their password is (\S+) \(shown once\)", page)
    assert shown, page
    user = db.session.scalar(select(User).where(User.email == "new@example.com"))
    assert user.role == "staff" and check_password_hash(user.password_hash, shown.group(1))
    assert "shown once" not in admin_client.get("/users").text


def test_admin_adds_user_with_chosen_password(admin_client, client):
    r = admin_client.post("/users", data={"email": "p@example.com", "name": "Pat",
                                          "role": "admin", "password": "a long secret"})
    assert r.status_code == 303
    assert "shown once" not in admin_client.get("/users").text
    client.post("/logout")
    assert sign_in(client, "p@example.com", "a long secret").status_code == 303


@pytest.mark.parametrize("data, message", [
    ({"email": "staff@example.com", "name": "Dup", "role": "staff"}, "already exists"),
    ({"email": "not-an-email", "name": "X", "role": "staff"}, "Invalid email address."),
    ({"email": "x@example.com", "name": "", "role": "staff"}, "This field is required."),
    ({"email": "x@example.com", "name": "X", "role": "owner"}, "Not a valid choice"),
    ({"email": "x@example.com", "name": "X", "role": "staff", "password": "short"},
     "must have 8 to 500 characters"),
])
def test_add_user_invalid_is_422(admin_client, staff, data, message):
    r = admin_client.post("/users", data=data)
    assert r.status_code == 422 and message in r.text
    assert data["email"] in r.text  # nothing typed is lost
    assert db.session.scalar(select(User).where(User.email == "x@example.com")) is None


def test_admin_edits_role_active_and_password(admin_client, client, staff):
    r = admin_client.get(f"/users/{staff.id}/edit")
    assert r.status_code == 200 and "Sam Staff" in r.text
    r = admin_client.post(f"/users/{staff.id}/edit", data={
        "name": "Sam Senior", "role": "admin", "active": "y", "password": "new password 1"})
    assert r.status_code == 303 and r.headers["Location"] == "/users"
    db.session.expire_all()
    user = db.session.get(User, staff.id)
    assert (user.name, user.role, user.active) == ("Sam Senior", "admin", True)
    assert check_password_hash(user.password_hash, "new password 1")
    r = admin_client.post(f"/users/{staff.id}/edit", data={"name": "Sam Senior", "role": "staff"})
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, staff.id).active is False


def test_admin_cannot_demote_or_deactivate_themself(admin_client, admin):
    for data in ({"name": "Ada", "role": "staff", "active": "y"}, {"name": "Ada", "role": "admin"}):
        r = admin_client.post(f"/users/{admin.id}/edit", data=data)
        assert r.status_code == 422
        assert "You cannot remove your own admin role" in r.text
    db.session.expire_all()
    user = db.session.get(User, admin.id)
    assert (user.name, user.role, user.active) == ("Ada Admin", "admin", True)


def test_edit_user_short_password_is_422_and_changes_nothing(admin_client, staff):
    r = admin_client.post(f"/users/{staff.id}/edit", data={
        "name": "Renamed", "role": "staff", "active": "y", "password": "short"})
    assert r.status_code == 422 and "The password must have 8 to 500 characters." in r.text
    assert 'value="Renamed"' in r.text
    db.session.expire_all()
    user = db.session.get(User, staff.id)
    assert user.name == "Sam Staff" and check_password_hash(user.password_hash, PASSWORD)


def test_edit_unknown_user_is_404(admin_client):
    assert admin_client.get("/users/999/edit").status_code == 404


@pytest.mark.parametrize("method, path", [("get", "/users"), ("post", "/users"),
                                          ("get", "/users/{id}/edit"),
                                          ("post", "/users/{id}/edit")])
def test_staff_get_403_on_user_admin(staff_client, admin, method, path):
    r = getattr(staff_client, method)(path.format(id=admin.id),
                                      data={"name": "x", "role": "staff", "email": "z@example.com"})
    assert r.status_code == 403 and "not allowed" in r.text
    db.session.expire_all()
    assert db.session.get(User, admin.id).name == "Ada Admin"
    assert db.session.scalar(select(User).where(User.email == "z@example.com")) is None


def test_users_link_only_for_admins(staff_client):
    assert 'href="/users"' not in staff_client.get("/clients").text
