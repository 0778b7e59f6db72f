"""Migration 0004 on a database that already has clients: indexes made, search index exact."""
import pytest
from sqlalchemy import inspect, text

from cone.services.search import integrity
from cone.services.models import db
from cone.services.search import ClientQuery, search_clients
from tests.helpers import flask_db

pytestmark = pytest.mark.slow


def test_upgrade_to_0004_keeps_existing_clients_searchable(migrating_app):
    flask_db(migrating_app, "upgrade", "0003")
    with migrating_app.app_context():
        db.session.execute(text(
            "INSERT INTO client (id, kind, status, display_name, phone, created_at, updated_at,"
            " version) VALUES (1, 'business', 'customer', 'Older Widgets Ltd', '07700 900123',"
            " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"))
        db.session.commit()
        db.engine.dispose()
    flask_db(migrating_app, "upgrade")
    with migrating_app.app_context():
        indexes = {i["name"] for i in inspect(db.engine).get_indexes("client")}
        assert "ix_client_list_unmanaged" in indexes
        assert integrity.mismatches(db.session) == []
        for q in ("older widg", "07700 9", "07700900123"):
            rows = search_clients(ClientQuery(q=q)).rows
            assert [r.display_name for r in rows] == ["Older Widgets Ltd"]
        db.session.remove()
        db.engine.dispose()
