"""Issue 16 through the service: real parser, SQLite file and publisher, a clock the tests move, settings that
change between runs. Each test names the item of "What was seen" it reproduces."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import feedparser
import pytest
from conftest import ManualClock, issue_text

from feedsvc.config import Settings
from feedsvc.model import Suspension
from feedsvc.service import Service
from feedsvc.wiring import open_service

TZ = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int = 0, minute: int = 0, second: float = 0) -> datetime:
    whole = int(second)
    return datetime(2023, month, day, hour, minute, whole, int((second - whole) * 1e6), tzinfo=TZ)


def ingest(service: Service, settings: Settings, day: date, title: str, notice: str = "") -> None:
    path = settings.inbox / f"{day.isoformat()}.txt"
    path.write_text(issue_text(day, title, notice=notice))
    assert service.ingest(path)


def titles(settings: Settings) -> list[str]:
    parsed = feedparser.parse((settings.public / "rss.xml").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return [e.title for e in parsed.entries]


def reopen(service: Service, settings: Settings, clock: ManualClock) -> Service:
    """A restart, possibly with other settings: the daemon opens the service and recovers."""
    service.close()
    fresh = open_service(settings, clock)
    fresh.recover()
    return fresh


# --- item 4: nothing public is taken back -----------------------------------------------------------------------

def test_item4_a_corrected_issue_adding_a_notice_leaves_a_public_issue_public(
        settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    clock = ManualClock(at(9, 29, 7))
    service = open_service(settings, clock)
    ingest(service, settings, date(2023, 9, 29), "节前消费 热度攀升")
    clock.now = at(10, 2, 7)
    ingest(service, settings, date(2023, 10, 2), "假日出行 平稳有序")
    assert "假日出行 平稳有序" in titles(settings)
    clock.now = at(10, 3, 9)  # the 09-29 issue corrected: it now carries a notice naming 10-02, already public
    with caplog.at_level(logging.WARNING, logger="feedsvc"):
        ingest(service, settings, date(2023, 9, 29), "节前消费 热度攀升 (更正)",
               notice="本报10月2日、10月4日休刊两期，10月6日恢复正常出版。")
    assert "假日出行 平稳有序" in titles(settings)
    assert service.status()["held"] == []
    assert any("2023-10-02 issue stays public" in r.getMessage() for r in caplog.records)
    assert service.paper.calendar.hold_reason(date(2023, 10, 4)) is not None  # the rest of the notice holds
    service.close()


def test_item4_a_configured_suspension_or_a_clock_set_back_takes_nothing_back(
        settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    clock = ManualClock(at(10, 2, 5))
    service = open_service(settings, clock)
    ingest(service, settings, date(2023, 10, 2), "假日出行 平稳有序")
    clock.now = at(10, 2, 6, 30)
    service.release_due()
    assert titles(settings) == ["假日出行 平稳有序"]
    configured = Suspension((date(2023, 10, 2),), None, None, "国庆休刊", None)
    with caplog.at_level(logging.WARNING, logger="feedsvc"):
        service = reopen(service, replace(settings, suspensions=(configured,)), clock)
        assert titles(settings) == ["假日出行 平稳有序"]
        clock.now = at(10, 2, 5)  # restarted with the clock an hour and a half back
        service = reopen(service, settings, clock)
        service.publish(everything=True)
    assert titles(settings) == ["假日出行 平稳有序"]
    assert (settings.public / "issues" / "2023-10-02.html").exists()
    messages = [r.getMessage() for r in caplog.records]
    assert any("stays public although configured suspension 国庆休刊" in m for m in messages)
    assert any("is before the 2023-10-02 issue went public" in m for m in messages)
    service.close()


def test_a_clock_set_back_behind_many_public_issues_says_so_in_one_line(
        settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    clock = ManualClock(at(10, 20, 12))
    service = open_service(settings, clock)
    days = [date(2023, 10, 9), date(2023, 10, 11), date(2023, 10, 13), date(2023, 10, 16), date(2023, 10, 18)]
    for n, day in enumerate(days):
        ingest(service, settings, day, f"第{n}条新闻 今日发布")
    clock.now = at(10, 1, 12)  # restarted with the clock weeks back
    with caplog.at_level(logging.WARNING, logger="feedsvc"):
        service = reopen(service, settings, clock)
    lines = [r.getMessage() for r in caplog.records if "went public" in r.getMessage()]
    assert len(lines) == 1, lines
    assert "2023-10-18 issue" in lines[0] and "2 earlier ones" in lines[0] and "they stay public" in lines[0]
    assert len(titles(settings)) == len(days)
    service.close()


# --- item 5: the issue printing a notice is not held by it -----------------------------------------------------

def test_item5_the_issue_printing_a_notice_is_published(settings: Settings) -> None:
    clock = ManualClock(at(10, 2, 7))
    service = open_service(settings, clock)
    ingest(service, settings, date(2023, 10, 2), "假日出行 平稳有序",
           notice="本报10月2日至10月6日休刊，10月9日恢复正常出版。")
    assert titles(settings) == ["假日出行 平稳有序", "休刊通知"]
    info = service.status()
    assert info["held"] == [] and info["next_expected"] == "2023-10-09"
    service.close()


# --- item 7: ranges over the weekdays in force now; release times from the settings now ------------------------

def test_item7_a_range_read_under_one_weekday_setting_covers_every_day_under_another(settings: Settings) -> None:
    clock = ManualClock(at(9, 27, 7))
    service = open_service(settings, clock)
    ingest(service, settings, date(2023, 9, 27), "节前消费 热度攀升",
           notice="本报10月2日至10月6日休刊，10月9日恢复出版。")
    clock.now = at(10, 3, 9)
    service = reopen(service, replace(settings, weekdays=tuple(range(7))), clock)
    info = service.status()
    # Daily now: 10-03 is inside the printed range, and 10-07 and 10-08 lie before the resume date.
    assert (info["overdue"], info["next_expected"]) == (None, "2023-10-09")
    # Daily, 09-28 … 10-01 were expected and did not come; nothing of the break is missing.
    assert service.check_missing() == [date(2023, 9, 28), date(2023, 9, 29), date(2023, 9, 30), date(2023, 10, 1)]
    service.close()


def test_item7_a_release_time_moved_later_holds_a_stored_issue(settings: Settings) -> None:
    clock = ManualClock(at(10, 12, 9))
    service = open_service(settings, clock)
    ingest(service, settings, date(2023, 10, 13), "复刊首期 城市新貌")
    later = replace(settings, release_time=time(8))
    clock.now = at(10, 13, 7)
    service = reopen(service, later, clock)
    service.release_due()
    assert titles(settings) == []
    (held,) = service.status()["held"]
    assert held["reason"] == "scheduled for release at 2023-10-13T08:00+08:00"
    clock.now = at(10, 13, 8)
    service.release_due()
    assert titles(settings) == ["复刊首期 城市新貌"]
    service.close()


# --- item 8: freshness follows what is public ----------------------------------------------------------------

def test_item8_at_the_release_instant_a_feed_without_the_release_stays_short(settings: Settings) -> None:
    clock = ManualClock(at(10, 12, 9))
    service = open_service(settings, clock)
    ingest(service, settings, date(2023, 10, 11), "节后首期")
    ingest(service, settings, date(2023, 10, 13), "复刊首期 城市新貌")
    clock.now = at(10, 13, 6, 0, 0.005)  # released, but no publication has run yet
    assert service.max_age(at(10, 12, 9)) <= 300
    service.release_due()
    assert service.max_age(at(10, 13, 6)) > 300
    service.close()


# --- item 9: every missing date after a downtime ----------------------------------------------------------------

def test_item9_after_three_weeks_down_every_missing_issue_is_reported(
        settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    clock = ManualClock(at(10, 13, 7))
    service = open_service(settings, clock)
    ingest(service, settings, date(2023, 10, 13), "复刊首期 城市新貌")
    clock.now = at(10, 27, 9)  # 10-16 … 10-27: six Mon/Wed/Fri issues never came
    service = reopen(service, settings, clock)
    days = [date(2023, 10, d) for d in (16, 18, 20, 23, 25, 27)]
    with caplog.at_level(logging.WARNING, logger="feedsvc"):
        assert service.check_missing() == days
        assert service.check_missing() == []
    assert len([r for r in caplog.records if "IssueMissing" in r.getMessage()]) == 6
    assert service.status()["missing"] == [d.isoformat() for d in days]
    service.close()


# --- item 11: overdue is visible; a count that disagrees shows in status ---------------------------------------

def test_item11_overdue_on_the_index_page_and_in_status(settings: Settings) -> None:
    clock = ManualClock(at(10, 13, 7))
    service = open_service(settings, clock)
    ingest(service, settings, date(2023, 10, 13), "复刊首期 城市新貌")
    clock.now = at(10, 16, 7)  # 10-16 released an hour ago, not arrived
    service.refresh_index()
    page = (settings.public / "index.html").read_text()
    assert "the 2023-10-16 issue is overdue" in page
    assert service.status()["overdue"] == "2023-10-16"
    clock.now = at(10, 16, 9)
    ingest(service, settings, date(2023, 10, 16), "周一 新闻")
    service.refresh_index()
    assert "overdue" not in (settings.public / "index.html").read_text()
    service.close()


def test_item11_a_count_that_disagrees_with_the_dates_is_shown_in_status(settings: Settings) -> None:
    clock = ManualClock(at(9, 27, 7))
    service = open_service(settings, clock)
    ingest(service, settings, date(2023, 9, 27), "节前消费 热度攀升",
           notice="本报9月29日、10月2日、10月4日、10月6日、10月9日、10月11日休刊五期，10月13日正常出版。")
    (notice,) = service.status()["notices"]
    assert any("declares 5 issues suspended but its dates cover 6" in w for w in notice["warnings"])
    service.close()
