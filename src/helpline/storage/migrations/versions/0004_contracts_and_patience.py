"""contracts and patience: agents' weekly contracts (agents.contract) and queues' mean caller
patience (queues.patience_seconds), both nullable (None: the default contract; callers who wait)

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contract", sa.JSON(), nullable=True))
    with op.batch_alter_table("queues", schema=None) as batch_op:
        batch_op.add_column(sa.Column("patience_seconds", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("queues", schema=None) as batch_op:
        batch_op.drop_column("patience_seconds")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("contract")
