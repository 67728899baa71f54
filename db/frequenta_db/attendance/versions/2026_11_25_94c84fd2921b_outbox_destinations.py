"""The outbox carries work messages too: each row names its destination, and inserts notify.

- ``event_id`` / ``event_type`` become ``message_id`` / ``message_type`` (a work message has no
  event); ``exchange`` ('events' or 'work') and ``routing_key`` (the event type, or the work
  queue's name without the broker namespace) say where the relay publishes it; ``headers`` and
  ``content_type`` become AMQP properties.
- ``aggregate_id`` (the member, also the ordering key) may be NULL for work messages.
- A statement-level trigger sends ``NOTIFY frequenta_outbox`` at commit, so the relay wakes at
  once instead of waiting for its next poll.

Revision ID: 94c84fd2921b
Revises: 1e04b321c9d1
Create Date: 2026-11-25 07:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "94c84fd2921b"
down_revision: str | None = "1e04b321c9d1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of frequenta_attendance.outbox.NOTIFY_CHANNEL at this revision.
NOTIFY_CHANNEL = "frequenta_outbox"

NOTIFY_FUNCTION = f"""
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{NOTIFY_CHANNEL}', '');
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.alter_column("outbox", "event_id", new_column_name="message_id")
    op.alter_column("outbox", "event_type", new_column_name="message_type")
    op.execute("ALTER TABLE outbox RENAME CONSTRAINT uq_outbox_event_id TO uq_outbox_message_id")
    op.alter_column("outbox", "aggregate_id", nullable=True)

    # Rows written before this revision (none in practice) were all events.
    op.add_column(
        "outbox",
        sa.Column("exchange", sa.Text(), server_default="events", nullable=False),
    )
    op.add_column("outbox", sa.Column("routing_key", sa.String(255), nullable=True))
    op.execute("UPDATE outbox SET routing_key = message_type")
    op.alter_column("outbox", "exchange", server_default=None)
    op.alter_column("outbox", "routing_key", nullable=False)
    op.add_column(
        "outbox",
        sa.Column(
            "content_type",
            sa.String(100),
            server_default="application/x-protobuf",
            nullable=False,
        ),
    )
    op.add_column(
        "outbox",
        sa.Column(
            "headers",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    )
    op.create_check_constraint(
        op.f("ck_outbox_exchange_known"), "outbox", "exchange IN ('events', 'work')"
    )
    # An event is always about a member: that is its ordering key.
    op.create_check_constraint(
        op.f("ck_outbox_event_has_member"),
        "outbox",
        "exchange <> 'events' OR aggregate_id IS NOT NULL",
    )

    op.execute(NOTIFY_FUNCTION)
    op.execute(
        "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox"
        " FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER outbox_notify ON outbox")
    op.execute("DROP FUNCTION outbox_notify()")
    op.drop_constraint(op.f("ck_outbox_event_has_member"), "outbox", type_="check")
    op.drop_constraint(op.f("ck_outbox_exchange_known"), "outbox", type_="check")
    op.execute("DELETE FROM outbox WHERE exchange <> 'events'")
    op.drop_column("outbox", "headers")
    op.drop_column("outbox", "content_type")
    op.drop_column("outbox", "routing_key")
    op.drop_column("outbox", "exchange")
    op.alter_column("outbox", "aggregate_id", nullable=False)
    op.execute("ALTER TABLE outbox RENAME CONSTRAINT uq_outbox_message_id TO uq_outbox_event_id")
    op.alter_column("outbox", "message_type", new_column_name="event_type")
    op.alter_column("outbox", "message_id", new_column_name="event_id")
