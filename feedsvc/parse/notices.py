"""Reading a notice (休刊通知, 启事, 公告, 更正): what it decides about the dates it names.

A notice names dates it suspends (lists, and ranges kept as printed: `10月1日至7日休刊`, expanded by the calendar
over the weekdays in force when it is asked), dates it gives back to normal publication (`10月4日不休刊`,
`原定10月4日、10月6日休刊取消`, `原定2月20日休刊改为正常出版`), its resume date (`10月13日正常出版`) and a
resume date it moves (`原定于10月13日恢复出版调整为10月9日恢复出版`). A date that only names an earlier notice
(`本报2月9日刊登的休刊通知`) declares nothing. How notices combine is the calendar's business
(feedsvc/schedule.py).

Years by sense: a year-less date takes the year that puts it nearest the notice's date (a notice of 2023-10-13
looking back at `9月29日(星期五)` means 2023); a printed weekday that the nearest year does not fit moves the date
to a year it fits within half a year of the notice, else it stays a warning (a misprint).
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
# Order matters where two start at one place: `休刊取消` gives back, `休刊` suspends.
_KEYWORD = re.compile(
    r"(?P<restore>不休刊|不停刊|不休报|休刊(?:安排)?取消|取消休刊|休刊(?:安排)?改为(?:正常|照常)出[版报])"
    r"|(?P<suspend>休刊|停刊|停报|休报|暂停出版|停止出版|不出版|不出报)"
    r"|(?P<resume>恢复正常出版|正常出版|恢复出版|照常出版|复刊|恢复出报|正常出报|照常出报|恢复出刊|与读者见面|出版|出报)"
    r"|(?P<other>放假|假期|调休|上班|补班|刊登|刊发|刊出|发布|公布)"
)
# Resume words that say a break ends: a notice naming only such a date moves the break in force. A bare
# `出版` (征订启事: `2024年1月1日起出版`) is not one.
_STRONG_RESUME = re.compile(r"恢复|复刊|与读者见面")
# 原定…调整为/改为…: what stands between them is the plan being replaced.
_PLANNED = re.compile(r"原定|原计划|原拟")
_CANCEL = re.compile(r"取消(?!休刊)")
_CHANGED = re.compile(r"调整为|改为|变更为|推迟至|推迟到|提前至|提前到")
_GIVEN_BACK = re.compile(r"^(?:调整为|改为|变更为)\s*(?:正常|照常)出[版报]")
_COUNT = re.compile(
    r"(?<![第0-9０-９一二三四五六七八九十两])(?P<n>[0-9０-９]{1,3}|[一二三四五六七八九十两]{1,3})\s*期(?!间)"
)
_FROM_NOW = re.compile(r"(?:即日|今日|明日|本期后)起")
_MAX_RANGE_DAYS = 400
_WEEKDAY_REACH_DAYS = 200


def is_notice_title(title: str) -> bool:
    """A notice's title ends with 启事, 通知, 公告, 声明, 休刊 …: `休刊通知`, `关于春节期间休刊的启事`."""
    return len(title) <= 30 and _NOTICE_TITLE.search(title) is not None


@dataclass(frozen=True, slots=True)
class _Mention:
    """A date or range in a sentence, with the keyword it attaches to."""

    first: date
    last: date
    is_range: bool
    role: str  # restore, suspend, resume, other, "" when the sentence says nothing; planned-… inside 原定…改为
    strong: bool = False  # a resume date named by a word that ends a break (恢复出版, 复刊)


@dataclass
class _Reading:
    dates: set[date]
    ranges: list[tuple[date, date]]
    restored: set[date]
    resumes: list[date]
    moved: list[date]
    strong: bool = False


