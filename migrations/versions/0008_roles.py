"""roles and rights: custom roles, invites, a session generation per user; staff becomes
standard and every admin an owner (admins could do everything owners alone can now)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('role',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('rights', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role')),
    sa.UniqueConstraint('key', name=op.f('uq_role_key')),
    sa.UniqueConstraint('name', name=op.f('uq_role_name'))
    )
    op.create_table('invite',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['invited_by_id'], ['user.id'], name=op.f('fk_invite_invited_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_invite_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invite')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invite_token_hash'))
    )
    op.create_index(op.f('ix_invite_email'), 'invite', ['email'], unique=False)
    # a plain ADD COLUMN on both engines: copying user would fire its foreign keys' actions
    op.add_column('user', sa.Column('session_generation', sa.Integer(), nullable=False,
                                    server_default='0'))
    op.execute("UPDATE \"user\" SET role = 'standard' WHERE role = 'staff'")
    op.execute("UPDATE \"user\" SET role = 'owner' WHERE role = 'admin'")


def downgrade():
    op.execute("UPDATE \"user\" SET role = 'admin' WHERE role IN ('owner', 'admin')")
    op.execute("UPDATE \"user\" SET role = 'staff' WHERE role <> 'admin'")
    op.execute('ALTER TABLE "user" DROP COLUMN session_generation')
    op.drop_index(op.f('ix_invite_email'), table_name='invite')
    op.drop_table('invite')
    op.drop_table('role')
