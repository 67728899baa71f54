"""The statements of a check-in, the busiest write (docs/http-load.md, "Attendance's write path"),
built once, with named parameters, on the tables rather than the ORM classes: building a
statement, its compilation cache key and an ORM loading context on every request cost more
than a check-in's own work. The repositories execute them (MemberRepository.lock_for_check_in,
VisitRepository.keyed_and_within and add)."""

from functools import cache
from typing import Any

from sqlalchemy import Insert, Select, Sequence, and_, bindparam, insert, or_, select

from frequenta_attendance.models import Member, OutboxMessage, Visit

MEMBERS = Member.__table__
VISITS = Visit.__table__
OUTBOX = OutboxMessage.__table__
# The sequence of the visits' identity column: a check-in draws its visit's id with the
# member's lock, so that its event can carry the id and be written in the visit's statement.
VISIT_ID_SEQUENCE = Sequence("checkins_id_seq")

# The member's row locked as MemberRepository.get(for_update=True) locks it (FOR NO KEY
# UPDATE), what a check-in needs of it, and the id of the visit it may store.
LOCK_MEMBER = (
    select(
        MEMBERS.c.id,
        MEMBERS.c.data_matricula.label("enrolled_at"),
        MEMBERS.c.data_cancelamento.label("cancelled_at"),
        VISIT_ID_SEQUENCE.next_value().label("visit_id"),
    )
    .where(MEMBERS.c.id == bindparam("member_id"))
    .with_for_update(key_share=True)
)

# A visit's columns under the Visit's attribute names.
VISIT_ROW = (
    VISITS.c.id,
    VISITS.c.aluno_id.label("member_id"),
    VISITS.c.data_entrada.label("entered_at"),
    VISITS.c.data_saida.label("exited_at"),
    VISITS.c.origem.label("source"),
    VISITS.c.dispositivo_id.label("device_id"),
    VISITS.c.chave_idempotencia.label("idempotency_key"),
)


@cache
def keyed_and_within(*, bounded: bool, keyed: bool) -> Select[Any]:
    """The member's visits entered from ``since`` (to ``until`` if ``bounded``), and the visit
    stored with ``key`` if ``keyed``, in entry order; parameters ``member_id``, ``since``,
    ``until``, ``key``."""
    within = [
        VISITS.c.aluno_id == bindparam("member_id"),
        VISITS.c.data_entrada >= bindparam("since"),
    ]
    if bounded:
        within.append(VISITS.c.data_entrada <= bindparam("until"))
    condition = and_(*within)
    if keyed:
        condition = or_(condition, VISITS.c.chave_idempotencia == bindparam("key"))
    return select(*VISIT_ROW).where(condition).order_by(VISITS.c.data_entrada)


def _bound(table: Any, columns: tuple[str, ...], prefix: str = "") -> Insert:
    """An INSERT of one row into ``table``, each of ``columns`` from the parameter ``prefix +
    column name``."""
    return insert(table).values(
        {name: bindparam(prefix + name, type_=table.c[name].type) for name in columns}
    )


VISIT_COLUMNS = (
    "id",
    "aluno_id",
    "data_entrada",
    "data_saida",
    "origem",
    "dispositivo_id",
    "chave_idempotencia",
)
# What OutboxRepository.event_row gives.
EVENT_COLUMNS = (
    "message_id",
    "message_type",
    "exchange",
    "routing_key",
    "aggregate_id",
    "content_type",
    "headers",
    "payload",
    "occurred_at",
)
# A visit (parameters named visita_<column>) and the outbox row of its event (parameters named
# as the outbox's columns) in one statement: the visit's INSERT as a data-modifying CTE, which
# PostgreSQL runs whether or not the main statement reads it.
VISIT_AND_EVENT = _bound(OUTBOX, EVENT_COLUMNS).add_cte(
    _bound(VISITS, VISIT_COLUMNS, "visita_").cte("visita")
)
