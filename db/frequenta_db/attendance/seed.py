"""The plans a new gym starts with.

Loaded by ``init`` with INSERT ... ON CONFLICT (codigo) DO NOTHING: a missing default plan is
added, an existing one is never touched. Once a plan exists it belongs to the gym, which may
change its price or name or stop selling it; re-running ``init`` (every ``make up`` does) must
not undo that.
"""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import column, select, table
from sqlalchemy.dialects.postgresql import insert

from frequenta_kit.database import create_engine


@dataclass(frozen=True)
class DefaultPlan:
    code: str
    name: str
    duration_months: int
    price: Decimal  # BRL


DEFAULT_PLANS = (
    DefaultPlan("mensal", "Plano Mensal", 1, Decimal("119.90")),
    DefaultPlan("trimestral", "Plano Trimestral", 3, Decimal("329.90")),
    DefaultPlan("semestral", "Plano Semestral", 6, Decimal("599.90")),
    DefaultPlan("anual", "Plano Anual", 12, Decimal("1099.90")),
)

# Only the columns the seed writes; the table itself is defined by the migrations.
_planos = table(
    "planos", column("codigo"), column("nome"), column("duracao_meses"), column("preco")
)


async def load_default_plans(url: str) -> tuple[list[str], list[str]]:
    """Insert the default plans that are missing; the codes inserted and those left alone."""
    rows = [
        {"codigo": p.code, "nome": p.name, "duracao_meses": p.duration_months, "preco": p.price}
        for p in DEFAULT_PLANS
    ]
    statement = (
        insert(_planos)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["codigo"])
        .returning(_planos.c.codigo)
    )
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as connection:
            inserted = set((await connection.scalars(statement)).all())
            present = set((await connection.scalars(select(_planos.c.codigo))).all())
    finally:
        await engine.dispose()
    codes = [p.code for p in DEFAULT_PLANS]
    return [c for c in codes if c in inserted], [c for c in codes if c in present - inserted]
