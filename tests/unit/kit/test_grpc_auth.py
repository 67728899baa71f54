"""When a gRPC server requires the internal token, and what a client sends."""

import logging

import pytest
from pydantic import SecretStr, ValidationError

from frequenta_kit.grpc_auth import InternalTokenRequired, metadata_pair, server_token
from frequenta_kit.settings import BaseProcessSettings

TOKEN = "0123456789abcdef0123"


@pytest.mark.parametrize("environment", ["production", "staging", "prod"])
def test_outside_a_local_environment_a_server_without_a_token_refuses_to_start(
    environment: str,
) -> None:
    with pytest.raises(InternalTokenRequired, match="FREQUENTA_INTERNAL_TOKEN"):
        server_token(None, environment)


@pytest.mark.parametrize("environment", ["local", "dev", "test", "LOCAL"])
def test_in_a_local_environment_no_token_turns_the_check_off_with_a_warning(
    environment: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="frequenta_kit.grpc_auth"):
        assert server_token(None, environment) is None
    assert "without credentials" in caplog.text


@pytest.mark.parametrize("environment", ["local", "production"])
def test_a_configured_token_is_always_required(environment: str) -> None:
    assert server_token(SecretStr(TOKEN), environment) == TOKEN


def test_clients_send_a_bearer_authorization_entry() -> None:
    assert metadata_pair(SecretStr(TOKEN)) == ("authorization", f"Bearer {TOKEN}")


def test_the_setting_is_read_from_the_environment_and_hidden(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FREQUENTA_INTERNAL_TOKEN", TOKEN)
    settings = BaseProcessSettings(_env_file=None)
    assert settings.internal_token is not None
    assert settings.internal_token.get_secret_value() == TOKEN
    assert TOKEN not in repr(settings)


def test_an_empty_token_means_none_and_a_short_one_is_refused() -> None:
    assert BaseProcessSettings(_env_file=None, internal_token="").internal_token is None
    with pytest.raises(ValidationError, match="at least 16 characters"):
        BaseProcessSettings(_env_file=None, internal_token="short")
