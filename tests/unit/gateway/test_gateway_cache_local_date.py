"""The local date every cache key carries, worked out again only past the local midnight."""

from datetime import datetime
from zoneinfo import ZoneInfo

from frequenta_gateway.cache.policy import LocalDate

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


class Clock:
    def __init__(self, iso: str) -> None:
        self.now = datetime.fromisoformat(iso).timestamp()
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now


def test_the_date_turns_at_the_gyms_midnight_not_utcs():
    clock = Clock("2026-11-25T23:59:59.500-03:00")  # already the 26th in UTC
    today = LocalDate(SAO_PAULO, clock)
    assert today() == "2026-11-25"
    clock.now += 0.4
    assert today() == "2026-11-25"
    clock.now += 0.1  # midnight in São Paulo
    assert today() == "2026-11-26"
    clock.now += 86_399.9
    assert today() == "2026-11-26"
    clock.now += 0.1
    assert today() == "2026-11-27"


def test_every_answer_follows_the_clock_back_and_forth():
    clock = Clock("2026-03-01T10:00:00-03:00")
    today = LocalDate(SAO_PAULO, clock)
    assert today() == "2026-03-01"
    clock.now -= 86_400  # a clock set back a day: worked out again, not kept
    assert today() == "2026-02-28"
    clock.now += 86_400
    assert today() == "2026-03-01"


def test_a_zone_whose_midnight_was_skipped():
    # Brazil's daylight saving time started at midnight (2018-11-04 00:00 did not exist there).
    clock = Clock("2018-11-03T23:30:00-03:00")
    today = LocalDate(SAO_PAULO, clock)
    assert today() == "2018-11-03"
    clock.now += 30 * 60  # 01:00 -02:00, the first instant of the 4th
    assert today() == "2018-11-04"
    clock.now += 23 * 3600 - 1  # 23:59:59 -02:00
    assert today() == "2018-11-04"
    clock.now += 1
    assert today() == "2018-11-05"
