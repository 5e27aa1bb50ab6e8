"""Reading suspension notices: dates, ranges over the publication calendar, resume date, counts, years."""

from __future__ import annotations

from datetime import date

import pytest

from feedsvc.model import Suspension
from feedsvc.parse.notices import is_notice_title, merge_suspensions, read_suspension

MWF = (0, 2, 4)
SEED_NOTICE = (
    "因中秋节、国庆节放假,本报9月29日(星期五)、10月2日(星期一)、10月4日(星期三)、10月6日(星期五)、"
    "10月9日(星期一)、10月11日(星期三)休刊六期,10月13日(星期五)正常出版。"
)


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize(
    ("text", "notice_date", "dates", "ranges", "resume", "count"),
    [
        pytest.param(
            SEED_NOTICE,
            "2023-09-27",
            ["2023-09-29", "2023-10-02", "2023-10-04", "2023-10-06", "2023-10-09", "2023-10-11"],
            [],
            "2023-10-13",
            6,
            id="seed list",
        ),
        pytest.param(
            "本报1月22日(星期一)至1月26日(星期五)休刊三期，1月29日(星期一)起恢复正常出版。",
            "2024-01-19", [], [("2024-01-22", "2024-01-26")], "2024-01-29", 3,
            id="range, kept as printed",
        ),
        pytest.param(
            "本报10月1日至7日休刊，10月9日（星期三）恢复出版。",
            "2024-09-27", [], [("2024-10-01", "2024-10-07")], "2024-10-09", None,
            id="range with a month-less end",
        ),
        pytest.param(
            "本报十月一日至七日休刊，十月九日恢复出版。",
            "2024-09-27", [], [("2024-10-01", "2024-10-07")], "2024-10-09", None,
            id="Chinese numerals",
        ),
        pytest.param(
            "本报12月30日、1月1日、1月3日休刊三期，1月6日恢复出版。",
            "2024-12-27", ["2024-12-30", "2025-01-01", "2025-01-03"], [], "2025-01-06", 3,
            id="year crossing list",
        ),
        pytest.param(
            "本报12月30日至1月3日休刊，1月6日照常出版。",
            "2024-12-27", [], [("2024-12-30", "2025-01-03")], "2025-01-06", None,
            id="year crossing range",
        ),
        pytest.param(
            "本报2025年1月1日（星期三）休刊一期。",
            "2024-12-20", ["2025-01-01"], [], None, 1,
            id="explicit year",
        ),
        pytest.param(
            "本报将于2026年2月16日至22日休刊，2月25日起恢复正常出版。",
            "2026-02-09", [], [("2026-02-16", "2026-02-22")], "2026-02-25", None,
            id="explicit year, month-less range end, no weekdays",
        ),
        pytest.param(
            "本报10月2日、4日、6日休刊三期，10月9日复刊。",
            "2023-09-27", ["2023-10-02", "2023-10-04", "2023-10-06"], [], "2023-10-09", 3,
            id="month-less days in a list",
        ),
        pytest.param(
            "本报自即日起休刊，10月9日（星期三）恢复出版。",
            "2024-09-27", [], [("2024-09-28", "2024-10-08")], "2024-10-09", None,
            id="from today until the resume date",
        ),
        pytest.param(
            "国庆节9月29日至10月6日放假调休，本报10月2日、4日休刊两期，10月7日（星期一）正常出版。",
            "2024-09-27", ["2024-10-02", "2024-10-04"], [], "2024-10-07", 2,
            id="holiday dates are not suspension dates",
        ),
        pytest.param(
            "本报休刊两期：10月2日、10月4日。\n10月6日起恢复出版。",
            "2023-09-27", ["2023-10-02", "2023-10-04"], [], "2023-10-06", 2,
            id="dates after the keyword",
        ),
        pytest.param(
            "本报10月2日、4日休报，10月6日与读者见面。",
            "2023-09-27", ["2023-10-02", "2023-10-04"], [], "2023-10-06", None,
            id="休报 and 与读者见面",
        ),
        pytest.param(
            "本报9月27日休刊。",
            "2023-09-27", ["2023-09-27"], [], None, None,
            id="on the notice date is this year",
        ),
        pytest.param(
            "本报9月25日休刊。",
            "2023-09-27", ["2023-09-25"], [], None, None,
            id="just before the notice date is this year (history: the calendar ignores it)",
        ),
        pytest.param(
            "本报于9月29日(星期五)至10月11日(星期三)国庆期间休刊,10月13日起恢复正常出版。",
            "2023-10-13", [], [("2023-09-29", "2023-10-11")], "2023-10-13", None,
            id="a notice looking back keeps its year (issue 16, item 1)",
        ),
        pytest.param(
            "本报1月5日（星期五）休刊一期。",
            "2024-07-01", ["2024-01-05"], [], None, 1,
            id="the printed weekday decides between two years about as near",
        ),
        pytest.param(
            "本报1月3日（星期五）休刊一期。",
            "2024-07-01", ["2025-01-03"], [], None, 1,
            id="a printed weekday fitting only the next year",
        ),
    ],
)
def test_read_suspension(text, notice_date, dates, ranges, resume, count):
    suspension, warnings = read_suspension(text, d(notice_date), MWF, "休刊通知")
    assert suspension == Suspension(
        dates=tuple(d(x) for x in dates),
        resume=d(resume) if resume else None,
        declared_count=count,
        notice="休刊通知",
        notice_date=d(notice_date),
        ranges=tuple((d(a), d(b)) for a, b in ranges),
    )
    assert warnings == []


