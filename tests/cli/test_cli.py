"""`flask cone …` commands: create-user, ensure-admin and seed-demo."""
import re
from collections import Counter

import pytest
from sqlalchemy import func, select, text
from stdnum.gb import utr, vat
from werkzeug.security import check_password_hash

from cone.services import demo

from cone.services.search import bulk_load, integrity
from cone.services.search import ClientQuery, search_clients
from cone.services.models import (ActivityEvent, Client, ClientContact, Contact, User,
                                  client_tags, db)
from tests.helpers import add_user

NI_NUMBER = re.compile(r"^(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$")
COMPANY_NUMBER = re.compile(r"^(\d{8}|(SC|NI|OC|SO|NC)\d{6})$")
POSTCODE = re.compile(r"^[A-Z]{1,2}\d{1,2} \d[A-Z]{2}$")


def cone(runner, *args):
    return runner.invoke(args=["cone", *args])


def user(email) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def test_create_user_with_password(runner, app_ctx):
    r = cone(runner, "create-user", "Ann@Example.com", "--role", "admin", "--password",
             "long enough", "--name", "Ann Admin")
    assert r.exit_code == 0 and "Created admin ann@example.com." in r.output
    assert "Password:" not in r.output
    made = user("ann@example.com")
    assert made.name == "Ann Admin" and made.role == "admin" and made.active
    assert check_password_hash(made.password_hash, "long enough")


def test_create_user_generates_and_prints_password(runner, app_ctx):
    r = cone(runner, "create-user", "sam@example.com", "--role", "staff")
    assert r.exit_code == 0
    password = re.search(r"Password: (\S+)", r.output).group(1)
    assert check_password_hash(user("sam@example.com").password_hash, password)


def test_create_user_duplicate_fails_clearly(runner, app_ctx):
    add_user("sam@example.com", "staff")
    r = cone(runner, "create-user", "SAM@example.com", "--role", "admin", "--password", "x" * 10)
    assert r.exit_code == 1
    assert "Error: A user with e-mail sam@example.com already exists." in r.output
    assert db.session.scalar(select(func.count(User.id))) == 1


@pytest.mark.parametrize("role, stored, admin", [
    ("owner", "owner", True), ("admin", "admin", True), ("standard", "standard", False),
    ("restricted", "restricted", False), ("staff", "standard", False)])
def test_create_user_roles(runner, app_ctx, role, stored, admin):
    """Every built-in role, and the old name staff, which means standard."""
    r = cone(runner, "create-user", f"{role}@example.com", "--role", role, "--password",
             "long enough")
    assert r.exit_code == 0 and f"Created {stored} {role}@example.com." in r.output
    made = user(f"{role}@example.com")
    assert made.role == stored and made.is_admin is admin
    assert made.can("manage_owners") is (role == "owner")


@pytest.mark.parametrize("role", ["superuser", "Owner", ""])
def test_create_user_bad_role(runner, app_ctx, role):
    r = cone(runner, "create-user", "x@example.com", "--role", role)
    assert r.exit_code == 2 and "Invalid value for '--role'" in r.output
    assert user("x@example.com") is None


def test_create_user_short_password(runner, app_ctx):
    r = cone(runner, "create-user", "x@example.com", "--role", "staff", "--password", "short")
    assert r.exit_code == 1 and "at least 8 characters" in r.output
    assert user("x@example.com") is None


def test_create_user_bad_email(runner):
    r = cone(runner, "create-user", "not-an-address", "--role", "staff")
    assert r.exit_code == 1 and "is not an e-mail address" in r.output


def test_ensure_admin_prints_credentials_once(runner, app_ctx):
    r = cone(runner, "ensure-admin")
    assert r.exit_code == 0
    email, password = re.search(r"Created the first owner: (\S+) / password: (\S+)",
                                r.output).groups()
    owner = user(email)
    assert owner.role == "owner" and check_password_hash(owner.password_hash, password)
    again = cone(runner, "ensure-admin")
    assert again.exit_code == 0 and "An owner or admin account already exists." in again.output
    assert password not in again.output
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_ensure_admin_leaves_existing_admin_alone(runner, admin):
    r = cone(runner, "ensure-admin")
    assert r.exit_code == 0 and "already exists" in r.output and "password" not in r.output


