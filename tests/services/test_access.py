"""Access, through the services: each role's rights, custom roles, the last owner, only owners
touching owners, invites (single use, expiring, e-mailed over real SMTP) and recorded events."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update
from werkzeug.security import check_password_hash

from cone.services import access, rights, users
from cone.services.models import ActivityEvent, Invite, Role, User, db, utcnow
from tests.helpers import add_user, flask_db

R = ["view_all_clients", "create_clients", "bulk_import", "edit_others_clients",
     "archive_delete", "manage_contacts", "manage_users", "manage_integrations", "see_activity",
     "manage_owners", "manage_secrets"]
# The table docs/DESIGN.md shows, written out here so a change to a role is a change to this test
TABLE = {  # owner, admin, standard, restricted
    "view_all_clients":    (1, 1, 1, 0),
    "create_clients":      (1, 1, 1, 0),
    "bulk_import":         (1, 1, 0, 0),
    "edit_others_clients": (1, 1, 1, 1),
    "archive_delete":      (1, 1, 1, 0),
    "manage_contacts":     (1, 1, 1, 1),
    "manage_users":        (1, 1, 0, 0),
    "manage_integrations": (1, 1, 0, 0),
    "see_activity":        (1, 1, 1, 0),
    "manage_owners":       (1, 0, 0, 0),
    "manage_secrets":      (1, 0, 0, 0),
}
ROLES = ("owner", "admin", "standard", "restricted")


def link_for(token: str) -> str:
    return f"https://cone.example/invite/{token}"


def events(action: str) -> list[ActivityEvent]:
    return list(db.session.scalars(select(ActivityEvent).where(ActivityEvent.action == action)
                                   .order_by(ActivityEvent.id)))


def test_the_rights_list_is_the_table():
    assert list(rights.RIGHTS) == R == list(TABLE)
    assert all(rights.RIGHTS[r] for r in R)  # every right has a label


@pytest.mark.parametrize("right", R)
@pytest.mark.parametrize("column, role", list(enumerate(ROLES)))
def test_rights_per_built_in_role(app_ctx, role, column, right):
    user = add_user(f"{role}@example.com", role)
    assert user.can(right) is bool(TABLE[right][column])


@pytest.mark.parametrize("role, admin", [("owner", True), ("admin", True), ("standard", False),
                                         ("restricted", False), ("staff", False)])
def test_is_admin_for_owner_and_admin_and_staff_means_standard(app_ctx, role, admin):
    user = add_user("u@example.com", role)
    assert user.is_admin is admin
    if role == "staff":
        assert user.granted_rights == rights.BUILTIN_ROLES["standard"][1]


def test_unknown_role_grants_nothing(app_ctx):
    assert add_user("u@example.com", "cdeadbeef").granted_rights == frozenset()


# Custom roles

def test_custom_role_grants_exactly_its_rights_and_changes_apply_at_once(app_ctx, admin):
    role = access.create_role(" Bookkeeper ", ["manage_contacts", "create_clients"], acting=admin)
    assert role.name == "Bookkeeper" and role.rights == ["create_clients", "manage_contacts"]
    assert len(role.key) <= 10 and role.key not in rights.BUILTIN_ROLES
    user, _ = users.create_user("book@example.com", role=role.key, password="x" * 8)
    assert user.granted_rights == {"create_clients", "manage_contacts"}
    assert not user.is_admin and not user.can("view_all_clients")
    access.update_role(role, "Senior bookkeeper", ["view_all_clients"], acting=admin)
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.granted_rights == {"view_all_clients"}
    assert user.role == role.key  # renaming touches no user row
    assert [e.action for e in events("role_created") + events("role_changed")] == [
        "role_created", "role_changed"]


@pytest.mark.parametrize("name, granted, message", [
    ("Owner", [], "built-in role's name"), ("staff", [], "built-in role's name"),
    ("", [], "needs a name"), ("Boss", ["manage_owners"], "cannot be given"),
    ("Boss", ["manage_secrets"], "cannot be given"), ("Boss", ["fly"], "cannot be given"),
    ("Bad\u0007name", [], "control character"),
])
def test_custom_role_refusals(app_ctx, admin, name, granted, message):
    with pytest.raises(users.UserError, match=message):
        access.create_role(name, granted, acting=admin)
    assert db.session.scalar(select(func.count(Role.id))) == 0


def test_custom_role_names_are_unique_whatever_the_case(app_ctx, admin):
    access.create_role("Payroll", [], acting=admin)
    with pytest.raises(users.UserError, match="already exists"):
        access.create_role("PAYROLL", [], acting=admin)


def test_a_role_in_use_cannot_be_deleted(app_ctx, admin):
    role = access.create_role("Payroll", ["manage_contacts"], acting=admin)
    holder = add_user("pay@example.com", role.key)
    with pytest.raises(access.RoleInUse, match="held by 1 user"):
        access.delete_role(role, acting=admin)
    holder.role = "standard"
    db.session.commit()
    access.invite("new@example.com", role.key, acting=admin, link_for=link_for)
    with pytest.raises(access.RoleInUse, match="1 open invite"):
        access.delete_role(role, acting=admin)
    access.withdraw_invite(db.session.scalar(select(Invite.id)), acting=admin)
    access.delete_role(role, acting=admin)
    assert db.session.scalar(select(func.count(Role.id))) == 0
    assert len(events("role_deleted")) == 1


def test_only_users_who_manage_users_change_roles(app_ctx, staff):
    with pytest.raises(access.Forbidden):
        access.create_role("Mine", [], acting=staff)


# The last owner, and owners made only by owners

def test_last_owner_cannot_be_demoted_or_deactivated(app_ctx, owner):
    for change in ({"role": "admin", "active": True}, {"role": "owner", "active": False}):
        with pytest.raises(access.LastOwner, match="last active owner"):
            access.update_user(owner, name=owner.name, acting=owner, **change)
    other = add_user("second@example.com", "owner")
    access.update_user(owner, name=owner.name, role="admin", active=True, acting=other)
    with pytest.raises(access.LastOwner):
        access.update_user(other, name=other.name, role="standard", active=True, acting=other)
    db.session.expire_all()
    assert {u.email: u.role for u in db.session.scalars(select(User))} == {
        "owner@example.com": "admin", "second@example.com": "owner"}


def test_last_owner_cannot_be_removed(app_ctx, owner):
    with pytest.raises(access.LastOwner):
        access.delete_user(owner, acting=owner)
    second = add_user("second@example.com", "owner")
    with pytest.raises(access.Forbidden, match="cannot remove yourself"):
        access.delete_user(owner, acting=owner)
    access.delete_user(owner, acting=second)
    with pytest.raises(access.LastOwner):
        access.delete_user(second, acting=second)
    assert db.session.get(User, second.id) is not None


def test_a_deactivated_owner_does_not_count(app_ctx, owner):
    gone = add_user("gone@example.com", "owner", active=False)
    assert gone.role == "owner"
    with pytest.raises(access.LastOwner):
        access.update_user(owner, name=owner.name, role="admin", active=True, acting=owner)


def test_an_owner_steps_down_when_another_remains(app_ctx, owner):
    add_user("second@example.com", "owner")
    access.update_user(owner, name=owner.name, role="admin", active=True, acting=owner)
    assert owner.role == "admin"
    [event] = events("user_changed")
    assert event.user_id == owner.id and "Owner → Admin" in event.summary
    assert event.changes == [{"field": "role", "before": "owner", "after": "admin"}]


@pytest.mark.parametrize("target_role, new_role", [("standard", "owner"), ("owner", "standard"),
                                                    ("owner", "owner")])
def test_only_owners_make_or_change_owners(app_ctx, owner, admin, target_role, new_role):
    target = add_user("t@example.com", target_role, "Tess Target")
    with pytest.raises(access.Forbidden, match="Only an owner"):
        access.update_user(target, name="Renamed", role=new_role, active=True, acting=admin)
    db.session.expire_all()
    assert (target.role, target.name) == (target_role, "Tess Target")
    access.update_user(target, name="Renamed", role=new_role, active=True, acting=owner)
    assert target.role == new_role


def test_admins_cannot_invite_owners_or_deactivate_them(app_ctx, owner, admin):
    with pytest.raises(access.Forbidden):
        access.invite("boss@example.com", "owner", acting=admin, link_for=link_for)
    with pytest.raises(access.Forbidden):
        access.update_user(owner, name=owner.name, role="owner", active=False, acting=admin)
    with pytest.raises(access.Forbidden):
        access.set_password(owner, "taken over", acting=admin)
    assert "owner" not in [c.key for c in access.choices(admin)]
    assert [c.key for c in access.choices(owner)][:4] == list(ROLES)


def test_nobody_deactivates_themself(app_ctx, admin):
    with pytest.raises(access.Forbidden, match="cannot deactivate yourself"):
        access.update_user(admin, name=admin.name, role="admin", active=False, acting=admin)


def test_deactivating_ends_sessions_and_is_recorded(app_ctx, owner, staff):
    access.update_user(staff, name=staff.name, role="standard", active=False, acting=owner)
    assert staff.session_generation == 1 and staff.get_id() == f"{staff.id}:1"
    [event] = events("user_changed")
    assert event.user_id == owner.id and "deactivated" in event.summary
    access.update_user(staff, name=staff.name, role="standard", active=True, acting=owner)
    assert staff.session_generation == 1  # reactivating starts no new generation


def test_remove_a_user_without_history_only(app_ctx, owner, staff, make_client):
    access.delete_user(staff, acting=owner)
    assert db.session.scalar(select(User).where(User.email == "staff@example.com")) is None
    kept = add_user("kept@example.com", "standard")
    make_client(user=kept)
    with pytest.raises(users.UserError, match="deactivate them instead"):
        access.delete_user(kept, acting=owner)
    assert db.session.get(User, kept.id) is not None
    assert [e.summary for e in events("user_removed")] == ["staff@example.com: removed"]


# Invites

def test_invite_link_is_single_use_and_only_its_hash_is_stored(app_ctx, admin):
    sent = access.invite(" Nia@Example.com ", "restricted", acting=admin, link_for=link_for)
    token = sent.link.rsplit("/", 1)[1]
    assert sent.link.startswith("https://cone.example/invite/") and len(token) >= 40
    assert not sent.emailed and sent.mail_error is None
    row = db.session.scalar(select(Invite))
    assert row.email == "nia@example.com" and row.role == "restricted"
    assert token not in (row.token_hash, row.email) and len(row.token_hash) == 64
    assert row.expires_at - row.created_at == timedelta(days=7)
    user = access.accept_invite(token, name="Nia Ní Bhriain", password="her own secret")
    assert (user.email, user.role, user.name) == ("nia@example.com", "restricted",
                                                  "Nia Ní Bhriain")
    assert check_password_hash(user.password_hash, "her own secret")
    with pytest.raises(access.InvalidInvite, match="already been used"):
        access.accept_invite(token, name="Someone Else", password="another secret")
    with pytest.raises(access.InvalidInvite, match="already been used"):
        access.find_invite(token)
    assert db.session.scalar(select(func.count(User.id))) == 2
    assert [e.action for e in db.session.scalars(select(ActivityEvent).order_by(
        ActivityEvent.id))] == ["user_invited", "user_joined"]


def test_invite_expires(app_ctx, admin):
    made = utcnow() - timedelta(days=7, seconds=1)
    sent = access.invite("late@example.com", "standard", acting=admin, link_for=link_for,
                         now=made)
    token = sent.link.rsplit("/", 1)[1]
    assert access.find_invite(token, now=made + timedelta(days=6, hours=23)).id == sent.invite.id
    with pytest.raises(access.InvalidInvite, match="expired"):
        access.accept_invite(token, name="Late", password="long enough")
    assert users.get_by_email("late@example.com") is None


@pytest.mark.parametrize("token", ["", "nonsense", "x" * 200])
def test_unknown_invite_link(app_ctx, token):
    with pytest.raises(access.InvalidInvite, match="not valid"):
        access.find_invite(token)


def test_a_new_invite_withdraws_the_earlier_one(app_ctx, admin):
    first = access.invite("twice@example.com", "standard", acting=admin, link_for=link_for)
    second = access.invite("twice@example.com", "admin", acting=admin, link_for=link_for)
    with pytest.raises(access.InvalidInvite, match="withdrawn"):
        access.find_invite(first.link.rsplit("/", 1)[1])
    user = access.accept_invite(second.link.rsplit("/", 1)[1], name="Twice", password="x" * 8)
    assert user.role == "admin"


def test_invite_refusals(app_ctx, admin, staff):
    with pytest.raises(users.UserError, match="already has an account"):
        access.invite("STAFF@example.com", "standard", acting=admin, link_for=link_for)
    with pytest.raises(users.UserError, match="Role must be one of"):
        access.invite("x@example.com", "superuser", acting=admin, link_for=link_for)
    with pytest.raises(access.Forbidden):
        access.invite("x@example.com", "standard", acting=staff, link_for=link_for)
    assert db.session.scalar(select(func.count(Invite.id))) == 0


def test_invite_to_a_custom_role_whose_role_was_deleted_cannot_be_used(app_ctx, admin):
    role = access.create_role("Temp", [], acting=admin)
    sent = access.invite("t@example.com", role.key, acting=admin, link_for=link_for)
    db.session.delete(role)  # bypassing delete_role, as a restore of an older backup might
    db.session.commit()
    with pytest.raises(users.UserError, match="Role must be one of"):
        access.accept_invite(sent.link.rsplit("/", 1)[1], name="T", password="x" * 8)
    assert users.get_by_email("t@example.com") is None


def test_invite_is_emailed_through_a_real_smtp_server(app_ctx, admin, smtp_server):
    host, port, mailbox = smtp_server
    settings = access.settings_from({"MAIL_SERVER": host, "MAIL_PORT": str(port),
                                     "MAIL_DEFAULT_SENDER": "Cone <cone@firm.example>"})
    sent = access.invite("ola@example.com", "standard", acting=admin, link_for=link_for,
                         mail_settings=settings)
    assert sent.emailed and sent.mail_error is None
    [message] = mailbox.messages
    assert message["To"] == "ola@example.com" and message["From"] == "Cone <cone@firm.example>"
    assert message["Subject"] == "You are invited to Cone"
    body = message.get_content()
    assert sent.link in body and "Ada Admin" in body and "Standard" in body


def test_smtp_failure_keeps_the_invite_and_says_why(app_ctx, admin, closed_port):
    settings = access.settings_from({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": closed_port})
    sent = access.invite("ola@example.com", "standard", acting=admin, link_for=link_for,
                         mail_settings=settings)
    assert not sent.emailed and "could not be sent" in sent.mail_error
    assert access.find_invite(sent.link.rsplit("/", 1)[1]).email == "ola@example.com"


@pytest.mark.parametrize("config, expected", [
    ({}, None),
    ({"MAIL_SERVER": "smtp.example"}, access.MailSettings("smtp.example", 25, "cone@localhost")),
    ({"MAIL_SERVER": "smtp.example", "MAIL_USE_SSL": "1", "MAIL_USERNAME": "u",
      "MAIL_PASSWORD": "p"},
     access.MailSettings("smtp.example", 465, "cone@localhost", "u", "p", tls=True)),
    ({"MAIL_SERVER": "smtp.example", "MAIL_PORT": "587", "MAIL_USE_TLS": "true",
      "MAIL_USE_SSL": "0"},
     access.MailSettings("smtp.example", 587, "cone@localhost", starttls=True)),
])
def test_mail_settings_from_config(config, expected):
    assert access.settings_from(config) == expected


def test_two_owners_stepping_down_at_once_leave_one(app, app_ctx):
    """Each of two owners demotes themself in their own thread, at the same moment, ten times
    over: one always stays owner, and the other is told, never an error."""
    first, second = add_user("a@example.com", "owner"), add_user("b@example.com", "owner")
    ids = (first.id, second.id)
    for _round in range(10):
        barrier, outcomes = threading.Barrier(2), []

        def step_down(user_id):
            with app.app_context():
                me = db.session.get(User, user_id)
                barrier.wait()
                try:
                    access.update_user(me, name=me.name, role="admin", active=True, acting=me)
                    outcomes.append("demoted")
                except access.LastOwner:
                    outcomes.append("last owner")
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=step_down, args=(i,)) for i in ids]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(outcomes) == ["demoted", "last owner"]
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).where(User.role == "owner")) == 1
        db.session.execute(update(User).where(User.id.in_(ids)).values(role="owner"))
        db.session.commit()


@pytest.mark.slow
def test_migration_0008_maps_old_roles_and_back(migrating_app):
    """staff becomes standard and admin becomes owner (admins could do all owners do now);
    the downgrade maps them back, custom roles included."""
    flask_db(migrating_app, "upgrade", "0007")
    with migrating_app.app_context():
        db.session.execute(text(
            "INSERT INTO \"user\" (email, name, password_hash, role, active, created_at) VALUES "
            "('a@x.test', 'A', 'h', 'admin', true, CURRENT_TIMESTAMP), "
            "('s@x.test', 'S', 'h', 'staff', true, CURRENT_TIMESTAMP)"))
        db.session.commit()
    flask_db(migrating_app, "upgrade")
    with migrating_app.app_context():
        rows = db.session.execute(text(
            'SELECT email, role, session_generation FROM "user" ORDER BY email')).all()
        assert [tuple(r) for r in rows] == [("a@x.test", "owner", 0), ("s@x.test", "standard", 0)]
        db.session.execute(text(
            "INSERT INTO \"user\" (email, name, password_hash, role, active, created_at, "
            "session_generation) VALUES ('r@x.test', 'R', 'h', 'restricted', true, "
            "CURRENT_TIMESTAMP, 0), ('c@x.test', 'C', 'h', 'c0badcafe', true, "
            "CURRENT_TIMESTAMP, 2)"))
        db.session.commit()
        db.session.remove()
    flask_db(migrating_app, "downgrade", "0007")
    with migrating_app.app_context():
        rows = db.session.execute(text('SELECT email, role FROM "user" ORDER BY email')).all()
        db.session.remove()
    assert [tuple(r) for r in rows] == [("a@x.test", "admin"), ("c@x.test", "staff"),
                                        ("r@x.test", "staff"), ("s@x.test", "staff")]
