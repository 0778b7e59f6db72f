"""Cone: a self-hosted client register for accounting practices."""
import sqlite3
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from cone import filters, web
from cone.auth import bp as auth_bp
from cone.cli import cone_cli
from cone.clients import bp as clients_bp
from cone.contacts import bp as contacts_bp
from cone.imports import bp as imports_bp
from cone.integrations import bp as integrations_bp
from cone.config import from_env
from cone.extensions import csrf, db, htmx, login_manager, migrate
from cone.services.search import index as search_index
from cone.services.models import render_alembic_item

ROOT = Path(__file__).resolve().parent.parent


def _sqlite_pragmas(dbapi_conn, _record):
    # WAL lets readers and one writer work together; SQLite leaves foreign keys off by default
    if isinstance(dbapi_conn, sqlite3.Connection):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.close()


def create_app(config: dict | None = None, *, providers: dict | None = None) -> Flask:
    """Build the application: config, extensions, blueprints, CLI."""
    app = Flask(__name__, instance_path=str(ROOT / "instance"),
                template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    app.config.from_mapping(from_env(app.instance_path))
    app.config.from_mapping(config or {})
    Path(app.instance_path).mkdir(exist_ok=True)

    if not event.contains(Engine, "connect", _sqlite_pragmas):
        event.listen(Engine, "connect", _sqlite_pragmas)
    db.init_app(app)
    search_index.install(db.metadata)
    # render_as_batch: SQLite can only ALTER tables by copying them
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True,
                     compare_type=True, render_item=render_alembic_item,
                     include_object=search_index.include_object)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    htmx.init_app(app)
    app.extensions["cone.providers"] = providers or {}
    app.jinja_env.add_extension("jinja2.ext.do")

    for bp in (auth_bp, clients_bp, contacts_bp, imports_bp, integrations_bp):
        app.register_blueprint(bp)

    filters.init_app(app)
    web.init_app(app)
    app.cli.add_command(cone_cli)
    return app
