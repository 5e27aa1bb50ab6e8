"""Reading a notice (休刊通知, 启事, 公告): which publication dates it suspends and when the paper resumes.

Handles lists (`9月29日(星期五)、10月2日(星期一)…休刊六期`), ranges expanded over the publication weekdays
(`1月22日至1月26日休刊三期`, `10月1日至7日休刊`), explicit years, the resume date (`10月13日正常出版`,
`10月9日起恢复出版`) and year-less dates, which take the year that puts them on or after the notice date.
Printed weekdays and counts are cross-checked; a mismatch is a warning, never an error.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from feedsvc.model import Suspension
from feedsvc.parse.cndates import MD, WEEKDAY, WEEKDAY_NAMES, YEAR, cn_int, make_date, weekday_of

_NOTICE_TITLE = re.compile(r"(?:启事|通知|公告|声明|告读者|致读者|休刊|停刊|更正|说明)$")
_SENTENCES = re.compile(r"[。！？!?；;\n]+")
_DATE = re.compile(rf"(?:(?P<y>{YEAR})\s*年\s*)?(?:(?P<m>{MD})\s*月\s*)?(?P<d>{MD})\s*[日号](?:\s*{WEEKDAY})?")
# What may stand between a month-less day and the date before it: 10月2日、4日 / 10月1日至7日.
_DAY_ONLY_AFTER = frozenset("至到、—-~～－，,和及与")
_RANGE_GAP = re.compile(r"^\s*(?:至|到|—+|–|-|~|～|－)\s*$")
_ASIDE = re.compile(r"[(（][^()（）]{0,10}[)）]")
_KEYWORD = re.compile(
    r"(?P<suspend>休刊|停刊|停报|休报|暂停出版|停止出版|不出版|不出报)"
    r"|(?P<resume>恢复正常出版|正常出版|恢复出版|照常出版|复刊|恢复出报|正常出报|照常出报|恢复出刊|与读者见面|出版|出报)"
    r"|(?P<other>放假|假期|调休|上班|补班)"
)
_COUNT = re.compile(
    r"(?<![第0-9０-９一二三四五六七八九十两])(?P<n>[0-9０-９]{1,3}|[一二三四五六七八九十两]{1,3})\s*期(?!间)"
)
_FROM_NOW = re.compile(r"(?:即日|今日|明日|本期后)起")
_MAX_RANGE_DAYS = 400


def is_notice_title(title: str) -> bool:
    """A notice's title ends with 启事, 通知, 公告, 声明, 休刊 …: `休刊通知`, `关于春节期间休刊的启事`."""
    return len(title) <= 30 and _NOTICE_TITLE.search(title) is not None


@dataclass(frozen=True, slots=True)
class _Mention:
    """A date or range in a sentence, with the keyword it attaches to."""

    first: date
    last: date
    is_range: bool
    role: str  # suspend, resume, other or "" when the sentence says nothing


def read_suspension(
    text: str, notice_date: date, weekdays: Collection[int], notice: str
) -> tuple[Suspension | None, list[str]]:
    """The suspension a notice's text declares (None if it declares none) and the oddities found."""
    warnings: list[str] = []
    suspended: set[date] = set()
    resumes: list[date] = []
    count, count_texts = 0, []
    from_now = False
    for sentence in _SENTENCES.split(text):
        mentions = list(_mentions(sentence, notice_date, warnings))
        for mention in mentions:
            if mention.role == "suspend":
                suspended.update(_expand(mention, weekdays, warnings))
            elif mention.role == "resume":
                resumes.append(mention.first)
        keywords = [k.lastgroup for k in _KEYWORD.finditer(sentence)]
        if "suspend" in keywords:
            for m in _COUNT.finditer(sentence):
                count += cn_int(m.group("n")) or 0
                count_texts.append(m.group(0).replace(" ", ""))
            from_now = from_now or _FROM_NOW.search(sentence) is not None
    resume = max(resumes) if resumes else None
    if not suspended and from_now and resume is not None:
        # 即日起休刊, 10月13日恢复出版: every publication day until the resume date.
        span = _Mention(notice_date + timedelta(days=1), resume - timedelta(days=1), True, "suspend")
        suspended.update(_expand(span, weekdays, warnings))
    if not suspended:
        if _KEYWORD.search(text) and any(k in text for k in ("休刊", "停刊", "停报")):
            warnings.append("notice mentions a suspension but names no dates")
        return None, warnings
    dates = tuple(sorted(suspended))
    if count_texts and count != len(dates):
        warnings.append(f"declared {'+'.join(count_texts)} but listed {len(dates)} dates")
    if resume is not None and resume <= dates[-1]:
        warnings.append(f"resume date {resume.isoformat()} is not after the last suspended date")
    suspension = Suspension(
        dates=dates,
        resume=resume,
        declared_count=count if count_texts else None,
        notice=notice,
        notice_date=notice_date,
    )
    return suspension, warnings


