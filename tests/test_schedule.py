"""Notices as decisions in time: how several notices combine into the schedule in force (issue 16)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from feedsvc.calendar import Calendar
from feedsvc.model import Suspension
from feedsvc.parse.notices import read_suspension

TZ = ZoneInfo("Asia/Shanghai")
MWF = (0, 2, 4)


def d(text: str) -> date:
    return date.fromisoformat(f"2023-{text}") if len(text) == 5 else date.fromisoformat(text)


def notice(issue: str, *dates: str, ranges: tuple[tuple[str, str], ...] = (), restored: tuple[str, ...] = (),
           resume: str | None = None, count: int | None = None, moved: str | None = None) -> Suspension:
    return Suspension(
        dates=tuple(d(x) for x in dates), resume=d(resume) if resume else None, declared_count=count,
        notice="休刊通知", notice_date=d(issue), ranges=tuple((d(a), d(b)) for a, b in ranges),
        restored=tuple(d(x) for x in restored), resume_moved_from=d(moved) if moved else None, issue_date=d(issue),
    )


def cal(*notices: Suspension, weekdays=MWF, on_hand=(), **kw) -> Calendar:
    return Calendar.build(weekdays=weekdays, release_time=time(6), tz=TZ, notices=notices, on_hand=on_hand, **kw)


def at(text: str, h: int = 0, mi: int = 0) -> datetime:
    return datetime.combine(d(text), time(h, mi), tzinfo=TZ)


def expected(c: Calendar, first: str, last: str) -> list[date]:
    return [x for x in (d(first) + timedelta(days=n) for n in range((d(last) - d(first)).days + 1))
            if c.is_expected(x)]


# --- item 2: a follow-up notice adds dates, it does not wipe out the first --------------------------------------

FIRST = notice("09-25", "09-29", "10-02", "10-04", "10-06", resume="10-09", count=4)
FOLLOW_UP = notice("09-27", "10-09", "10-11", resume="10-13", count=2)


def test_a_follow_up_adds_its_dates_to_the_first_notice():
    c = cal(FIRST, FOLLOW_UP)
    assert expected(c, "09-28", "10-16") == [d("10-13"), d("10-16")]
    assert c.next_expected(at("09-28", 9)) == d("10-13")
    assert c.overdue(at("10-02", 7), lambda _: False) is None  # 10-02 is still suspended, never overdue
    assert c.effects[1].warnings == ()


def test_the_order_is_the_order_of_the_issues_not_of_the_arguments():
    assert expected(cal(FOLLOW_UP, FIRST), "09-28", "10-16") == [d("10-13"), d("10-16")]


# --- item 3: cancellations and moved resume dates ------------------------------------------------------------

def test_a_cancellation_gives_dates_back_to_normal_publication():
    cancel = notice("09-27", restored=("10-04", "10-06"))
    c = cal(FIRST, cancel)
    assert expected(c, "09-28", "10-09") == [d("10-04"), d("10-06"), d("10-09")]
    assert c.suspended_dates() >= {d("09-29"), d("10-02")}


def test_a_resume_date_moved_earlier_gives_back_the_days_after_it():
    long_break = notice("09-25", ranges=(("09-29", "10-12"),), resume="10-13")
    moved = notice("09-27", resume="10-09", moved="10-13")
    c = cal(long_break, moved)
    assert expected(c, "09-28", "10-16") == [d("10-09"), d("10-11"), d("10-13"), d("10-16")]


def test_a_bare_resume_date_moves_the_break_in_force():
    """本报10月9日起恢复出版, after a notice that said 10-13: the paper is back on 10-09."""
    c = cal(notice("09-25", "09-29", resume="10-13"), notice("09-28", resume="10-09"))
    assert expected(c, "09-28", "10-13") == [d("10-09"), d("10-11"), d("10-13")]


def test_a_resume_date_moved_later_suspends_the_days_before_it():
    c = cal(notice("09-25", "09-29", resume="10-04"), notice("09-27", resume="10-09", moved="10-04"))
    assert expected(c, "09-28", "10-09") == [d("10-09")]


# --- item 6: announced dates off the weekday pattern, and gaps before a resume date ---------------------------

def test_a_resume_date_on_a_saturday_is_expected():
    c = cal(notice("09-27", "09-29", "10-02", "10-04", "10-06", resume="10-07"))
    assert c.next_expected(at("09-28", 9)) == d("10-07")
    assert c.break_until(at("09-28", 9)) == (d("10-07"), "休刊通知 of 2023-09-27")
    now = at("10-06", 9)
    assert c.max_age(now, lambda _: True) == int((at("10-07", 6) - now).total_seconds())
    assert c.releases_between(now, at("10-09", 7)) == [c.release_at(d("10-07")), c.release_at(d("10-09"))]
    assert c.last_checkable(at("10-07", 9)) == d("10-07")  # its missing check runs


def test_a_stored_issue_off_the_pattern_is_expected():
    c = cal(on_hand=[d("10-14")])  # a Saturday extra edition already in the store
    now = at("10-13", 9)
    assert c.next_expected(now) == d("10-14")
    assert c.max_age(now, lambda _: True) == int((at("10-14", 6) - now).total_seconds())


def test_a_gap_before_the_resume_date_is_suspended_with_a_warning():
    c = cal(notice("09-27", "10-02", resume="10-09", count=1))
    assert expected(c, "09-28", "10-09") == [d("09-29"), d("10-09")]
    assert {c.last_checkable(at("10-02") + timedelta(hours=h)) for h in range(0, 7 * 24, 3)} == {d("09-29")}
    (warning,) = c.effects[0].warnings
    assert warning == ("declares 1 issues suspended but its dates cover 3 publication days "
                       "(2023-10-02, 2023-10-04, 2023-10-06)")


# --- item 7: ranges are expanded over the weekdays in force now ------------------------------------------------

def test_a_range_covers_every_day_whatever_the_weekdays_become():
    n = notice("09-27", ranges=(("10-02", "10-06"),))
    assert expected(cal(n, weekdays=range(7)), "10-01", "10-09") == [d("10-01"), d("10-07"), d("10-08"), d("10-09")]


# --- years by sense: a notice looking back declares nothing; the issue printing a notice is not held ----------

def test_dates_before_the_notices_issue_are_history():
    looking_back = notice("10-13", ranges=(("09-29", "10-11"),), resume="10-13")
    c = cal(looking_back)
    assert c.suspended_dates() == frozenset()
    assert "before the issue of 2023-10-13: history, declares nothing" in c.effects[0].warnings[0]


def test_the_issue_printing_a_notice_is_never_held_by_it():
    c = cal(notice("10-02", ranges=(("10-02", "10-06"),), resume="10-09"))
    assert c.hold_reason(d("10-02")) is None
    assert c.hold_reason(d("10-04")) == "2023-10-04 is a declared suspension date (休刊通知 of 2023-10-02)"


# --- item 12: instants, not wall times ------------------------------------------------------------------------

def test_max_age_on_a_spring_forward_day_counts_real_seconds():
    """Europe/Berlin, 2024-03-31: 02:00 → 03:00. A 02:30 release falls at 01:30 UTC (03:30 on the new clock).

    At 03:20 CEST (01:20 UTC) it is 600 s away; comparing wall times would say it passed and answer 83,400.
    """
    berlin = ZoneInfo("Europe/Berlin")
    c = Calendar.build(weekdays=range(7), release_time=time(2, 30), tz=berlin)
    now = datetime(2024, 3, 31, 3, 20, tzinfo=berlin)
    assert c.max_age(now, lambda _: True) == 600
    assert c.next_expected(now) == date(2024, 3, 31)
    assert c.release_at(date(2024, 3, 31)) == datetime(2024, 3, 31, 1, 30, tzinfo=ZoneInfo("UTC"))


def test_naive_times_are_refused():
    c = cal()
    try:
        c.next_expected(datetime(2023, 10, 2, 9))
    except ValueError as exc:
        assert "no UTC offset" in str(exc)
    else:
        raise AssertionError("a naive time was accepted")


# --- the printed wordings, read by the parser and folded by the calendar (items 1, 2, 3) -----------------------

def read(issue: str, text: str, weekdays=MWF) -> Suspension:
    found, _ = read_suspension(text, d(issue), weekdays, text)
    assert found is not None, text
    return replace(found, issue_date=d(issue))


def test_item1_a_notice_looking_back_keeps_its_year_and_declares_nothing():
    """In the 2023-10-13 issue: the break that just ended. Nothing of 2024 is touched; a year later the
    2024-09-30 issue is expected and not held."""
    back = read("10-13", "本报于9月29日(星期五)至10月11日(星期三)国庆期间休刊,10月13日起恢复正常出版。")
    c = cal(back)
    assert c.suspended_dates() == frozenset()
    assert c.hold_reason(date(2024, 9, 30)) is None
    assert c.next_expected(at("2024-09-27", 9)) == date(2024, 9, 30)
    assert c.break_until(at("2024-09-27", 9)) is None


def test_item2_a_follow_up_notice_as_printed():
    first = read("09-25", "本报9月29日、10月2日、10月4日、10月6日休刊四期，10月9日正常出版")
    follow = read("09-27", "本报10月9日、10月11日增加休刊两期，10月13日恢复正常出版")
    c = cal(first, follow)
    assert expected(c, "09-28", "10-16") == [d("10-13"), d("10-16")]
    assert c.overdue(at("10-02", 7), lambda _: False) is None


@pytest.mark.parametrize(
    ("text", "given_back"),
    [
        ("本报10月4日不休刊，照常出版。", ["10-04"]),
        ("原定10月4日、10月6日休刊取消。", ["10-04", "10-06"]),
    ],
)
def test_item3_cancellations_as_printed(text, given_back):
    c = cal(FIRST, read("09-27", text))
    assert [x for x in (d(g) for g in given_back) if not c.is_expected(x)] == []
    assert not c.is_expected(d("10-02"))


def test_item3_a_resume_date_moved_as_printed():
    long_break = read("09-25", "本报9月29日至10月12日休刊，10月13日恢复出版。")
    moved = read("09-27", "原定于10月13日恢复出版调整为10月9日恢复出版。")
    assert moved.resume_moved_from == d("10-13")
    c = cal(long_break, moved)
    assert expected(c, "09-28", "10-16") == [d("10-09"), d("10-11"), d("10-13"), d("10-16")]


def test_a_subscription_notice_moves_no_break_that_is_over():
    """A 征订启事 of December saying `1月1日起恢复出版` is not the end of October's break."""
    october = read("09-27", "本报10月2日至10月6日休刊，10月9日恢复出版。")
    later = read("12-20", "本报1月1日起恢复出版。")
    c = cal(october, later)
    assert expected(c, "10-09", "10-13") == [d("10-09"), d("10-11"), d("10-13")]
