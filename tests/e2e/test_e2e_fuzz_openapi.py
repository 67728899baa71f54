"""Schemathesis over every operation of the gateway's own /openapi.json, against the real
processes: no answer is a 5xx, and every answer (status code, content type, headers, body)
is one the document declares for that operation.

The stack is one of the module's own, not the session's: fuzzing cancels members, creates
plans, queues reports and retrainings, promotes and rolls back models, which would change what
the other end-to-end tests see. A small simulated gym is seeded and a model trained first, and
the generated path ids, member ids and plan codes are drawn partly from what exists, so fuzzing
reaches the answers behind the 404s (a member's attendance and risk, a version's promotion...),
and partly from EDGES, values at the ends of what the types hold.

Bounded for CI: FREQUENTA_FUZZ_EXAMPLES examples per operation (default 25) in the fuzzing
phase, besides the schema's examples and schemathesis' coverage phase (boundary values of each
field: over-long strings, int64 overflows, wrong types, missing fields...). Derandomized with a
fixed seed (FREQUENTA_FUZZ_SEED), so a run is reproducible; FREQUENTA_FUZZ_OPERATIONS (a regular
expression on "METHOD /path") fuzzes only some operations.

Credentials: every request carries the headers of the `fuzz_headers` fixture (explicit headers
win over generated ones), and the ignored_auth check probes the same request without them.
"""

import collections
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from e2e_stack import Stack, launch_stack
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config._checks import NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from frequenta_gateway.app import create_app
from frequenta_gateway.settings import GatewaySettings
from frequenta_sim.generator import simulate
from frequenta_sim.loader import GymLoader
from frequenta_sim.params import SimParams

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("FREQUENTA_FUZZ_EXAMPLES", "25"))
SEED = int(os.environ.get("FREQUENTA_FUZZ_SEED", "20261125"))
# A regular expression on "METHOD /path" to fuzz only some operations ("GET /aluno/").
ONLY = os.environ.get("FREQUENTA_FUZZ_OPERATIONS", "")

# What every answer must satisfy:
# - not_a_server_error: no 5xx, whatever is sent;
# - status_code_conformance, content_type_conformance, response_headers_conformance,
#   response_schema_conformance: the answer is one the operation declares (status, media type,
#   headers such as Retry-After, body);
# - negative_data_rejection: what the document calls invalid is refused with a 4xx;
# - unsupported_method, allow_header_conformance: an undeclared method is 405 with `Allow`;
# - ignored_auth: once operations declare a security scheme, the same request without
#   credentials or with invalid ones is refused (a no-op while none is declared).
# Left out, on purpose:
# - positive_data_acceptance: the document cannot say everything the rules refuse (an instant
#   in the future, an exit before its entry, a check-in before the enrollment...), so data valid
#   for the schema is rightly answered 422 at times;
# - missing_required_header: no operation declares a required header;
# - use_after_free, ensure_resource_availability: stateful links the document does not declare;
# - max_response_time: timings on a shared 2-core machine are not a correctness property.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    unsupported_method,
    allow_header_conformance,
    ignored_auth,
]


def poll(probe: Callable[[], Any], within: float, what: str) -> Any:
    deadline = time.monotonic() + within
    while not (result := probe()):
        assert time.monotonic() < deadline, f"{what}: not within {within:.0f}s"
        time.sleep(0.3)
    return result


def _members(api: httpx.Client, status: str) -> list[int]:
    body = api.get("/alunos", params={"status": status, "tamanho": 200}).json()
    return [member["id"] for member in body["itens"]]


def _open_visits(api: httpx.Client, members: list[int]) -> list[int]:
    """Checks ``members`` in now (unless the simulated gym has them inside already), so that
    checking them out succeeds."""
    for member_id in members:
        response = api.post("/aluno/checkin", json={"aluno_id": member_id})
        inside = response.status_code == 409 and "VISIT_ALREADY_OPEN" in response.text
        assert response.status_code == 201 or inside, response.text
    return members


def _projected(api: httpx.Client, member_id: int) -> None:
    """Waits until churn's projection (fed by events, seconds behind) knows ``member_id``, the
    newest member: until then risk answers 404 for members attendance knows."""
    poll(
        lambda: api.get(f"/aluno/{member_id}/risco-churn").status_code != 404,
        60,
        f"member {member_id} in churn's projection",
    )


def _trained(api: httpx.Client, location: str, what: str) -> dict[str, Any]:
    """The retraining job at ``location`` once it ended; it must have succeeded."""
    job = poll(
        lambda: (j := api.get(location).json())["estado"] in {"concluido", "falhou"} and j,
        180,
        what,
    )
    assert job["estado"] == "concluido", job
    return job


