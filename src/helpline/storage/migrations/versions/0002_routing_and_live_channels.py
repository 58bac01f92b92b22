"""routing and live channels: queue routing settings, agents, capacity profiles, presence log,
who holds an interaction, chat sessions, attachments, message visibility

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "capacity_profiles",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("limits", sa.JSON(), nullable=False),
        sa.Column("exclusive", sa.JSON(), nullable=False),
        sa.Column("interruptible", sa.JSON(), nullable=False),
        sa.Column("max_total", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capacity_profiles")),
        sa.UniqueConstraint("name", name=op.f("uq_capacity_profiles_name")),
    )
    op.create_table(
        "agents",
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("site", sa.String(length=40), server_default="main", nullable=False),
        sa.Column("profile_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("presence", sa.String(length=10), server_default="offline", nullable=False),
        sa.Column("away_reason", sa.String(length=40), nullable=True),
        sa.Column("presence_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["capacity_profiles.id"],
            name=op.f("fk_agents_profile_id_capacity_profiles"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_agents_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_agents")),
    )
    op.create_table(
        "presence_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("presence", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("changed_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by"], ["users.id"], name=op.f("fk_presence_log_changed_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_presence_log_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_presence_log")),
    )
    with op.batch_alter_table("presence_log", schema=None) as batch_op:
        batch_op.create_index("ix_presence_log_user_at", ["user_id", "at"], unique=False)

    op.create_table(
        "attachments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("interaction_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_attachments_interaction_id_interactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_attachments_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachments_interaction_id"), ["interaction_id"], unique=False)

    op.create_table(
        "chat_sessions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("interaction_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_chat_sessions_interaction_id_interactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_chat_sessions_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_chat_sessions_token_hash")),
    )
    op.create_table(
        "interaction_agents",
        sa.Column("interaction_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("phase", sa.String(length=10), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_interaction_agents_interaction_id_interactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_interaction_agents_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_interaction_agents_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("interaction_id", "user_id", name=op.f("pk_interaction_agents")),
    )
    with op.batch_alter_table("interaction_agents", schema=None) as batch_op:
        batch_op.create_index("ix_interaction_agents_user_phase", ["user_id", "phase"], unique=False)

    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("language", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("routing", sa.JSON(), server_default=sa.text("'[]'"), nullable=False))

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("visibility", sa.String(length=10), server_default="all", nullable=False))

    with op.batch_alter_table("queues", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("skills", sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
        batch_op.add_column(sa.Column("strategy", sa.String(length=20), server_default="longest_idle", nullable=False))
        batch_op.add_column(sa.Column("aging_per_minute", sa.Float(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("preferred_wait_seconds", sa.Integer(), server_default="30", nullable=False))
        batch_op.add_column(sa.Column("recent_agent_days", sa.Integer(), server_default="7", nullable=False))
        batch_op.add_column(sa.Column("language_wait_seconds", sa.Integer(), server_default="60", nullable=False))
        batch_op.add_column(sa.Column("relaxation", sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
        batch_op.add_column(sa.Column("overflow", sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
        batch_op.add_column(sa.Column("offer_timeout_seconds", sa.Integer(), server_default="20", nullable=False))
        batch_op.add_column(sa.Column("wrap_up_seconds", sa.Integer(), server_default="60", nullable=False))
        batch_op.add_column(sa.Column("hours", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("service_level_seconds", sa.Integer(), server_default="20", nullable=False))
        batch_op.add_column(sa.Column("service_level_percent", sa.Float(), server_default="80", nullable=False))
        batch_op.add_column(
            sa.Column("leave_message_after_seconds", sa.Integer(), server_default="300", nullable=False)
        )
        batch_op.add_column(sa.Column("disposition_codes", sa.JSON(), server_default=sa.text("'[]'"), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("queues", schema=None) as batch_op:
        batch_op.drop_column("disposition_codes")
        batch_op.drop_column("leave_message_after_seconds")
        batch_op.drop_column("service_level_percent")
        batch_op.drop_column("service_level_seconds")
        batch_op.drop_column("hours")
        batch_op.drop_column("wrap_up_seconds")
        batch_op.drop_column("offer_timeout_seconds")
        batch_op.drop_column("overflow")
        batch_op.drop_column("relaxation")
        batch_op.drop_column("language_wait_seconds")
        batch_op.drop_column("recent_agent_days")
        batch_op.drop_column("preferred_wait_seconds")
        batch_op.drop_column("aging_per_minute")
        batch_op.drop_column("strategy")
        batch_op.drop_column("skills")
        batch_op.drop_column("priority")

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("visibility")

    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_column("routing")
        batch_op.drop_column("language")
        batch_op.drop_column("priority")

    with op.batch_alter_table("interaction_agents", schema=None) as batch_op:
        batch_op.drop_index("ix_interaction_agents_user_phase")

    op.drop_table("interaction_agents")
    op.drop_table("chat_sessions")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_interaction_id"))

    op.drop_table("attachments")
    with op.batch_alter_table("presence_log", schema=None) as batch_op:
        batch_op.drop_index("ix_presence_log_user_at")

    op.drop_table("presence_log")
    op.drop_table("agents")
    op.drop_table("capacity_profiles")
