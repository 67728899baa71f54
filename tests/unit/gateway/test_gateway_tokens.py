"""Access tokens: what is issued decodes to the same principal; every kind of bad token is
refused (decode raises, and the API answers 401); the secret is checked for the environment."""

import base64
import json
import os
import subprocess
import sys
import time

import jwt
import pytest
from pydantic import ValidationError

from frequenta_gateway.auth import tokens
from frequenta_gateway.auth.principal import Principal, Role
from frequenta_gateway.settings import DEV_JWT_SECRET, GatewaySettings

SECRET = "a-test-secret-long-enough-for-hs256-and-for-hs512-too-0123456789"
MEMBER = Principal(login="ana", papel=Role.ALUNO, aluno_id=42)


@pytest.fixture
def settings() -> GatewaySettings:
    return GatewaySettings(_env_file=None, jwt_secret=SECRET, jwt_ttl_seconds=900)


def claims(settings: GatewaySettings, **changes) -> dict:
    now = int(time.time())
    base = {
        "sub": "ana",
        "papel": "aluno",
        "aluno_id": 42,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + 600,
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


def signed(payload: dict, key: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, key, algorithm=algorithm)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_an_issued_token_decodes_to_its_principal(settings):
    issued = tokens.issue(settings, MEMBER)
    assert issued.expires_in == 900
    assert tokens.decode(settings, issued.access_token) == MEMBER
    header = jwt.get_unverified_header(issued.access_token)
    assert header["alg"] == "HS256"
    payload = jwt.decode(issued.access_token, options={"verify_signature": False})
    assert payload["exp"] - payload["iat"] == 900
    assert {"sub", "papel", "aluno_id", "iss", "aud", "iat", "exp", "jti"} <= set(payload)


def test_a_staff_token_carries_no_member(settings):
    staff = Principal(login="recepcao", papel=Role.EQUIPE)
    token = tokens.issue(settings, staff).access_token
    assert "aluno_id" not in jwt.decode(token, options={"verify_signature": False})
    assert tokens.decode(settings, token) == staff


def test_alg_none_is_refused(settings):
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims(settings))}."
    with pytest.raises(tokens.TokenError) as refused:
        tokens.decode(settings, token)
    assert refused.value.code == "INVALID_TOKEN"


def test_another_algorithm_with_the_same_key_is_refused(settings):
    token = signed(claims(settings), algorithm="HS512")
    with pytest.raises(tokens.TokenError, match="alg"):
        tokens.decode(settings, token)


@pytest.mark.parametrize(
    ("case", "token_of"),
    [
        ("wrong key", lambda s: signed(claims(s), key="another-secret-of-more-than-32-bytes!")),
        ("wrong audience", lambda s: signed(claims(s, aud="another-api"))),
        ("wrong issuer", lambda s: signed(claims(s, iss="someone-else"))),
        ("no expiry", lambda s: signed(claims(s, exp=None))),
        ("no audience", lambda s: signed(claims(s, aud=None))),
        ("issued in the future", lambda s: signed(claims(s, iat=int(time.time()) + 3600))),
        ("unknown role", lambda s: signed(claims(s, papel="root"))),
        ("member without id", lambda s: signed(claims(s, aluno_id=None))),
        ("garbage", lambda s: "not.a.token"),
    ],
)
def test_bad_tokens_are_refused_as_invalid(settings, case, token_of):
    with pytest.raises(tokens.TokenError) as refused:
        tokens.decode(settings, token_of(settings))
    assert refused.value.code == "INVALID_TOKEN", case


def test_an_expired_token_is_refused_as_expired(settings):
    long_ago = int(time.time()) - 3600
    token = signed(claims(settings, iat=long_ago, exp=long_ago + 900))
    with pytest.raises(tokens.TokenError) as refused:
        tokens.decode(settings, token)
    assert refused.value.code == "TOKEN_EXPIRED"


def test_a_tampered_role_breaks_the_signature(settings):
    token = tokens.issue(settings, Principal(login="catraca-01", papel=Role.CATRACA)).access_token
    header, payload, signature = token.split(".")
    raised = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    raised["papel"] = "admin"
    with pytest.raises(tokens.TokenError) as refused:
        tokens.decode(settings, f"{header}.{_b64(raised)}.{signature}")
    assert refused.value.code == "INVALID_TOKEN"


