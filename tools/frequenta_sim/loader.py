"""Writes a simulated gym through the public REST API, never into tables: register every member
(back-dated enrollment), import the visits with the bulk endpoint, then cancel (after the
visits, as a gym importing its history would).

Re-running with the same gym changes nothing: a taken e-mail is looked up and reused when it
holds the same enrollment and plan (a member of a differently seeded or dated run is skipped
and counted); visits carry idempotency keys derived from the seed, so the import reports them
as duplicates; a cancellation already made answers 409 ALREADY_CANCELLED and is counted.
"""

import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx

from frequenta_sim import api
from frequenta_sim.gym import SimulatedGym, SimulatedMember
from frequenta_sim.importer import import_rows, progress_bar, visit_rows
from frequenta_sim.params import GYM_TIMEZONE

T = TypeVar("T")
ZONE = ZoneInfo(GYM_TIMEZONE)
# "outro" needs a note saying what (docs/rules.md).
OTHER_NOTES = ("Gravidez", "Viagem longa a trabalho", "Cirurgia da família", "Mudou de rotina")


@dataclass
class LoadReport:
    registered: int = 0
    reused: int = 0  # already registered by an earlier run of the same gym
    skipped: list[str] = field(default_factory=list)  # e-mails taken by someone else
    visits_sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejections: Counter[str] = field(default_factory=Counter)
    cancelled: int = 0
    already_cancelled: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # by phase

    def lines(self) -> list[str]:
        rejected = ", ".join(f"{code} {n}" for code, n in self.rejections.most_common())
        return [
            f"members: {self.registered} registered, {self.reused} already there, "
            f"{len(self.skipped)} skipped (e-mail held by another gym's member)",
            f"visits: {self.visits_sent} sent, {self.accepted} stored, {self.duplicates} "
            f"duplicates, {self.rejected} rejected" + (f" ({rejected})" if rejected else ""),
            f"cancellations: {self.cancelled} made, {self.already_cancelled} already made",
            "seconds: " + ", ".join(f"{phase} {t:.1f}" for phase, t in self.seconds.items()),
        ]


def local_iso(moment: datetime) -> str:
    """ISO-8601 with the gym's offset, as a front desk would send it."""
    return moment.astimezone(ZONE).isoformat()


def registration(member: SimulatedMember, plan_id: int) -> dict[str, Any]:
    return {
        "nome": member.name,
        "email": member.email,
        "telefone": member.phone,
        "data_nascimento": member.birth_date.isoformat(),
        "plano_id": plan_id,
        "data_matricula": local_iso(member.enrolled_at),
    }


def _parallel(
    work: Callable[[T], Any], items: Iterable[T], *, total: int, desc: str, workers: int, bar: bool
) -> list[Any]:
    with (
        ThreadPoolExecutor(max_workers=workers) as pool,
        progress_bar(total, desc, " ", bar) as progress,
    ):
        results = []
        for result in pool.map(work, items):
            results.append(result)
            progress.update()
        return results


class GymLoader:
    def __init__(
        self,
        client: httpx.Client,
        *,
        batch_size: int = 5_000,
        workers: int = 8,
        job_timeout: float = 900.0,
        progress: bool = True,
    ) -> None:
        self.client = client
        self.batch_size = batch_size
        self.workers = workers
        self.job_timeout = job_timeout
        self.progress = progress

    def load(self, gym: SimulatedGym) -> LoadReport:
        report = LoadReport()
        clock = time.perf_counter()
        ids = self.register(gym, report)
        report.seconds["members"], clock = time.perf_counter() - clock, time.perf_counter()
        rows = visit_rows(gym, ids)
        report.visits_sent = len(rows)
        import_rows(
            self.client,
            rows,
            report,
            batch_size=self.batch_size,
            timeout=self.job_timeout,
            progress=self.progress,
        )
        report.seconds["visits"], clock = time.perf_counter() - clock, time.perf_counter()
        self.cancel(gym, ids, report)
        report.seconds["cancellations"] = time.perf_counter() - clock
        return report

    def register(self, gym: SimulatedGym, report: LoadReport) -> list[int | None]:
        """The id of each member (None when skipped), registering the ones not there yet."""
        plans = api.plan_ids(self.client)
        missing = {member.plan_code for member in gym.members} - set(plans)
        if missing:
            raise RuntimeError(f"plans missing in the gym: {', '.join(sorted(missing))}")

        def one(member: SimulatedMember) -> tuple[str, int | None]:
            body = registration(member, plans[member.plan_code])
            response = api.call(self.client, "POST", "/aluno/registro", json=body)
            if response.status_code == 201:
                return "registered", response.json()["id"]
            if api.error_code(response) != "EMAIL_ALREADY_REGISTERED":
                raise api.ApiError(response, f"registering {member.email}")
            found = api.find_member(self.client, member.email)
            same = found is not None and (
                datetime.fromisoformat(found["data_matricula"]) == member.enrolled_at
                and found["plano_id"] == plans[member.plan_code]
            )
            return ("reused", found["id"]) if same else ("skipped", None)

        outcomes = _parallel(
            one,
            gym.members,
            total=len(gym.members),
            desc="members",
            workers=self.workers,
            bar=self.progress,
        )
        for member, (outcome, _) in zip(gym.members, outcomes, strict=True):
            if outcome == "registered":
                report.registered += 1
            elif outcome == "reused":
                report.reused += 1
            else:
                report.skipped.append(member.email)
        return [member_id for _, member_id in outcomes]

    def cancel(self, gym: SimulatedGym, ids: list[int | None], report: LoadReport) -> None:
        leaving = [
            (index, member)
            for index, member in enumerate(gym.members)
            if member.cancelled_at is not None and ids[index] is not None
        ]

        def one(item: tuple[int, SimulatedMember]) -> str:
            index, member = item
            body: dict[str, Any] = {
                "motivo": member.reason,
                "data_cancelamento": local_iso(member.cancelled_at),
            }
            if member.reason == "outro":
                body["observacao"] = OTHER_NOTES[index % len(OTHER_NOTES)]
            response = api.call(self.client, "POST", f"/aluno/{ids[index]}/cancelamento", json=body)
            if response.status_code == 200:
                return "cancelled"
            if api.error_code(response) == "ALREADY_CANCELLED":
                return "already"
            raise api.ApiError(response, f"cancelling member {ids[index]}")

        outcomes = Counter(
            _parallel(
                one,
                leaving,
                total=len(leaving),
                desc="cancellations",
                workers=self.workers,
                bar=self.progress,
            )
        )
        report.cancelled += outcomes["cancelled"]
        report.already_cancelled += outcomes["already"]