def test_seed_demo_creates_clients_with_contacts(runner, admin, staff):
    r = cone(runner, "seed-demo", "--clients", "300", "--seed", "7")
    assert r.exit_code == 0, r.output
    assert "Added 300 demo clients." in r.output
    clients = db.session.scalars(select(Client)).all()
    assert len(clients) == 300
    assert db.session.scalar(select(func.count(ActivityEvent.id))) == 0
    links = db.session.scalars(select(ClientContact)).all()
    per_client = Counter(link.client_id for link in links)
    primaries = Counter(link.client_id for link in links if link.is_primary)
    assert set(per_client) == {c.id for c in clients}
    assert set(per_client.values()) <= {1, 2, 3}
    assert set(primaries.values()) == {1} and len(primaries) == 300
    # some contacts work for several clients (a bookkeeper, a shared director)
    assert max(Counter(link.contact_id for link in links).values()) > 1
    kinds = Counter(c.kind for c in clients)
    assert 0.55 < kinds["business"] / 300 < 0.85
    assert {c.manager_id for c in clients} <= {admin.id, staff.id}
    assert {c.partner_id for c in clients} == {admin.id}
    assert db.session.scalar(select(func.count()).select_from(client_tags)) > 0
    for c in clients:
        check_client(c)


def check_client(c: Client) -> None:
    assert c.display_name and c.version == 1 and c.status in ("customer", "prospect")
    assert c.created_at <= c.updated_at
    assert c.primary_contact is not None and c.primary_contact.first_name
    if c.kind == "business":
        assert c.display_name == c.legal_name
        assert c.entity_type in ("limited_company", "llp", "plc", "partnership", "sole_trader",
                                 "charity")
        assert POSTCODE.match(c.registered_address.postcode)
        if c.company_number:
            assert COMPANY_NUMBER.match(c.company_number)
            assert utr.is_valid(c.ct_utr) and c.incorporation_date and c.sic_codes
        if c.entity_type == "limited_company":
            assert c.legal_name.endswith((" Ltd", " Limited")) and c.company_number
        if c.vat_number:
            assert c.vat_number.startswith("GB") and vat.is_valid(c.vat_number)
    else:
        assert c.first_name and c.last_name and c.date_of_birth
        assert NI_NUMBER.match(c.ni_number) and utr.is_valid(c.sa_utr)
        assert POSTCODE.match(c.home_address.postcode)
        assert (c.year_end_day, c.year_end_month) == (5, 4)


def test_seed_demo_is_repeatable_with_a_seed(app_ctx, runner):
    cone(runner, "seed-demo", "--clients", "20", "--seed", "3")
    first = [c.display_name for c in db.session.scalars(select(Client).order_by(Client.id))]
    db.session.execute(ClientContact.__table__.delete())
    db.session.execute(client_tags.delete())
    db.session.execute(Contact.__table__.delete())
    db.session.execute(Client.__table__.delete())
    db.session.commit()
    cone(runner, "seed-demo", "--clients", "20", "--seed", "3")
    again = [c.display_name for c in db.session.scalars(select(Client).order_by(Client.id))]
    assert first == again


def test_seed_demo_twice_adds_more_and_new_rows_still_insert(runner, admin):
    assert cone(runner, "seed-demo", "--clients", "5").exit_code == 0
    assert cone(runner, "seed-demo", "--clients", "7").exit_code == 0
    assert db.session.scalar(select(func.count(Client.id))) == 12
    numbers = [n for n in db.session.scalars(select(Client.company_number)) if n]
    assert len(numbers) == len(set(numbers))
    # ids were assigned in bulk: the database must still hand out fresh ones afterwards
    client = Client(kind="individual", display_name="After Seed", first_name="A", last_name="S")
    db.session.add_all([client, Contact(first_name="After")])
    db.session.commit()
    assert client.id == 13