def _retrain(api: httpx.Client, promote: bool) -> dict[str, Any]:
    queued = api.post("/modelo/retreino", json={"promover_se_melhor": promote})
    assert queued.status_code == 202, queued.text
    return _trained(api, queued.headers["location"], "a retraining job")


def _import_job(api: httpx.Client, member_id: int) -> str:
    """An import job id (one row refused: an entry in the future)."""
    row = {"aluno_id": member_id, "data_entrada": "2999-01-01T00:00:00Z"}
    queued = api.post("/aluno/checkins/lote", json={"checkins": [row]})
    assert queued.status_code == 202, queued.text
    return queued.json()["job_id"]


@pytest.fixture(scope="module")
def fuzz_stack(request, tmp_path_factory, rabbitmq_url) -> Iterator[Stack]:
    """A stack of the module's own: fuzzing changes what the other e2e tests would see."""
    with launch_stack(
        request,
        tmp_path_factory.mktemp("fuzz"),
        rabbitmq_url,
        model_poll_seconds="0.5",
        jwt_ttl_seconds="3600",  # one token for the whole module, however slow the machine
    ) as stack:
        yield stack


@pytest.fixture(scope="module")
def fuzz_headers(fuzz_stack: Stack) -> dict[str, str]:
    """Headers of every request the module sends, seeding and fuzzing alike: an admin's bearer
    token (admins may call every route), from POST /auth/token. Fuzzing may disable the admin
    user; the token stays valid until it expires."""
    login = {"login": fuzz_stack.admin_login, "senha": fuzz_stack.admin_password}
    response = httpx.post(f"{fuzz_stack.base_url}/auth/token", json=login, timeout=30)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="module")
def fuzz_target(fuzz_stack: Stack, fuzz_headers: dict[str, str]) -> Iterator[str]:
    """The stack's base URL, once it holds a small simulated gym, two model versions (the first
    serving), an import job, a daily report and members inside the gym, whose ids go to
    KNOWN."""
    with httpx.Client(base_url=fuzz_stack.base_url, headers=fuzz_headers, timeout=30) as api:
        until = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
        gym = simulate(replace(SimParams(), members=150, months=8), seed=SEED, until=until)
        loader = GymLoader(api, batch_size=5000, workers=2, job_timeout=120, progress=False)
        assert loader.load(gym).accepted == gym.visit_count
        retrainings = [_retrain(api, promote=True), _retrain(api, promote=False)]
        report = api.post("/relatorios/diarios", json={})
        assert report.status_code == 202, report.text
        plans = api.get("/planos", params={"incluir_inativos": True}).json()
        members, active = _members(api, "todos"), _members(api, "ativos")
        KNOWN.update(
            member_ids=members,
            open_visit_member_ids=_open_visits(api, active[::4]),
            plan_ids=[plan["id"] for plan in plans],
            plan_codes=[plan["codigo"] for plan in plans],
            model_versions=[v["versao"] for v in api.get("/modelo/versoes").json()["versoes"]],
            job_ids=[job["job_id"] for job in retrainings] + [_import_job(api, members[0])],
            report_dates=[report.json()["data"]],
        )
        _projected(api, max(active))
    yield fuzz_stack.base_url


@pytest.fixture(scope="module")
def fuzz_session() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def _openapi_document() -> dict[str, Any]:
    """The gateway's OpenAPI document, built by the gateway's own code at collection time
    (schemathesis parametrizes the tests before any process runs); the first test checks that
    the running gateway serves exactly this document. Defaults only: building the document
    needs no settings."""
    return create_app(GatewaySettings.model_construct()).openapi()


# Filled by the `fuzz_target` fixture before any case is drawn; read lazily by the strategies.
KNOWN: dict[str, list[Any]] = {}
# Values at the edges of what the types hold, which generators rarely draw: dates and instants
# at the ends of Python's range (a range's defaults or its UTC time overflow there) and around
# the earliest instant the services accept; text with a NUL, which PostgreSQL cannot store;
# text longer than any body a route takes but the bulk upload (64 KiB).
EDGES: dict[str, list[Any]] = {
    "edge_dates": ["0001-01-01", "1969-12-31", "1970-01-01", "9999-12-31"],
    "edge_instants": [
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00Z",
        "1970-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59-12:00",
    ],
    "edge_texts": ["\x00", "nul\x00inside"],
    "edge_long_texts": ["x" * 70_000],
}
INSTANTS = ("data_entrada", "data_saida", "data_matricula", "data_cancelamento")

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
        # Schemathesis' list of refusals, plus 413: an invalid request over a route's body
        # limit is refused for its size before anything else is read.
        "checks": {
            "negative_data_rejection": {
                "expected-statuses": [*NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES, "413"]
            }
        },
    }
)
schema = schemathesis.openapi.from_dict(_openapi_document(), config=CONFIG)
if ONLY:
    schema = schema.include(name_regex=ONLY)


