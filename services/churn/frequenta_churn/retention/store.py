"""Retention work in churn's database: the groups drawn (``retencao_grupos``), the contact log
(``contatos``), and the reads behind the at-risk list's retention columns and the effect
report. Members whose retention state changed are collected in ``changed_members``: the unit of
work bumps their cache versions and the list's after the commit (docs/cache.md)."""

from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from frequenta_churn.models import Contact, RetentionGroup
from frequenta_churn.retention.effect import GroupCounts
from frequenta_churn.retention.status import Group, Outcome

_STATES = text(
    "SELECT u.i, g.grupo, c.registrado_em, c.resultado FROM unnest(CAST(:ids AS bigint[])) u(i)"
    " LEFT JOIN retencao_grupos g ON g.aluno_id = u.i"
    " LEFT JOIN LATERAL (SELECT registrado_em, resultado FROM contatos"
    "  WHERE aluno_id = u.i ORDER BY registrado_em DESC, id DESC LIMIT 1) c ON true"
)
_CONTROL = text("SELECT aluno_id FROM retencao_grupos WHERE grupo = 'controle'")
_UNASSIGNED = text(
    "SELECT u.i FROM unnest(CAST(:ids AS bigint[])) u(i)"
    " WHERE NOT EXISTS (SELECT 1 FROM retencao_grupos g WHERE g.aluno_id = u.i) ORDER BY u.i"
)
_ASSIGN = text(
    "INSERT INTO retencao_grupos (aluno_id, grupo, atribuido_em, probabilidade, versao_modelo)"
    " SELECT i, g, :at, p, :version FROM unnest(CAST(:ids AS bigint[]),"
    " CAST(:groups AS varchar[]), CAST(:probabilities AS float8[])) AS u(i, g, p)"
    " ORDER BY i ON CONFLICT (aluno_id) DO NOTHING RETURNING aluno_id"
)
# Per group: members whose window ended, their cancellations within it, those still followed,
# and (for `contato`) those with a contact within their window.
_EFFECT = text(
    "SELECT g.grupo,"
    " count(*) FILTER (WHERE g.atribuido_em <= :ended),"
    " count(*) FILTER (WHERE g.atribuido_em <= :ended AND a.data_cancelamento >= g.atribuido_em"
    "  AND a.data_cancelamento < g.atribuido_em + :window),"
    " count(*) FILTER (WHERE g.atribuido_em > :ended),"
    " count(*) FILTER (WHERE g.atribuido_em <= :ended AND EXISTS (SELECT 1 FROM contatos c"
    "  WHERE c.aluno_id = g.aluno_id AND c.registrado_em >= g.atribuido_em"
    "  AND c.registrado_em < g.atribuido_em + :window))"
    " FROM retencao_grupos g LEFT JOIN alunos a ON a.id = g.aluno_id GROUP BY g.grupo"
)


class RetentionStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.changed_members: set[int] = set()

    async def add_contact(self, contact: Contact) -> Contact:
        self._session.add(contact)
        await self._session.flush()
        self.changed_members.add(contact.member_id)
        return contact

    async def contacts(self, member_id: int) -> list[Contact]:
        """Newest first."""
        rows = await self._session.scalars(
            select(Contact)
            .where(Contact.member_id == member_id)
            .order_by(Contact.recorded_at.desc(), Contact.id.desc())
        )
        return list(rows)

    async def group_of(self, member_id: int) -> Group | None:
        found = await self._session.get(RetentionGroup, member_id)
        return None if found is None else Group(found.group)

    async def states(
        self, member_ids: Sequence[int]
    ) -> dict[int, tuple[Group | None, datetime | None, Outcome | None]]:
        """Each member's group and latest contact (instant, outcome)."""
        if not member_ids:
            return {}
        rows = await self._session.execute(_STATES, {"ids": list(member_ids)})
        return {
            row[0]: (
                None if row[1] is None else Group(row[1]),
                row[2],
                None if row[3] is None else Outcome(row[3]),
            )
            for row in rows
        }

    async def control_members(self) -> np.ndarray:
        rows = await self._session.execute(_CONTROL)
        return np.fromiter((row[0] for row in rows), dtype=np.int64)

    async def unassigned(self, member_ids: Sequence[int]) -> list[int]:
        rows = await self._session.execute(_UNASSIGNED, {"ids": list(member_ids)})
        return [row[0] for row in rows]

    async def assign(
        self,
        groups: dict[int, Group],
        probabilities: dict[int, float],
        *,
        at: datetime,
        version: str,
    ) -> list[int]:
        """Insert the drawn groups (a member already drawn keeps theirs); the members added."""
        ids = sorted(groups)
        if not ids:
            return []
        rows = await self._session.execute(
            _ASSIGN,
            {
                "ids": ids,
                "groups": [str(groups[i]) for i in ids],
                "probabilities": [probabilities[i] for i in ids],
                "at": at,
                "version": version,
            },
        )
        added = [row[0] for row in rows]
        self.changed_members.update(added)
        return added

    async def effect_counts(
        self, now: datetime, follow_up_days: int
    ) -> tuple[dict[Group, GroupCounts], int]:
        """Per group, the counts of the effect report; and the contacted members of `contato`."""
        window = timedelta(days=follow_up_days)
        rows = await self._session.execute(_EFFECT, {"ended": now - window, "window": window})
        counts = {group: GroupCounts(0, 0, 0) for group in Group}
        contacted = 0
        for group, members, cancellations, following, reached in rows:
            counts[Group(group)] = GroupCounts(members, cancellations, following)
            if group == Group.CONTACT:
                contacted = reached
        return counts, contacted