@pytest.mark.parametrize(
    ("text", "dates", "warning"),
    [
        ("本报10月2日、10月4日休刊三期。", ["2023-10-02", "2023-10-04"], "declared 三期 but listed 2 dates"),
        (
            "本报第十二期后休刊，10月2日、10月4日休刊三期。",
            ["2023-10-02", "2023-10-04"],
            "declared 三期 but listed 2 dates",
        ),
        (SEED_NOTICE.replace("10月11日(星期三)", ""), None, "declared 六期 but listed 5 dates"),
        ("本报9月29日(星期四)休刊一期。", ["2023-09-29"], "9月29日 is 星期五, not 星期四 as printed"),
        ("本报9月30日（星期六）休刊。", ["2023-09-30"], "2023-09-30 (星期六) is not a publication day"),
        (
            "本报10月9日休刊，10月6日恢复出版。",
            ["2023-10-09"],
            "resume date 2023-10-06 is not after the last suspended date",
        ),
        ("本报2月30日、3月1日休刊。", ["2024-03-01"], "2月30日 is not a real date"),
        ("本报近期将休刊，具体时间另行通知。", [], "notice mentions a suspension but names no dates"),
    ],
)
def test_read_suspension_warns_about_oddities(text, dates, warning):
    """Mismatches between what is printed and the calendar are warnings; the dates are still read."""
    suspension, warnings = read_suspension(text, d("2023-09-27"), MWF, "x")
    assert warning in warnings
    if dates is not None:
        assert (suspension.dates if suspension else ()) == tuple(d(x) for x in dates)


def test_ranges_are_kept_as_printed_whatever_the_weekdays():
    """The calendar expands a range over the weekdays in force when it is asked (issue 16, item 7)."""
    for weekdays in (MWF, range(7)):
        suspension, _ = read_suspension("本报10月1日至3日休刊。", d("2023-09-27"), weekdays, "x")
        assert suspension is not None
        assert (suspension.dates, suspension.ranges) == ((), ((d("2023-10-01"), d("2023-10-03")),))


def test_a_notice_without_suspension_declares_nothing():
    assert read_suspension("本报2024年度征订工作正在进行中，欢迎订阅。", d("2024-03-01"), MWF, "x") == (None, [])


def test_merge_suspensions_joins_several_notices():
    first = Suspension((d("2024-10-02"),), d("2024-10-04"), 1, "甲", d("2024-09-27"))
    second = Suspension((d("2024-10-07"), d("2024-10-02")), d("2024-10-09"), 2, "乙", d("2024-09-27"))
    warnings: list[str] = []
    merged = merge_suspensions([first, second], warnings)
    assert merged == Suspension((d("2024-10-02"), d("2024-10-07")), d("2024-10-09"), 3, "甲\n\n乙", d("2024-09-27"))
    assert warnings == ["2 suspension notices in one issue; their dates are merged"]
    assert merge_suspensions([first], []) is first
    assert merge_suspensions([], []) is None


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("休刊通知", True),
        ("本报休刊启事", True),
        ("关于春节期间休刊的公告", True),
        ("重要声明", True),
        ("更正", True),
        ("致读者", True),
        ("七部门发布通知 促进电子产品消费升级换代", False),
        ("山东新泰: 秋粮收获忙", False),
    ],
)
def test_is_notice_title(title, expected):
    assert is_notice_title(title) is expected