def _sometimes_known(strategy: st.SearchStrategy, fields: dict[str, str]) -> st.SearchStrategy:
    """``strategy``'s dicts, or the same with some fields (name -> keys of KNOWN or EDGES,
    joined by "+") replaced by values that exist in the fuzzed stack or sit at the edges."""

    def existing(keys: str) -> st.SearchStrategy:
        def values() -> st.SearchStrategy:
            names = keys.split("+")
            known = [value for name in names for value in KNOWN.get(name, [])]
            edges = [value for name in names for value in EDGES.get(name, [])]
            # Existing values three times as often as edge ones: they lead past the 404s.
            options = known * 3 + edges
            return st.sampled_from(options) if options else st.nothing()

        return st.deferred(values)

    def swap(generated: Any) -> st.SearchStrategy:
        if not isinstance(generated, dict):
            return st.just(generated)
        present = {name: key for name, key in fields.items() if name in generated}
        if not present:
            return st.just(generated)
        # Each field independently: as generated, or an existing / edge value.
        chosen = {
            name: st.one_of(st.just(generated[name]), existing(key))
            for name, key in present.items()
        }
        return st.fixed_dictionaries(chosen).map(lambda values: {**generated, **values})

    return strategy.flatmap(swap)


@schema.hook
def before_generate_path_parameters(context, strategy):
    return _sometimes_known(
        strategy,
        {
            "id": "member_ids",
            "versao": "model_versions+edge_texts",
            "job_id": "job_ids+edge_texts",
            "data": "report_dates+edge_dates",
        },
    )


@schema.hook
def before_generate_body(context, strategy):
    # A check-out succeeds only for a member inside: those the fixture checked in.
    inside = context.operation is not None and context.operation.path == "/aluno/checkout"
    members = "open_visit_member_ids" if inside else "member_ids"
    fields = {
        "aluno_id": members,
        "plano_id": "plan_ids",
        **dict.fromkeys(INSTANTS, "edge_instants"),
    }
    fields |= {"data": "edge_dates", "data_nascimento": "edge_dates"}
    fields |= {"nome": "edge_texts+edge_long_texts", "observacao": "edge_long_texts"}
    return _sometimes_known(strategy, fields)


@schema.hook
def before_generate_query(context, strategy):
    dates = dict.fromkeys(("data_inicio", "data_fim"), "edge_dates")
    fields = {"plano_id": "plan_ids", "plano": "plan_codes+edge_texts", "q": "edge_texts"}
    return _sometimes_known(strategy, fields | dates)


STATUSES: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)


def test_the_gateway_serves_the_fuzzed_document(fuzz_target, fuzz_headers):
    served = httpx.get(f"{fuzz_target}/openapi.json", headers=fuzz_headers, timeout=30).json()
    assert served == schema.raw_schema


# Per operation; a few seconds per example at worst on a loaded 2-core machine.
@pytest.mark.timeout(max(600, 5 * EXAMPLES))
@schema.parametrize()
def test_every_operation_answers_as_documented(case, fuzz_target, fuzz_session, fuzz_headers):
    # The explicit headers win over generated ones (e.g. an Authorization header schemathesis
    # would generate from a declared security scheme): every case is sent with valid ones.
    response = case.call_and_validate(
        base_url=fuzz_target, session=fuzz_session, headers=fuzz_headers, checks=CHECKS
    )
    STATUSES[case.operation.label][response.status_code] += 1


# Answers that show an operation was reached past validation and unknown ids. Rolling back
# needs a previous version, which only a fuzzed promotion makes; it may fairly never get one.
# Generated credentials never match a user's (a token is issued in tests/e2e/test_e2e_auth.py
# and for this module's own requests, fuzz_headers), at either login (the web pages' one,
# POST /painel/sessao, is driven by tests/e2e/test_e2e_painel.py).
REACHED = {200, 201, 202}
MAY_NEVER_SUCCEED = {"POST /modelo/rollback", "POST /auth/token", "POST /painel/sessao"}


def test_fuzzing_reached_past_the_errors():
    """Every fuzzed operation got at least one success (a member's attendance, a version's
    promotion...), so fuzzing went beyond 404 and 422. Runs after the fuzzing above."""
    if not STATUSES:
        pytest.skip("no operation was fuzzed in this session")
    for label, counts in sorted(STATUSES.items()):
        print(f"{label}: {dict(sorted(counts.items()))}")
    missed = [
        label
        for label, counts in STATUSES.items()
        if not REACHED & set(counts) and label not in MAY_NEVER_SUCCEED
    ]
    assert not missed, f"never answered 2xx: {missed}"
