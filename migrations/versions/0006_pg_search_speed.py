"""PostgreSQL list search: trigram index of the search documents; index of archived clients;
the name order in the search table (pg_sort.py), filled for every existing document

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 08:00:00

"""
from alembic import op

from cone.services.search import index as search_index
from cone.services.search import pg_sort

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# made by this revision on PostgreSQL, with pg_sort's; SQLite gets nothing new
ADDED = ("ix_client_list_archived", "ix_client_search_trgm")


def upgrade():
    bind = op.get_bind()
    search_index.create_list_indexes(bind)
    if bind.dialect.name == "postgresql":
        # the planner's estimate for trigram searches comes from the statistics ANALYZE
        # gathers on the new index's expression; without them it guesses
        bind.exec_driver_sql("ANALYZE client_search")


def downgrade():
    # pg_trgm stays: other database objects may use it
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        pg_sort.drop(bind, search_index.TABLE)
        for name in ADDED:
            bind.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