@pytest.mark.parametrize("environment", ["production", "staging", "prod"])
def test_outside_local_the_dev_secret_and_short_secrets_are_refused(environment):
    with pytest.raises(ValidationError, match="development default"):
        GatewaySettings(_env_file=None, environment=environment)
    with pytest.raises(ValidationError, match="fewer than 32"):
        GatewaySettings(_env_file=None, environment=environment, jwt_secret="x" * 31)
    accepted = GatewaySettings(_env_file=None, environment=environment, jwt_secret="x" * 32)
    assert accepted.jwt_secret.get_secret_value() == "x" * 32


@pytest.mark.parametrize("environment", ["local", "dev", "test"])
def test_in_local_environments_the_dev_secret_is_accepted(environment):
    settings = GatewaySettings(_env_file=None, environment=environment)
    assert settings.jwt_secret.get_secret_value() == DEV_JWT_SECRET


@pytest.mark.parametrize(
    ("secret", "said"), [(None, "development default"), ("too-short", "fewer than 32")]
)
def test_the_process_refuses_to_start_with_a_weak_secret_outside_local(secret, said):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FREQUENTA_")}
    env["FREQUENTA_ENVIRONMENT"] = "production"
    env["FREQUENTA_GATEWAY_PORT"] = "1"  # never reached: it must stop before serving
    if secret is not None:
        env["FREQUENTA_JWT_SECRET"] = secret
    started = subprocess.run(
        [sys.executable, "-m", "frequenta_gateway", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 2
    assert "the gateway cannot start" in started.stderr and said in started.stderr
    assert "FREQUENTA_JWT_SECRET" in started.stderr


# -- the routes' Verifier: decode() with valid tokens remembered --------------------------------


def test_the_verifier_decodes_a_remembered_token_once(settings, monkeypatch):
    token = tokens.issue(settings, MEMBER).access_token
    calls = []
    real = tokens.jwt.decode
    monkeypatch.setattr(tokens.jwt, "decode", lambda *a, **k: calls.append(1) or real(*a, **k))
    verifier = tokens.Verifier(settings)
    assert [verifier.decode(token) for _ in range(3)] == [MEMBER] * 3
    assert len(calls) == 1


@pytest.mark.parametrize(
    "token_of",
    [
        lambda s: signed(claims(s), key="another-secret-of-more-than-32-bytes!"),
        lambda s: signed(claims(s, papel="root")),
        lambda s: f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims(s))}.",
        lambda s: signed(claims(s, iat=int(time.time()) - 3600, exp=int(time.time()) - 2700)),
    ],
    ids=["wrong key", "unknown role", "alg none", "expired"],
)
def test_the_verifier_refuses_every_time_what_decode_refuses(settings, token_of):
    token = token_of(settings)
    with pytest.raises(tokens.TokenError) as expected:
        tokens.decode(settings, token)
    verifier = tokens.Verifier(settings)
    for _ in range(2):  # a refused token is not remembered
        with pytest.raises(tokens.TokenError) as refused:
            verifier.decode(token)
        assert (refused.value.code, refused.value.message) == (
            expected.value.code,
            expected.value.message,
        )


def test_a_remembered_token_is_refused_once_it_expires(settings):
    """Valid for about a second more (exp plus the leeway): accepted and remembered, then
    TOKEN_EXPIRED as soon as decode would say so."""
    now = time.time()
    expires = int(now) + 1 - tokens.LEEWAY_SECONDS + 1
    token = signed(claims(settings, iat=int(now) - 60, exp=expires))
    verifier = tokens.Verifier(settings)
    assert verifier.decode(token) == MEMBER
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            verifier.decode(token)
        except tokens.TokenError as refused:
            assert refused.code == "TOKEN_EXPIRED"
            assert time.time() >= expires + tokens.LEEWAY_SECONDS
            return
        time.sleep(0.05)
    pytest.fail("a remembered token was still accepted after its expiry")


def test_a_verifier_remembers_for_its_own_settings_only(settings):
    other = GatewaySettings(_env_file=None, jwt_secret="x" * 40 + "-another-secret")
    token = tokens.issue(settings, MEMBER).access_token
    assert tokens.Verifier(settings).decode(token) == MEMBER
    with pytest.raises(tokens.TokenError) as refused:
        tokens.Verifier(other).decode(token)
    assert refused.value.code == "INVALID_TOKEN"
