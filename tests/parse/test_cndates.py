"""Chinese numerals and printed dates."""

from __future__ import annotations

from datetime import date

import pytest

from feedsvc.parse.cndates import FULL_DATE, cn_int, date_in_name, match_date


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("6", 6),
        ("１２", 12),
        ("六", 6),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("二十七", 27),
        ("三十一", 31),
        ("两", 2),
        ("二〇二三", 2023),
        ("一百零五", 105),
        ("", None),
        ("六期", None),
        ("²", None),
    ],
)
def test_cn_int(text, value):
    assert cn_int(text) == value


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2023年9月27日", date(2023, 9, 27)),
        ("２０２３年９月２７日", date(2023, 9, 27)),
        ("二〇二三年九月二十七日", date(2023, 9, 27)),
        ("2023年 9月 27日", date(2023, 9, 27)),
        ("2023-09-27", date(2023, 9, 27)),
        ("2023.9.27", date(2023, 9, 27)),
        ("2023/9/27", date(2023, 9, 27)),
        ("2023年2月30日", None),
    ],
)
def test_full_dates(text, day):
    m = FULL_DATE.search(text)
    assert m is not None
    assert match_date(m) == day


@pytest.mark.parametrize(
    ("name", "day"),
    [
        ("2024-03-08.txt", date(2024, 3, 8)),
        ("20240308.txt", date(2024, 3, 8)),
        ("issue_2024_03_08_v2.txt", date(2024, 3, 8)),
        ("示例日报2024年3月8日.txt", date(2024, 3, 8)),
        ("000_90b6bc3011e581f6.txt", None),
        ("a20240308f.txt", None),  # eight digits inside a hash
        ("2024-13-08.txt", None),
        ("120240308.txt", None),
    ],
)
def test_date_in_name(name, day):
    assert date_in_name(name) == day
