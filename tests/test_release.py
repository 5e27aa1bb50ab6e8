"""`feedsvc release DATE` does only what it says (issue 16, "What was seen" 10): it applies only to an issue held
on a suspended date; for any other it exits non-zero with one line saying the issue's state, and says and marks
nothing. Dates are YYYY-MM-DD only."""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import ManualClock, feedsvc, issue_text

from feedsvc.config import Settings
from feedsvc.decisions import Refused
from feedsvc.service import Service
from feedsvc.wiring import open_service

TZ = ZoneInfo("Asia/Shanghai")
HELD = date(2023, 10, 4)  # suspended by the seed's notice (09-29 … 10-11, resuming 10-13)


@pytest.fixture(name="clock")
def _clock() -> ManualClock:
    return ManualClock(datetime(2023, 10, 4, 9, tzinfo=TZ))


@pytest.fixture(name="service")
def _service(settings: Settings, clock: ManualClock, seed_bytes: bytes) -> Service:
    service = open_service(settings, clock)
    (settings.inbox / "seed.txt").write_bytes(seed_bytes)
    assert service.ingest(settings.inbox / "seed.txt")
    return service


def drop(service: Service, settings: Settings, day: date, title: str) -> None:
    path = settings.inbox / f"{day}.txt"
    path.write_text(issue_text(day, title))
    assert service.ingest(path)


def refused(service: Service, day: date, caplog: pytest.LogCaptureFixture) -> str:
    """The refusal's one line; nothing logged, nothing forced."""
    before = service.store.issue(day)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="feedsvc"), pytest.raises(Refused) as refusal:
        service.release(day)
    assert not caplog.records
    assert service.store.issue(day) == before
    message = str(refusal.value)
    assert "\n" not in message and message.startswith(f"{day}: ")
    return message


def test_no_such_issue(service: Service, caplog: pytest.LogCaptureFixture) -> None:
    assert refused(service, date(2023, 10, 6), caplog) == "2023-10-06: no such issue in the store; nothing to release"


def test_an_issue_already_public(service: Service, caplog: pytest.LogCaptureFixture) -> None:
    assert refused(service, date(2023, 9, 27), caplog) == "2023-09-27: already public; nothing to release"


def test_a_future_issue_on_a_publication_day_is_scheduled_not_held(service: Service, settings: Settings,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    """Seen: it said "released" (exit 0) and marked the issue forced."""
    drop(service, settings, date(2023, 10, 13), "复刊 第一期")
    assert refused(service, date(2023, 10, 13), caplog) == (
        "2023-10-13: scheduled for release at 2023-10-13T06:00+08:00, not held on a suspended date; "
        "nothing to release")
    assert not service.store.issue(date(2023, 10, 13)).forced  # type: ignore[union-attr]


def test_a_held_issue_is_released_once_and_said_once(service: Service, settings: Settings,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    drop(service, settings, HELD, "节日特刊 假期见闻")
    assert service.status()["held"][0]["issue_date"] == str(HELD)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="feedsvc"):
        service.release(HELD)
    assert [r.getMessage() for r in caplog.records if "IssueReleased" in r.getMessage()] == [
        "IssueReleased issue_date=2023-10-04 items=1"]
    assert refused(service, HELD, caplog) == "2023-10-04: already public; nothing to release"


def test_a_held_issue_released_before_its_time_goes_public_at_it(service: Service, settings: Settings,
                                                                 clock: ManualClock,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    clock.now = datetime(2023, 10, 3, 20, tzinfo=TZ)
    drop(service, settings, HELD, "节日特刊 假期见闻")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="feedsvc"):
        service.release(HELD)
    messages = [r.getMessage() for r in caplog.records]
    assert "IssueScheduled issue_date=2023-10-04 release_at=2023-10-04T06:00:00+08:00" in messages
    assert not [m for m in messages if "IssueReleased" in m]  # not public yet: not said
    assert refused(service, HELD, caplog) == (
        "2023-10-04: already released; it goes public at its release time, 2023-10-04T06:00+08:00")


def test_a_withdrawn_issue(service: Service, caplog: pytest.LogCaptureFixture) -> None:
    service.withdraw(date(2023, 9, 27))
    assert refused(service, date(2023, 9, 27), caplog) == (
        "2023-09-27: withdrawn (feedsvc withdraw); nothing to release")


@pytest.mark.slow
def test_the_command_line_says_the_state_in_one_line_and_takes_only_yyyy_mm_dd(tmp_path: Path,
                                                                                seed_path: Path) -> None:
    data = str(tmp_path / "var")
    feedsvc("ingest", "--data", data, str(seed_path))
    for text in ("20231106", "2023-9-27", "2023-02-30", "2023-W40-1"):
        result = feedsvc("release", text, "--data", data, check=False)
        lines = result.stderr.strip().splitlines()
        assert result.returncode != 0 and len(lines) == 1 and "YYYY-MM-DD" in lines[0], (text, result.stderr)
    later = {"FEEDSVC_NOW": "2023-09-28T10:00:00+08:00"}  # after the ingest made the seed public
    for day, state in (("2023-09-27", "already public"), ("2023-10-04", "no such issue")):
        result = feedsvc("release", day, "--data", data, check=False, env=later)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 1 and result.stdout == ""
        assert len(lines) == 1 and lines[0].startswith(f"{day}: {state}"), result.stderr
