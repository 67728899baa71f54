import pytest
from pydantic import ValidationError

from frequenta_kit.settings import BaseProcessSettings


def test_gym_timezone_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FREQUENTA_GYM_TIMEZONE", "America/Manaus")
    assert BaseProcessSettings().tz.key == "America/Manaus"


def test_an_unknown_timezone_is_refused_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FREQUENTA_GYM_TIMEZONE", "America/Atlantis")
    with pytest.raises(ValidationError):
        BaseProcessSettings()
