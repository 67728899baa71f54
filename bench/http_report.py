"""The table of ``bench/http_load.py``: one row per scenario (requests/s, p50, p99, CPU per
request of each part of the stack, the answers' statuses), then the goals with PASS or MISS."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from wrk_load import Figures

CPU_GROUPS = ("http", "services", "postgres")
CHECKIN = "POST check-in"
GRPC_CEILING = "ceiling: one gRPC call"
REDIS_CEILING = "ceiling: one Redis GET"
CACHED_READS = ("GET frequencia, cached", "GET risco-churn, cached")


@dataclass
class Row:
    name: str
    expected: int  # the status every answer should have
    figures: Figures | None = None
    problem: str = ""
    cpu_ms: Mapping[str, float] = field(default_factory=dict)  # CPU ms per request, by group


def _cells(row: Row) -> tuple[str, ...]:
    f = row.figures
    if f is None:
        return (row.name, "-", "-", "-", "-", "-", "-", "-", f"FAILED: {row.problem}")
    answers = f.answers()
    cpu = tuple(f"{row.cpu_ms[g]:.2f}" if g in row.cpu_ms else "-" for g in CPU_GROUPS)
    verdict = f"FAILED: {row.problem}" if row.problem else answers
    return (row.name, f"{f.rps:,.0f}", f"{f.p50_ms:.1f}", f"{f.p99_ms:.1f}", f"{f.requests:,}",
            *cpu, verdict)  # fmt: skip


def table(rows: Sequence[Row]) -> list[str]:
    header = ("scenario", "rps", "p50 ms", "p99 ms", "requests",
              "CPU ms/req: http", "services", "postgres", "answers")  # fmt: skip
    cells = [header, *(_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return [line.rstrip() for line in lines]


def clean(row: Row) -> bool:
    f = row.figures
    return (
        f is not None
        and not row.problem
        and set(f.statuses) == {row.expected}
        and not any(f.socket_errors.values())
    )


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def goals(rows: Sequence[Row]) -> list[str]:
    """The issue's goals, each with the figures it was judged on."""
    # Goals are judged on runs whose every answer was the expected one (no 5xx, no timeout).
    ok = {row.name: row.figures for row in rows if clean(row)}
    grpc, redis_get, checkin = ok.get(GRPC_CEILING), ok.get(REDIS_CEILING), ok.get(CHECKIN)
    lines = [
        f"{row.name}: not judged, answers {row.figures.answers()}"
        for row in rows
        if row.figures and not row.problem and not clean(row)
    ]
    if checkin and grpc:
        ratio = checkin.rps / grpc.rps
        lines.append(
            f"check-in rps >= 1/2 of the one-gRPC-call ceiling: {ratio:.2f} "
            f"({checkin.rps:,.0f} / {grpc.rps:,.0f} rps) {_verdict(ratio >= 0.5)}"
        )
    if checkin:
        lines.append(
            f"check-in p99 <= 50 ms: {checkin.p99_ms:.1f} ms {_verdict(checkin.p99_ms <= 50)}"
        )
    for name in CACHED_READS:
        if (cached := ok.get(name)) and redis_get:
            ratio = cached.rps / redis_get.rps
            lines.append(
                f"{name} >= 80% of the one-Redis-GET ceiling: {ratio:.0%} "
                f"({cached.rps:,.0f} / {redis_get.rps:,.0f} rps) {_verdict(ratio >= 0.8)}"
            )
    return lines


def render(rows: Sequence[Row], notes: Sequence[str]) -> str:
    return "\n".join([*table(rows), "", *goals(rows), "", *notes])
