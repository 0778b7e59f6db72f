"""imports that keep every customer and can be undone: per-record outcomes (import_record),
run heartbeat and undo, warnings on links, suffix and known-as names for individuals

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('client', sa.Column('suffix', sa.String(length=20), nullable=True))
    op.add_column('client', sa.Column('known_as', sa.String(length=300), nullable=True))
    op.add_column('external_link', sa.Column('warnings', sa.JSON(), nullable=True))
    with op.batch_alter_table('import_run') as batch:
        batch.add_column(sa.Column('warned', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('undo_started_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('undone_by_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_import_run_undone_by_id_user'), 'user',
                                 ['undone_by_id'], ['id'])
    op.create_table('import_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('index', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('link_id', sa.Integer(), nullable=True),
    sa.Column('link_was_new', sa.Boolean(), nullable=False),
    sa.Column('contact_ids', sa.JSON(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('warnings', sa.JSON(), nullable=True),
    sa.Column('undo', sa.String(length=20), nullable=True),
    sa.Column('undo_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_import_record_client_id_client'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['link_id'], ['external_link.id'], name=op.f('fk_import_record_link_id_external_link'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['run_id'], ['import_run.id'], name=op.f('fk_import_record_run_id_import_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_record')),
    sa.UniqueConstraint('run_id', 'index', name=op.f('uq_import_record_run_id'))
    )
    op.create_index(op.f('ix_import_record_client_id'), 'import_record', ['client_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_import_record_client_id'), table_name='import_record')
    op.drop_table('import_record')
    with op.batch_alter_table('import_run') as batch:
        batch.drop_constraint(op.f('fk_import_run_undone_by_id_user'), type_='foreignkey')
        batch.drop_column('undone_by_id')
        batch.drop_column('undone_at')
        batch.drop_column('undo_started_at')
        batch.drop_column('heartbeat_at')
        batch.drop_column('warned')
    # in place on both engines (SQLite 3.35+): copying client would lose the search triggers
    for table, column in (('external_link', 'warnings'), ('client', 'known_as'),
                          ('client', 'suffix')):
        op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
