"""search index integrity: triggers that stay installed and pause per transaction; index repaired

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 07:00:00

"""
from alembic import op

from cone.services.search import index as search_index

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    # Bulk loads before this revision dropped the SQLite triggers while they ran: one that was
    # killed left none, and clients without documents on either engine. The triggers are made
    # again (now with their pause marker), and every document is rewritten from the rows.
    if bind.dialect.name == "sqlite":
        for sql in search_index.sqlite_drop_triggers():
            bind.exec_driver_sql(sql)
    search_index.rebuild_sqlite_table(bind)
    search_index.create(bind)
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql("SELECT cone_search_refresh(ARRAY(SELECT id FROM client))")


def downgrade():
    # triggers as 0004 made them: they cannot read a pause marker that is gone
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for sql in [*search_index.sqlite_drop_triggers(),
                    *search_index.sqlite_create_triggers(pausable=False),
                    f"DROP TABLE IF EXISTS {search_index.PAUSE}"]:
            bind.exec_driver_sql(sql)
