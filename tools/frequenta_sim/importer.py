"""History through the bulk endpoint: the rows of the visits (with idempotency keys derived from
the seed), submitted in batches (202 + a job each), then every job polled until it finishes,
within a deadline, its counts added to the report."""

import hashlib
import time
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import numpy as np
from tqdm import tqdm

from frequenta_sim import api
from frequenta_sim.gym import SimulatedGym
from frequenta_sim.visits import NO_EXIT

POLL_INTERVAL = 0.5
FINISHED = {"concluido", "falhou"}


def progress_bar(total: int, desc: str, unit: str, show: bool) -> tqdm:
    """A bar on a terminal only (tqdm's disable=None), never in a log file."""
    return tqdm(total=total, desc=desc, unit=unit, disable=None if show else True)


class Counts(Protocol):
    accepted: int
    duplicates: int
    rejected: int
    rejections: Any  # Counter[str]


@dataclass(frozen=True)
class JobStatus:
    state: str
    processed: int
    accepted: int
    duplicates: int
    rejected: int
    rejection_codes: tuple[str, ...]
    error: str

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> "JobStatus":
        """From the gateway's job (schemas/batches.py in the gateway)."""
        return cls(
            state=body["estado"],
            processed=body["processadas"],
            accepted=body["aceitas"],
            duplicates=body["duplicadas"],
            rejected=body["rejeitadas"],
            rejection_codes=tuple(row["codigo"] for row in body["linhas_rejeitadas"]),
            error=body.get("erro") or "",
        )


def visit_rows(gym: SimulatedGym, ids: list[int | None]) -> list[dict[str, Any]]:
    """Bulk rows of the visits of the members that have an id, with seed-derived keys."""
    visits = gym.visits
    entries = np.datetime_as_string(visits.entered_us.astype("datetime64[us]"), "s", "UTC")
    exits = np.datetime_as_string(
        np.where(visits.exited_us == NO_EXIT, 0, visits.exited_us).astype("datetime64[us]"),
        "s",
        "UTC",
    )
    tags = [
        hashlib.sha256(f"{gym.seed}:{member.email}".encode()).hexdigest()[:12]
        for member in gym.members
    ]
    rows = []
    for position, member in enumerate(visits.member.tolist()):
        if ids[member] is None:
            continue
        row = {
            "aluno_id": ids[member],
            "data_entrada": str(entries[position]),
            "chave_idempotencia": f"sim-{gym.seed}-{tags[member]}-{visits.entered_us[position]}",
        }
        if visits.exited_us[position] != NO_EXIT:
            row["data_saida"] = str(exits[position])
        rows.append(row)
    return rows


def submit(client: httpx.Client, rows: list[dict[str, Any]]) -> str:
    response = api.call(client, "POST", api.BULK_PATH, json={"checkins": rows})
    if response.status_code != 202:
        raise api.ApiError(response, "submitting a batch of check-ins")
    return response.json()["job_id"]


def status(client: httpx.Client, job: str) -> JobStatus:
    response = api.call(client, "GET", f"{api.BULK_PATH}/{job}")
    if response.status_code != 200:
        raise api.ApiError(response, f"reading import job {job}")
    return JobStatus.from_json(response.json())


def import_rows(
    client: httpx.Client,
    rows: list[dict[str, Any]],
    report: Counts,
    *,
    batch_size: int,
    timeout: float,
    progress: bool,
) -> None:
    """Every row submitted and every job finished, or TimeoutError / RuntimeError."""
    jobs = [submit(client, rows[i : i + batch_size]) for i in range(0, len(rows), batch_size)]
    done: dict[str, int] = dict.fromkeys(jobs, 0)
    pending = list(jobs)
    deadline = time.monotonic() + timeout
    with progress_bar(len(rows), "visits", " rows", progress) as bar:
        while pending:
            for job in list(pending):
                job_status = status(client, job)
                bar.update(job_status.processed - done[job])
                done[job] = job_status.processed
                if job_status.state not in FINISHED:
                    continue
                pending.remove(job)
                if job_status.state == "falhou":
                    raise RuntimeError(f"import job {job} failed: {job_status.error}")
                report.accepted += job_status.accepted
                report.duplicates += job_status.duplicates
                report.rejected += job_status.rejected
                report.rejections.update(job_status.rejection_codes)
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"{len(pending)} import jobs not finished after {timeout:.0f}s")
            if pending:
                time.sleep(POLL_INTERVAL)
