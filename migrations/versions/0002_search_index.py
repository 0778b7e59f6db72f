"""client search index: SQLite FTS5 or PostgreSQL tsvector + GIN, kept in step by triggers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 09:00:00

"""
from alembic import op

from cone.services.search import index as search_index

# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    # The DDL lives in one module so db.create_all() (tests) builds exactly the same index
    search_index.create(op.get_bind())


def downgrade():
    search_index.drop(op.get_bind())