def read_suspension(
    text: str, notice_date: date, weekdays: Collection[int], notice: str
) -> tuple[Suspension | None, list[str]]:
    """What a notice's text decides (None if it decides nothing) and the oddities found.

    `weekdays` serve only the cross-checks (count, a listed date off the pattern); ranges are kept as printed.
    """
    warnings: list[str] = []
    oddities: list[str] = []  # the ones about the text itself, kept with the notice for `status`
    r = _Reading(set(), [], set(), [], [])
    count, count_texts = 0, []
    from_now = False
    for sentence in _SENTENCES.split(text):
        for mention in _mentions(sentence, notice_date, oddities):
            _take(mention, r, weekdays, warnings)
        if any(k.lastgroup == "suspend" for k in _KEYWORD.finditer(sentence)):
            for m in _COUNT.finditer(sentence):
                count += cn_int(m.group("n")) or 0
                count_texts.append(m.group(0).replace(" ", ""))
            from_now = from_now or _FROM_NOW.search(sentence) is not None
    resume = max(r.resumes) if r.resumes else None
    if not (r.dates or r.ranges) and from_now and resume is not None:
        # 即日起休刊, 10月13日恢复出版: every publication day until the resume date.
        r.ranges.append((notice_date + timedelta(days=1), resume - timedelta(days=1)))
    moved = max(r.moved) if r.moved else None
    if not (r.dates or r.ranges or r.restored or moved or (resume is not None and r.strong)):
        if _KEYWORD.search(text) and any(k in text for k in ("休刊", "停刊", "停报")):
            warnings.append("notice mentions a suspension but names no dates")
        return None, oddities + warnings
    covered = sorted(r.dates.union(*(_expand(a, b, weekdays) for a, b in r.ranges)) - r.restored)
    if count_texts and covered and count != len(covered):
        warnings.append(f"declared {'+'.join(count_texts)} but listed {len(covered)} dates")
    if resume is not None and covered and resume <= covered[-1]:
        warnings.append(f"resume date {resume.isoformat()} is not after the last suspended date")
    suspension = Suspension(
        dates=tuple(sorted(r.dates)),
        resume=resume,
        declared_count=count if count_texts else None,
        notice=notice,
        notice_date=notice_date,
        ranges=tuple(sorted(set(r.ranges))),
        restored=tuple(sorted(r.restored)),
        resume_moved_from=moved if moved != resume else None,
        warnings=tuple(oddities),
    )
    return suspension, oddities + warnings


def _take(mention: _Mention, r: _Reading, weekdays: Collection[int], warnings: list[str]) -> None:
    if mention.role == "suspend":
        if not mention.is_range:
            if mention.first.weekday() not in weekdays:
                warnings.append(f"{mention.first.isoformat()} ({WEEKDAY_NAMES[mention.first.weekday()]}) "
                                "is not a publication day")
            r.dates.add(mention.first)
        elif mention.last < mention.first:
            warnings.append(f"range {mention.first.isoformat()} to {mention.last.isoformat()} runs backwards")
        elif (mention.last - mention.first).days > _MAX_RANGE_DAYS:
            warnings.append(f"range {mention.first.isoformat()} to {mention.last.isoformat()} is too long; ignored")
        else:
            r.ranges.append((mention.first, mention.last))
    elif mention.role in ("restore", "planned-restore"):
        r.restored.update(_expand(mention.first, mention.last, range(7)))
    elif mention.role == "resume":
        r.resumes.append(mention.first)
        r.strong = r.strong or mention.strong
    elif mention.role == "planned-resume":
        r.moved.append(mention.first)