def test_seed_demo_without_users_leaves_managers_empty(runner, app_ctx):
    assert cone(runner, "seed-demo", "--clients", "10").exit_code == 0
    assert db.session.scalar(select(func.count(Client.id)).where(Client.manager_id.is_not(None))) == 0


@pytest.mark.parametrize("value", ["0", "-3", "ten", ""])
def test_seed_demo_bad_count(runner, app_ctx, value):
    r = cone(runner, "seed-demo", "--clients", value)
    assert r.exit_code != 0 and "Invalid value for '--clients'" in r.output
    assert db.session.scalar(select(func.count(Client.id))) == 0


def test_seed_refuses_bad_counts_directly(app):
    with pytest.raises(demo.DemoError):
        demo.seed(0)
    with pytest.raises(demo.DemoError):
        demo.seed(demo.MAX_CLIENTS + 1)


def test_seed_reports_progress_per_batch(app_ctx):
    seen = []
    assert demo.seed(demo.BATCH + 5, seed=1, progress=seen.append) == demo.BATCH + 5
    assert seen == [demo.BATCH, demo.BATCH + 5]


def test_seed_leaves_the_search_index_exactly_matching_the_rows(app_ctx, admin):
    demo.seed(demo.BATCH + 150, seed=5)
    assert integrity.mismatches(db.session) == []
    assert db.session.scalar(text("SELECT count(*) FROM client_search")) == demo.BATCH + 150
    demo.seed(40, seed=6)  # a second load indexes only its own rows, and all of them
    assert integrity.mismatches(db.session) == []


def test_a_big_load_rebuilds_the_index_whole_and_exactly(app_ctx):
    demo.seed(3, seed=8)
    with bulk_load.bulk_load(db.session, big=5):
        for i in range(6):
            db.session.add(Client(kind="business", display_name=f"Loaded {i} Ltd"))
        db.session.commit()
    assert integrity.mismatches(db.session) == []
    assert search_clients(ClientQuery(q="loaded ltd")).total == 6


def test_index_upkeep_resumes_after_a_seed(app_ctx):
    demo.seed(30, seed=2)
    client = db.session.scalar(select(Client).order_by(Client.id))
    client.display_name = "Zebedee Quux"
    contact = db.session.scalar(select(Contact).order_by(Contact.id.desc()))
    contact.last_name = "Xylophonist"
    db.session.add(Client(kind="business", display_name="Fresh After Seed"))
    db.session.commit()
    assert integrity.mismatches(db.session) == []
    hits = [r.display_name for r in search_clients(ClientQuery(q="zebedee quux")).rows]
    assert hits == ["Zebedee Quux"]
    assert search_clients(ClientQuery(q="xylophonist")).total >= 1
    assert [r.display_name for r in search_clients(ClientQuery(q="fresh after")).rows] == \
        ["Fresh After Seed"]


def test_a_load_that_fails_part_way_still_indexes_what_it_committed(app_ctx):
    with pytest.raises(RuntimeError), bulk_load.bulk_load(db.session):
        db.session.add(Client(kind="business", display_name="Committed Ltd"))
        db.session.commit()
        db.session.add(Client(kind="business", display_name="Never Saved Ltd"))
        raise RuntimeError("the load broke")
    assert [c.display_name for c in db.session.scalars(select(Client))] == ["Committed Ltd"]
    assert integrity.mismatches(db.session) == []
    assert [r.display_name for r in search_clients(ClientQuery(q="committed")).rows] == \
        ["Committed Ltd"]


def test_mismatches_notices_missing_and_stale_documents(app_ctx):
    demo.seed(5, seed=4)
    first, last = db.session.scalars(select(Client.id).order_by(Client.id)).all()[::4]
    key = "rowid" if db.engine.dialect.name == "sqlite" else "client_id"
    with bulk_load.bulk_load(db.session):  # no upkeep inside: the rename leaves a stale document
        db.session.execute(Client.__table__.update().where(Client.id == first)
                           .values(display_name="Renamed Behind The Index"))
    db.session.execute(text(f"DELETE FROM client_search WHERE {key} = :id"), {"id": last})
    assert integrity.mismatches(db.session) == [first, last]
