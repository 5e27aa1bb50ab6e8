"""Chinese numerals and calendar dates as newspapers print them (2023年9月27日, 二〇二三年九月二十七日, 星期五).

Shared by the parser (issue date, page headers) and the notice reader (suspension dates).
"""

from __future__ import annotations

import re
from datetime import date

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"

_CN_DIGITS = {
    "〇": 0,
    "○": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100}

# Month and day numbers: digits (ASCII or full-width) or Chinese numerals up to 三十一.
MD = r"(?:[0-9０-９]{1,2}|[一二三四五六七八九十]{1,3})"
YEAR = r"(?:[0-9０-９]{4}|[〇○零一二三四五六七八九]{4})"
WEEKDAY = r"(?:[(（]\s*)?(?:星期|礼拜|周)\s*(?P<wd>[一二三四五六日天])(?:\s*[)）])?"
WEEKDAY_NAMES = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")

# A complete date: 2023年9月27日, 二〇二三年九月二十七日, 2023-09-27, 2023.9.27, 2023/9/27.
FULL_DATE = re.compile(
    rf"(?P<y>{YEAR})\s*年\s*(?P<m>{MD})\s*月\s*(?P<d>{MD})\s*[日号]"
    r"|(?<![0-9０-９])(?P<y2>[0-9０-９]{4})\s*(?P<sep>[-./／])\s*(?P<m2>[0-9０-９]{1,2})\s*(?P=sep)\s*"
    r"(?P<d2>[0-9０-９]{1,2})(?![0-9０-９])"
)
_NAME_DATE = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})([-_.]?)(0[1-9]|1[0-2])\2(0[1-9]|[12][0-9]|3[01])(?![0-9])")


def cn_int(text: str) -> int | None:
    """The value of a number written in digits or in Chinese numerals (六, 十二, 二十七, 二〇二三); else None."""
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    if any(ch in _CN_UNITS for ch in text):
        total, digit = 0, None
        for ch in text:
            if ch in _CN_DIGITS:
                digit = _CN_DIGITS[ch]
            elif ch in _CN_UNITS:
                total += (1 if digit is None else digit) * _CN_UNITS[ch]
                digit = None
            else:
                return None
        return total + (digit or 0)
    value = 0
    for ch in text:
        if ch not in _CN_DIGITS:
            return None
        value = value * 10 + _CN_DIGITS[ch]
    return value


def make_date(year: int | None, month: int | None, day: int | None) -> date | None:
    """A real calendar date, or None for 2月30日 and friends."""
    if year is None or month is None or day is None:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def match_date(m: re.Match[str]) -> date | None:
    """The date a FULL_DATE match denotes, or None when it names no real day."""
    if m.group("y") is not None:
        return make_date(cn_int(m.group("y")), cn_int(m.group("m")), cn_int(m.group("d")))
    return make_date(cn_int(m.group("y2")), cn_int(m.group("m2")), cn_int(m.group("d2")))


def weekday_of(name: str) -> int:
    """0 = Monday for the character after 星期 (一 … 六, 日/天)."""
    return 6 if name in "日天" else "一二三四五六".index(name)


def date_in_name(name: str) -> date | None:
    """The date in a file name: 2024-03-08.txt, 20240308.txt, 2024年3月8日.txt; None if there is none."""
    for m in _NAME_DATE.finditer(name):
        # 20240308 glued to letters is more likely part of a hash than a date.
        if m.group(2) or not (name[m.start() - 1 : m.start()].isalpha() or name[m.end() : m.end() + 1].isalpha()):
            found = make_date(int(m.group(1)), int(m.group(3)), int(m.group(4)))
            if found is not None:
                return found
    full = FULL_DATE.search(name)
    return match_date(full) if full else None
