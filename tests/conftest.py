"""Fixtures: an app on a real database (SQLite by default, TEST_DATABASE_URL for PostgreSQL)."""
import os

import pytest
from sqlalchemy import text
from werkzeug.security import generate_password_hash

from cone import create_app
from cone.services.models import User, db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
PASSWORD = "correct horse battery"
# Cheap hashing keeps the suite fast; production uses werkzeug's default (scrypt)
_FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def database_url(tmp_path) -> str:
    return TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(scope="session")
def _postgres_schema():
    """Create the tables once per run on PostgreSQL; each test then empties them."""
    if not ON_POSTGRES:
        yield
        return
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL})
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def make_app(tmp_path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def app(tmp_path, _postgres_schema):
    app = make_app(tmp_path)
    with app.app_context():
        if ON_POSTGRES:
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            db.session.commit()
        else:
            db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def runner(app):
    """Invokes `flask …` commands against the test app."""
    return app.test_cli_runner()


def add_user(email="admin@example.com", role="admin", name=None, active=True) -> User:
    user = User(email=email, role=role, name=name or email.split("@")[0].title(),
                password_hash=_FAST_HASH, active=active)
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def admin(app):
    return add_user("admin@example.com", "admin", "Ada Admin")


@pytest.fixture
def staff(app):
    return add_user("staff@example.com", "staff", "Sam Staff")


def login_as(client, user):
    with client.session_transaction() as sess:
        sess["_user_id"] = str(user.id)
        sess["_fresh"] = True


@pytest.fixture
def admin_client(client, admin):
    login_as(client, admin)
    return client


@pytest.fixture
def staff_client(client, staff):
    login_as(client, staff)
    return client


def hx(target: str | None = None, **extra) -> dict:
    """Headers of a targeted htmx request."""
    headers = {"HX-Request": "true"}
    if target:
        headers["HX-Target"] = target
    headers.update(extra)
    return headers
