"""schedules: built and published weeks of shifts (schedule_weeks) and their shifts (scheduled_shifts)

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schedule_weeks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("interval_minutes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="draft", nullable=False),
        sa.Column("tenant_ids", sa.JSON(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("built_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["built_by"], ["users.id"], name=op.f("fk_schedule_weeks_built_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_weeks")),
    )
    with op.batch_alter_table("schedule_weeks", schema=None) as batch_op:
        batch_op.create_index("ix_schedule_weeks_week_status", ["week_start", "status"], unique=False)

    op.create_table(
        "scheduled_shifts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("week_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("queue_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("skill_group", sa.String(length=160), nullable=False),
        sa.Column("template", sa.String(length=40), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activities", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["queues.id"], name=op.f("fk_scheduled_shifts_queue_id_queues"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_scheduled_shifts_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_scheduled_shifts_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["week_id"],
            ["schedule_weeks.id"],
            name=op.f("fk_scheduled_shifts_week_id_schedule_weeks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_shifts")),
    )
    with op.batch_alter_table("scheduled_shifts", schema=None) as batch_op:
        batch_op.create_index("ix_scheduled_shifts_tenant_starts", ["tenant_id", "starts_at"], unique=False)
        batch_op.create_index("ix_scheduled_shifts_user_starts", ["user_id", "starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_scheduled_shifts_week_id"), ["week_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("scheduled_shifts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheduled_shifts_week_id"))
        batch_op.drop_index("ix_scheduled_shifts_user_starts")
        batch_op.drop_index("ix_scheduled_shifts_tenant_starts")

    op.drop_table("scheduled_shifts")
    with op.batch_alter_table("schedule_weeks", schema=None) as batch_op:
        batch_op.drop_index("ix_schedule_weeks_week_status")

    op.drop_table("schedule_weeks")