def merge_suspensions(found: list[Suspension], warnings: list[str]) -> Suspension | None:
    """One suspension for an issue that carries several notices: their dates together."""
    if len(found) <= 1:
        return found[0] if found else None
    warnings.append(f"{len(found)} suspension notices in one issue; their dates are merged")
    resumes = [s.resume for s in found if s.resume is not None]
    counts = [s.declared_count for s in found]
    return Suspension(
        dates=tuple(sorted({d for s in found for d in s.dates})),
        resume=max(resumes) if resumes else None,
        declared_count=None if None in counts else sum(c for c in counts if c is not None),
        notice="\n\n".join(s.notice for s in found),
        notice_date=found[0].notice_date,
    )


def _mentions(sentence: str, notice_date: date, warnings: list[str]) -> Iterator[_Mention]:
    keywords = list(_KEYWORD.finditer(sentence))
    positions, roles = [k.start() for k in keywords], [k.lastgroup or "" for k in keywords]
    tokens: list[tuple[re.Match[str], date]] = []
    month: int | None = None
    year: int | None = None
    for m in _DATE.finditer(sentence):
        if m.group("m") is None and (month is None or not _after_separator(sentence, m.start())):
            continue
        day = _resolve(m, month, year, notice_date, tokens[-1][1] if tokens else None)
        month = cn_int(m.group("m")) if m.group("m") else month
        year = cn_int(m.group("y")) if m.group("y") else year
        if day is None:
            warnings.append(f"{m.group(0)} is not a real date")
            continue
        printed = m.group("wd")
        if printed is not None and weekday_of(printed) != day.weekday():
            warnings.append(
                f"{_without_weekday(m)} is {WEEKDAY_NAMES[day.weekday()]}, "
                f"not {WEEKDAY_NAMES[weekday_of(printed)]} as printed"
            )
        tokens.append((m, day))
    i = 0
    while i < len(tokens):
        m, first = tokens[i]
        last, end = first, m.end()
        if i + 1 < len(tokens) and _RANGE_GAP.match(_ASIDE.sub("", sentence[m.end() : tokens[i + 1][0].start()])):
            i += 1
            last, end = tokens[i][1], tokens[i][0].end()
        # A date takes the first keyword after it in its sentence, else the last one before it.
        k = bisect_left(positions, end)
        role = roles[k] if k < len(roles) else (roles[k - 1] if k and positions[k - 1] < m.start() else "")
        yield _Mention(first, last, last is not first, role)
        i += 1


def _resolve(
    m: re.Match[str], month: int | None, year: int | None, notice_date: date, previous: date | None
) -> date | None:
    """The date of one mention; a missing month comes from the previous mention, a missing year by inference."""
    if m.group("m") is not None:
        month = cn_int(m.group("m"))
    day = cn_int(m.group("d"))
    if m.group("y") is not None:
        return make_date(cn_int(m.group("y")), month, day)
    # A list or range continues from the mention before it when that one's year is known for sure.
    anchor = previous if previous is not None and (year is not None or m.group("m") is None) else notice_date
    candidate = make_date(anchor.year, month, day)
    if candidate is None or candidate < anchor:
        candidate = make_date(anchor.year + 1, month, day)
    return candidate


def _expand(mention: _Mention, weekdays: Collection[int], warnings: list[str]) -> list[date]:
    if not mention.is_range:
        if mention.first.weekday() not in weekdays:
            warnings.append(
                f"{mention.first.isoformat()} ({WEEKDAY_NAMES[mention.first.weekday()]}) is not a publication day"
            )
        return [mention.first]
    first, last = mention.first, mention.last
    if last < first:
        warnings.append(f"range {first.isoformat()} to {last.isoformat()} runs backwards")
        return []
    if (last - first).days > _MAX_RANGE_DAYS:
        warnings.append(f"range {first.isoformat()} to {last.isoformat()} is too long; ignored")
        return []
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [d for d in days if d.weekday() in weekdays]


def _after_separator(sentence: str, start: int) -> bool:
    return sentence[max(0, start - 8) : start].rstrip()[-1:] in _DAY_ONLY_AFTER


def _without_weekday(m: re.Match[str]) -> str:
    text = m.group(0)
    return text[: text.find(m.group("wd"))].rstrip("(（星期礼拜周 ") if m.group("wd") else text