def merge_suspensions(found: list[Suspension], warnings: list[str]) -> Suspension | None:
    """One suspension for an issue that carries several notices: what they name, together."""
    if len(found) <= 1:
        return found[0] if found else None
    warnings.append(f"{len(found)} suspension notices in one issue; their dates are merged")
    resumes = [s.resume for s in found if s.resume is not None]
    moved = [s.resume_moved_from for s in found if s.resume_moved_from is not None]
    counts = [s.declared_count for s in found]
    return Suspension(
        dates=tuple(sorted({d for s in found for d in s.dates})),
        resume=max(resumes) if resumes else None,
        declared_count=None if None in counts else sum(c for c in counts if c is not None),
        notice="\n\n".join(s.notice for s in found),
        notice_date=found[0].notice_date,
        ranges=tuple(sorted({r for s in found for r in s.ranges})),
        restored=tuple(sorted({d for s in found for d in s.restored})),
        resume_moved_from=max(moved) if moved else None,
        warnings=tuple(w for s in found for w in s.warnings),
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
    planned = _planned_spans(sentence)
    cancelled = [(c.end(), next((p for p in positions if p >= c.end()), len(sentence)))
                 for c in _CANCEL.finditer(sentence)]
    i = 0
    while i < len(tokens):
        m, first = tokens[i]
        last, end = first, m.end()
        if i + 1 < len(tokens) and _RANGE_GAP.match(_ASIDE.sub("", sentence[m.end() : tokens[i + 1][0].start()])):
            i += 1
            last, end = tokens[i][1], tokens[i][0].end()
            if last < first and tokens[i][0].group("y") is None:  # 12月30日至1月3日 read near a later date
                last = make_date(last.year + 1, last.month, last.day) or last
        # A date takes the first keyword after it in its sentence, else the last one before it.
        k = bisect_left(positions, end)
        k = k if k < len(roles) else (k - 1 if k and positions[k - 1] < m.start() else -1)
        role = roles[k] if k >= 0 else ""
        strong = k >= 0 and _STRONG_RESUME.search(keywords[k].group(0)) is not None
        if role == "suspend" and any(a <= m.start() < b for a, b in cancelled):
            role = "restore"  # 取消10月4日、6日休刊
        span = next((s for s in planned if s[0] <= m.start() < s[1]), None)
        if span is not None and role in ("suspend", "resume", "restore"):
            # 原定…: the plan replaced. Its suspended dates are given back when the change says so, else dropped.
            given_back = role == "restore" or _GIVEN_BACK.match(sentence[span[1]:]) is not None
            role = "planned-restore" if given_back else f"planned-{role}"
        yield _Mention(first, last, last is not first, role, strong)
        i += 1


def _planned_spans(sentence: str) -> list[tuple[int, int]]:
    """(start, end) of each `原定…` up to the word that changes it (调整为, 改为…); none without such a word."""
    spans = []
    for m in _PLANNED.finditer(sentence):
        change = _CHANGED.search(sentence, m.end())
        if change is not None:
            spans.append((m.start(), change.start()))
    return spans


def _resolve(
    m: re.Match[str], month: int | None, year: int | None, notice_date: date, previous: date | None
) -> date | None:
    """The date of one mention: a missing month comes from the previous mention, a missing year by sense."""
    if m.group("m") is not None:
        month = cn_int(m.group("m"))
    day = cn_int(m.group("d"))
    if m.group("y") is not None:
        return make_date(cn_int(m.group("y")), month, day)
    if previous is not None and (year is not None or m.group("m") is None):
        # A list or range goes on from the date before it (2026年2月16日至22日, 10月2日、4日).
        candidate = make_date(previous.year, month, day)
        if candidate is not None and candidate < previous:
            candidate = make_date(previous.year + 1, month, day)
        return candidate
    candidates = [c for y in (-1, 0, 1) if (c := make_date(notice_date.year + y, month, day)) is not None]
    candidates.sort(key=lambda c: (abs((c - notice_date).days), c < notice_date))
    printed = m.group("wd")
    if printed is not None and candidates and candidates[0].weekday() != weekday_of(printed):
        # A printed weekday that fits another candidate within half a year decides; a year away, it is a misprint.
        fitting = [c for c in candidates if c.weekday() == weekday_of(printed)
                   and abs((c - notice_date).days) <= _WEEKDAY_REACH_DAYS]
        return fitting[0] if fitting else candidates[0]
    return candidates[0] if candidates else None


def _expand(first: date, last: date, weekdays: Collection[int]) -> list[date]:
    if last < first or (last - first).days > _MAX_RANGE_DAYS:
        return []
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [d for d in days if d.weekday() in weekdays]


def _after_separator(sentence: str, start: int) -> bool:
    return sentence[max(0, start - 8) : start].rstrip()[-1:] in _DAY_ONLY_AFTER


def _without_weekday(m: re.Match[str]) -> str:
    text = m.group(0)
    return text[: text.find(m.group("wd"))].rstrip("(（星期礼拜周 ") if m.group("wd") else text
