"""client list indexes; search triggers that a bulk load can pause

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 18:30:00

"""
from alembic import op

from cone.services import search_index

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    search_index.create_list_indexes(bind)
    # PostgreSQL: trigger functions that skip their work while search_index.bulk_load() runs
    search_index.install_functions(bind)


def downgrade():
    # the trigger functions stay: the pause check is inert when nothing sets the flag
    search_index.drop_list_indexes(op.get_bind())