# --- decisions beyond suspensions (issue 16 item 3, issue 13 item 8) ------------------------------------------


@pytest.mark.parametrize(
    ("text", "notice_date", "fields"),
    [
        pytest.param("本报10月4日不休刊，照常出版。", "2023-09-27", {"restored": ["2023-10-04"]},
                     id="不休刊 gives the date back"),
        pytest.param("原定10月4日、10月6日休刊取消，照常出版。", "2023-09-27",
                     {"restored": ["2023-10-04", "2023-10-06"]}, id="休刊取消"),
        pytest.param("本报取消10月4日、6日休刊安排。", "2023-09-27", {"restored": ["2023-10-04", "2023-10-06"]},
                     id="取消 before the dates"),
        pytest.param("原定2月20日休刊改为正常出版。", "2026-02-10", {"restored": ["2026-02-20"]},
                     id="原定…休刊改为正常出版"),
        pytest.param("原定10月4日休刊，现调整为照常出版。", "2023-09-27", {"restored": ["2023-10-04"]},
                     id="原定…休刊，调整为照常出版"),
        pytest.param("原定于10月13日恢复出版调整为10月9日恢复出版。", "2023-09-27",
                     {"resume": "2023-10-09", "moved": "2023-10-13"}, id="a resume date moved earlier"),
        pytest.param("原定10月9日恢复出版，推迟至10月13日恢复出版。", "2023-09-27",
                     {"resume": "2023-10-13", "moved": "2023-10-09"}, id="a resume date moved later"),
        pytest.param("本报10月9日起恢复出版。", "2023-10-06", {"resume": "2023-10-09"},
                     id="a bare resume date is a decision"),
        pytest.param(
            "本报2月9日刊登的春节休刊通知有误，现更正如下：本报2月16日至22日休刊，2月25日起恢复正常出版。"
            "原定2月20日休刊改为正常出版。",
            "2026-02-11",
            {"ranges": [("2026-02-16", "2026-02-22")], "restored": ["2026-02-20"], "resume": "2026-02-25"},
            id="a revised notice: the earlier notice's date is neither suspended nor a resume date",
        ),
        pytest.param("本报10月2日、10月4日停刊，10月4日不休刊。", "2023-09-27",
                     {"dates": ["2023-10-02", "2023-10-04"], "restored": ["2023-10-04"]},
                     id="both said: the calendar lets the giving back win"),
    ],
)
def test_what_a_notice_decides(text, notice_date, fields):
    suspension, _ = read_suspension(text, d(notice_date), MWF, "x")
    assert suspension is not None
    assert suspension.dates == tuple(d(x) for x in fields.get("dates", ()))
    assert suspension.ranges == tuple((d(a), d(b)) for a, b in fields.get("ranges", ()))
    assert suspension.restored == tuple(d(x) for x in fields.get("restored", ()))
    assert suspension.resume == (d(fields["resume"]) if "resume" in fields else None)
    assert suspension.resume_moved_from == (d(fields["moved"]) if "moved" in fields else None)


@pytest.mark.parametrize(
    "text",
    [
        "本报逢法定节假日休刊，敬请读者谅解。",
        "本报自2024年1月1日起出版，邮发代号1-23，欢迎订阅。",  # 征订启事: a bare 出版 ends no break
        "本报9月25日刊登的征订启事中，电话号码有误，特此更正。",
    ],
)
def test_notices_that_decide_nothing(text):
    assert read_suspension(text, d("2023-09-27"), MWF, "x")[0] is None


def test_a_weekday_that_fits_no_year_near_stays_a_warning_kept_with_the_notice():
    suspension, warnings = read_suspension("本报9月29日(星期四)休刊一期。", d("2023-09-27"), MWF, "x")
    assert suspension is not None and suspension.dates == (d("2023-09-29"),)
    assert suspension.warnings == ("9月29日 is 星期五, not 星期四 as printed",)
    assert warnings == ["9月29日 is 星期五, not 星期四 as printed"]
