"""Signing in and out, throttling of failed attempts, sessions that end (deactivation, password
change), and changing one's own password."""
from datetime import timedelta

import pytest

from sqlalchemy import select
from werkzeug.security import check_password_hash

from cone.services.models import ActivityEvent, LoginThrottle, User, db, utcnow
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


# Sessions that end: the cookie carries the user's session generation

def cookie(client) -> str:
    return client.get_cookie("session").value


def with_cookie(app, value: str):
    """A new browser presenting an old session cookie."""
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def signed_in(client) -> bool:
    return client.get("/clients").status_code == 200


def test_deactivation_ends_the_session_and_the_old_cookie_stays_refused(app, client, owner,
                                                                       staff):
    assert sign_in(client, staff.email).status_code == 303
    old = cookie(client)
    boss = app.test_client()
    login_as(boss, owner)
    r = boss.post(f"/users/{staff.id}/edit", data={"name": staff.name, "role": "standard"})
    assert r.status_code == 303
    r = client.get("/clients")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    # reactivated, the cookie from before is still refused: only a new sign-in works
    boss.post(f"/users/{staff.id}/edit", data={"name": staff.name, "role": "standard",
                                               "active": "y"})
    assert not signed_in(with_cookie(app, old))
    assert sign_in(client, staff.email).status_code == 303 and signed_in(client)


def test_htmx_request_with_an_ended_session_is_told_to_sign_in(app, client, owner, staff):
    sign_in(client, staff.email)
    boss = app.test_client()
    login_as(boss, owner)
    boss.post(f"/users/{staff.id}/edit", data={"name": staff.name, "role": "standard"})
    r = client.get("/clients", headers={"HX-Request": "true", "HX-Target": "client-results"})
    assert r.status_code == 401 and r.headers["HX-Redirect"].startswith("/login")


def test_password_change_ends_other_sessions_and_keeps_this_one(app, client, staff):
    laptop, phone = client, app.test_client()
    sign_in(laptop, staff.email)
    sign_in(phone, staff.email, ip="10.0.0.2")
    before = cookie(laptop)
    r = laptop.post("/account/password", data={"current": PASSWORD, "password": "a new secret",
                                                "confirm": "a new secret"})
    assert r.status_code == 303 and r.headers["Location"] == "/account/password"
    assert "Other sessions are signed out." in laptop.get("/account/password").text
    assert signed_in(laptop)
    assert not signed_in(phone)
    assert not signed_in(with_cookie(app, before))  # this browser's own cookie from before too
    db.session.expire_all()
    user = db.session.get(User, staff.id)
    assert user.session_generation == 1
    events = db.session.scalars(select(ActivityEvent.action)
                                .where(ActivityEvent.user_id == staff.id)).all()
    assert events == ["password_changed"]
    laptop.post("/logout")
    assert sign_in(laptop, staff.email).status_code == 422
    assert sign_in(laptop, staff.email, "a new secret").status_code == 303


@pytest.mark.parametrize("data, message", [
    ({"current": "wrong one!", "password": "a new secret", "confirm": "a new secret"},
     "The current password is not right."),
    ({"current": PASSWORD, "password": "short", "confirm": "short"},
     "The password must have 8 to 500 characters."),
    ({"current": PASSWORD, "password": "a new secret", "confirm": "another secret"},
     "The two passwords differ."),
    ({"current": "", "password": "a new secret", "confirm": "a new secret"},
     "This field is required."),
])
def test_password_change_refused_changes_nothing(app, client, staff, data, message):
    other = app.test_client()
    sign_in(client, staff.email)
    sign_in(other, staff.email, ip="10.0.0.2")
    r = client.post("/account/password", data=data)
    assert r.status_code == 422 and message in r.text
    assert signed_in(client) and signed_in(other)
    db.session.expire_all()
    assert check_password_hash(db.session.get(User, staff.id).password_hash, PASSWORD)


def test_password_page_full_and_linked_from_every_page(staff_client):
    r = staff_client.get("/account/password")
    assert r.status_code == 200 and "<html" in r.text and 'name="current"' in r.text
    assert 'href="/account/password"' in staff_client.get("/clients").text


def test_admin_setting_a_password_signs_the_user_out(app, client, admin, staff):
    sign_in(client, staff.email)
    boss = app.test_client()
    login_as(boss, admin)
    r = boss.post(f"/users/{staff.id}/edit", data={"name": staff.name, "role": "standard",
                                                   "active": "y", "password": "from the admin"})
    assert r.status_code == 303
    assert not signed_in(client)
    assert sign_in(client, staff.email, "from the admin").status_code == 303


@pytest.mark.parametrize("user_id", ["abc", "1:x", "1:", ":1", "1:2:3", "-1", ""])
def test_malformed_session_ids_are_refused(client, staff, user_id):
    with client.session_transaction() as sess:
        sess["_user_id"] = user_id.replace("1", str(staff.id))
    assert not signed_in(client)


def test_a_cookie_from_a_later_generation_is_refused(client, staff):
    """Only the user's current generation signs in: a guessed higher one does not."""
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{staff.id}:5"
    assert not signed_in(client)
