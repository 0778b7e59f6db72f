"""client list indexes; longer FTS5 prefixes; search triggers that a bulk load can pause

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 18:30:00

"""
from alembic import op

from cone.services.search import index as search_index

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    search_index.create_list_indexes(bind)
    # SQLite: FTS5 options are fixed at creation, so the table is made again and refilled
    search_index.rebuild_sqlite_table(bind)
    # PostgreSQL: trigger functions that skip their work while bulk_load.bulk_load() runs
    search_index.install_functions(bind)


def downgrade():
    # the trigger functions and the FTS5 prefixes stay: both are inert for older code
    search_index.drop_list_indexes(op.get_bind())
