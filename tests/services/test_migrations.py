"""Alembic migrations: upgrade from empty, downgrade to base, upgrade again, and no drift."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from cone.services.search import index as search_index
from cone.services.models import db
from tests.helpers import flask_db

pytestmark = pytest.mark.slow


def tables(app) -> set[str]:
    with app.app_context():
        # the search index's own tables (FTS5 and its shadows) are not models
        names = {n for n in inspect(db.engine).get_table_names()
                 if not search_index.is_index_object(n)}
        db.engine.dispose()
    return names


def drift(app) -> list:
    """What autogenerate would write: the differences between models and database."""
    with app.app_context(), db.engine.connect() as conn:
        config = app.extensions["migrate"].configure_args
        context = MigrationContext.configure(conn, opts={
            "compare_type": config["compare_type"], "render_as_batch": config["render_as_batch"],
            "include_object": config["include_object"], "target_metadata": db.metadata})
        return compare_metadata(context, db.metadata)


def test_upgrade_downgrade_upgrade_and_no_drift(migrating_app):
    model_tables = set(db.metadata.tables)
    flask_db(migrating_app, "upgrade")
    assert tables(migrating_app) == model_tables | {"alembic_version"}
    assert drift(migrating_app) == []

    flask_db(migrating_app, "downgrade", "base")
    assert tables(migrating_app) <= {"alembic_version"}

    flask_db(migrating_app, "upgrade")
    assert tables(migrating_app) == model_tables | {"alembic_version"}
    assert drift(migrating_app) == []
    with migrating_app.app_context(), db.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    assert current == tuple(script(migrating_app).get_heads())


def script(app) -> ScriptDirectory:
    with app.app_context():
        return ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())


def test_migrations_have_one_head(migrating_app):
    assert len(script(migrating_app).get_heads()) == 1
