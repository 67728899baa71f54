"""The few REST calls the loader makes, with retries on the answers that mean "try again"
(429 over a rate limit, 503, 504, a dropped connection). Field names are the gateway's
(docs/rules.md)."""

import time
from typing import Any

import httpx

# Bulk check-in imports (202 + job, then the job's status).
BULK_PATH = "/aluno/checkins/lote"
RETRIED_STATUSES = {429, 502, 503, 504}


class ApiError(RuntimeError):
    """An answer the loader cannot go on from."""

    def __init__(self, response: httpx.Response, doing: str) -> None:
        super().__init__(f"{doing}: HTTP {response.status_code} {response.text[:500]}")
        self.response = response


def error_code(response: httpx.Response) -> str | None:
    """`erro.codigo` of the one error body, if the answer is one."""
    try:
        return response.json()["erro"]["codigo"]
    except (ValueError, KeyError, TypeError):
        return None


def call(
    client: httpx.Client, method: str, url: str, *, attempts: int = 6, **kwargs: Any
) -> httpx.Response:
    """The response of the request, retried with a growing pause while the server is busy."""
    backoff = 0.25
    for attempt in range(1, attempts + 1):
        pause = backoff
        try:
            response = client.request(method, url, **kwargs)
        except httpx.TransportError:
            if attempt == attempts:
                raise
        else:
            if response.status_code not in RETRIED_STATUSES or attempt == attempts:
                return response
            retry_after = response.headers.get("Retry-After", "")
            if retry_after.isdigit():
                pause = float(retry_after)  # the server knows best
        time.sleep(pause)
        backoff = min(backoff * 2, 5.0)
    raise AssertionError("unreachable")


def plan_ids(client: httpx.Client) -> dict[str, int]:
    """Plan code -> id, inactive plans included (an old member may hold one)."""
    response = call(client, "GET", "/planos", params={"incluir_inativos": "true"})
    if response.status_code != 200:
        raise ApiError(response, "listing the plans")
    return {plan["codigo"]: plan["id"] for plan in response.json()}


def member_total(client: httpx.Client) -> int:
    response = call(client, "GET", "/alunos", params={"tamanho": 1, "status": "todos"})
    if response.status_code != 200:
        raise ApiError(response, "counting the members")
    return int(response.json()["total"])


def find_member(client: httpx.Client, email: str) -> dict[str, Any] | None:
    """The member holding this e-mail (compared case-insensitively), if any."""
    params = {"q": email, "status": "todos", "tamanho": 20}
    response = call(client, "GET", "/alunos", params=params)
    if response.status_code != 200:
        raise ApiError(response, f"looking up {email}")
    for member in response.json()["itens"]:
        if member["email"].lower() == email.lower():
            return member
    return None
