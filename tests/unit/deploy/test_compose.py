"""deploy/compose/ against the compose specification's schema (check-jsonschema's vendored copy,
offline), and the rules the schema cannot say: health checks, start-up order, secrets."""

import copy
import re

import jsonschema
import pytest
from check_jsonschema.builtin_schemas import get_builtin_schema
from deploy_support import (
    COMPOSE_DIR,
    COMPOSE_FILES,
    INFRA_SERVICES,
    ONE_SHOT_SERVICES,
    compose_services,
    load_yaml,
    procfile_commands,
)

SCHEMA = get_builtin_schema("vendor.compose-spec")


def schema_errors(document: dict) -> list[str]:
    validator = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda path: path.name)
def test_compose_files_follow_the_compose_specification(path) -> None:
    assert schema_errors(load_yaml(path)) == []


def test_the_schema_check_rejects_a_broken_compose_file() -> None:
    broken = copy.deepcopy(load_yaml(COMPOSE_DIR / "compose.yaml"))
    broken["services"]["gateway"]["depends_on"]["churn"]["condition"] = "service_ready"
    broken["services"]["relay"]["healthcheck"]["test"] = {"http": "/metrics"}
    broken["volume"] = {"data": {}}  # a typo of `volumes`
    errors = schema_errors(broken)
    assert any("services/gateway/depends_on" in error for error in errors), errors
    assert any("services/relay/healthcheck/test" in error for error in errors), errors
    assert any(error.startswith(": 'volume' does not match") for error in errors), errors


def test_compose_includes_the_infrastructure() -> None:
    assert load_yaml(COMPOSE_DIR / "compose.yaml")["include"] == ["infra.yaml"]
    assert set(load_yaml(COMPOSE_DIR / "infra.yaml")["services"]) == INFRA_SERVICES


def test_every_long_running_service_has_a_health_check() -> None:
    services = compose_services()
    missing = [
        name
        for name in services.keys() - ONE_SHOT_SERVICES
        if not services[name].get("healthcheck", {}).get("test")
    ]
    assert missing == []


def test_services_wait_on_the_health_of_what_they_need() -> None:
    services = compose_services()
    for name in procfile_commands():
        depends_on = services[name]["depends_on"]
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        for target, rule in depends_on.items():
            assert target in services, f"{name} depends on unknown service {target}"
            expected = (
                "service_completed_successfully"
                if target in ONE_SHOT_SERVICES
                else ("service_healthy", "service_started")
            )
            assert rule["condition"] in expected, f"{name} -> {target}: {rule['condition']}"
    for name in procfile_commands().keys() - {"gateway"}:
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        ), f"{name} must start after the migrations"


def test_app_containers_are_hardened_and_built_from_one_image() -> None:
    services = compose_services()
    app = [name for name in services if name not in INFRA_SERVICES]
    assert {services[name]["image"] for name in app} == {"${FREQUENTA_IMAGE:-frequenta:dev}"}
    for name in app:
        service = services[name]
        assert service["build"]["dockerfile"] == "deploy/docker/Dockerfile", name
        assert service["read_only"] is True and service["tmpfs"] == ["/tmp"], name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name


def test_every_required_variable_is_in_the_env_example() -> None:
    text = "".join(path.read_text() for path in COMPOSE_FILES)
    required = set(re.findall(r"\$\{(\w+):\?", text))
    example = (COMPOSE_DIR / ".env.example").read_text()
    defined = set(re.findall(r"^(\w+)=", example, re.M))
    assert required, "the compose files require no variable?"
    assert required <= defined
    # Outside local/dev/test the processes refuse to start without these three.
    assert {
        "FREQUENTA_INTERNAL_TOKEN",
        "FREQUENTA_JWT_SECRET",
        "FREQUENTA_ADMIN_PASSWORD",
    } <= defined
