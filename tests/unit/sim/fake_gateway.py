"""An in-memory stand-in for the gateway's REST API, as far as the loader uses it, mounted on
httpx.MockTransport. It applies the rules the loader relies on (docs/rules.md): unique e-mails,
idempotency keys, no visit at or after a cancellation, cancelling once."""

import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

PLANS = [
    {"id": i, "codigo": code, "nome": code, "duracao_meses": months, "preco": 100.0, "ativo": True}
    for i, (code, months) in enumerate(
        [("mensal", 1), ("trimestral", 3), ("semestral", 6), ("anual", 12)], start=1
    )
]


def error(status: int, code: str) -> httpx.Response:
    return httpx.Response(status, json={"erro": {"codigo": code, "mensagem": code, "detalhes": []}})


@dataclass
class FakeGateway:
    members: dict[int, dict[str, Any]] = field(default_factory=dict)
    visits: dict[str, tuple[int, str, str | None]] = field(default_factory=dict)  # by key
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)  # "register", "import", "cancel" in order
    busy_answers: int = 0  # answer this many requests 503 first
    lock: threading.Lock = field(default_factory=threading.Lock)  # the loader's threads

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=self.transport(), base_url="http://gateway.test")

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            return self.answer(request)

    def answer(self, request: httpx.Request) -> httpx.Response:
        if self.busy_answers:
            self.busy_answers -= 1
            return httpx.Response(503, headers={"Retry-After": "0"})
        path, method = request.url.path, request.method
        body = json.loads(request.content) if request.content else {}
        if (method, path) == ("GET", "/planos"):
            return httpx.Response(200, json=PLANS)
        if (method, path) == ("POST", "/aluno/registro"):
            return self.register(body)
        if (method, path) == ("GET", "/alunos"):
            return self.list_members(request.url.params)
        if (method, path) == ("POST", "/aluno/checkins/lote"):
            return self.submit(body)
        if method == "GET" and (match := re.fullmatch(r"/aluno/checkins/lote/(.+)", path)):
            return httpx.Response(200, json=self.jobs[match[1]])
        if method == "POST" and (match := re.fullmatch(r"/aluno/(\d+)/cancelamento", path)):
            return self.cancel(int(match[1]), body)
        return error(404, "NOT_FOUND")

    def register(self, body: dict[str, Any]) -> httpx.Response:
        self.log.append("register")
        if any(m["email"].lower() == body["email"].lower() for m in self.members.values()):
            return error(409, "EMAIL_ALREADY_REGISTERED")
        member_id = len(self.members) + 1
        self.members[member_id] = {**body, "id": member_id, "data_cancelamento": None}
        return httpx.Response(201, json=self.members[member_id])

    def list_members(self, params: httpx.QueryParams) -> httpx.Response:
        text = params.get("q", "").lower()
        found = [m for m in self.members.values() if text in m["email"].lower()]
        size = int(params.get("tamanho", 50))
        return httpx.Response(200, json={"itens": found[:size], "total": len(found)})

    def submit(self, body: dict[str, Any]) -> httpx.Response:
        self.log.append("import")
        job = str(uuid.uuid4())
        counts = {"aceitas": 0, "duplicadas": 0, "rejeitadas": 0}
        rejected = []
        for number, row in enumerate(body["checkins"], start=1):
            member = self.members.get(row["aluno_id"])
            key = row["chave_idempotencia"]
            entered = datetime.fromisoformat(row["data_entrada"])
            cancelled = member and member["data_cancelamento"]
            if member is None or (cancelled and entered >= datetime.fromisoformat(cancelled)):
                counts["rejeitadas"] += 1
                rejected.append({"linha": number, "codigo": "MEMBERSHIP_CANCELLED"})
            elif key in self.visits:
                counts["duplicadas"] += 1
            else:
                self.visits[key] = (row["aluno_id"], row["data_entrada"], row.get("data_saida"))
                counts["aceitas"] += 1
        total = len(body["checkins"])
        self.jobs[job] = {
            "job_id": job,
            "estado": "concluido",
            "total_linhas": total,
            "processadas": total,
            "linhas_rejeitadas": rejected,
            **counts,
        }
        return httpx.Response(202, json={**self.jobs[job], "estado": "na_fila", "processadas": 0})

    def cancel(self, member_id: int, body: dict[str, Any]) -> httpx.Response:
        self.log.append("cancel")
        member = self.members[member_id]
        if member["data_cancelamento"]:
            return error(409, "ALREADY_CANCELLED")
        member["data_cancelamento"] = body["data_cancelamento"]
        member["motivo_cancelamento"] = body["motivo"]
        return httpx.Response(200, json=member)

    def visits_of(self, member_id: int) -> list[tuple[datetime, datetime | None]]:
        return sorted(
            (datetime.fromisoformat(entered), exited and datetime.fromisoformat(exited))
            for owner, entered, exited in self.visits.values()
            if owner == member_id
        )
