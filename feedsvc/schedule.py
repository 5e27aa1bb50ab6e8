"""Notices as decisions in time: the schedule in force is every notice applied in the order of the issues that
printed them (then of their editions), each overriding only the dates it names.

What a notice names: the dates it suspends (listed, or every day of a printed range), the dates it gives back to
normal publication (不休刊, 休刊取消, 改为正常出版), its resume date, and a resume date it moves. A resume date also
names every day from the notice's first suspended date up to it: `10月2日休刊一期，10月9日恢复出版` suspends the
publication days between them too (with a warning, since the count says one). A date before the issue that prints
the notice is history: it declares nothing. The issue that prints a notice is never suspended by it.
Configured suspensions (`[[suspension]]`) are the operator's and are applied after every notice.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from feedsvc.model import Suspension

_MAX_SPAN_DAYS = 400  # a longer range is a misreading, not a break


@dataclass(frozen=True)
class Effect:
    """What one notice decided, read against the weekdays in force now."""

    notice: Suspension
    suspended: tuple[date, ...]  # every day it suspends (publication days and the days between them)
    published: tuple[date, ...]  # days it says the paper appears: given back, and its resume date
    resume: date | None
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class Schedule:
    """The notices folded in order: for each named day, whether it is suspended and which notice said so last."""

    days: dict[date, tuple[bool, int]]  # day → (suspended, index into effects)
    announced: dict[date, int]  # resume dates in force: expected even off the weekday pattern
    effects: tuple[Effect, ...]


def label(s: Suspension) -> str:
    """How a reason names a notice: `休刊通知 of 2023-09-27`, or the configured notice text."""
    if s.issue_date is None and s.notice_date is None:
        return f"configured suspension {s.notice}".strip()
    return f"休刊通知 of {(s.issue_date or s.notice_date or date.min).isoformat()}"


def _order(s: Suspension) -> tuple[int, date, int]:
    if s.issue_date is None and s.notice_date is None:
        return (1, date.min, 0)  # configured: after every notice, in the order given
    return (0, s.issue_date or s.notice_date or date.min, s.edition)


def _days(first: date, last: date) -> list[date]:
    if last < first or (last - first).days > _MAX_SPAN_DAYS:
        return []
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _listing(days: Iterable[date]) -> str:
    ordered = sorted(days)
    if len(ordered) > 3:
        return f"{ordered[0].isoformat()} … {ordered[-1].isoformat()} ({len(ordered)} days)"
    return ", ".join(d.isoformat() for d in ordered)


class _Fold:
    """The state of a fold part-way: what the notices applied so far decided."""

    def __init__(self) -> None:
        self.days: dict[date, tuple[bool, int]] = {}
        self.announced: dict[date, int] = {}
        self.effects: list[Effect] = []
        self.breaks: list[tuple[date, date]] = []  # (first suspended day, resume date) of each break so far

    def copy(self) -> _Fold:
        other = _Fold()
        other.days, other.announced = dict(self.days), dict(self.announced)
        other.effects, other.breaks = list(self.effects), list(self.breaks)
        return other

    def apply(self, notice: Suspension, weekdays: Collection[int]) -> None:
        index = len(self.effects)
        effect = _effect(notice, weekdays, self.breaks)
        for day in effect.suspended:
            self.days[day] = (True, index)
            self.announced.pop(day, None)
        for day in effect.published:
            self.days[day] = (False, index)
        moved = notice.resume_moved_from or _moved_from(notice, self.breaks)
        if moved is not None and moved != effect.resume and self.announced.get(moved) is not None:
            del self.announced[moved]
        if effect.resume is not None:
            self.announced[effect.resume] = index
            if effect.suspended:
                self.breaks.append((effect.suspended[0], effect.resume))
        self.effects.append(effect)


# The last fold of the printed notices (configured suspensions come after them): a backfill adds notices in
# date order, one reload per notice, and folding them all again each time made it quadratic (20% of 10,000
# issues). A fold whose notices begin with the remembered ones goes on from there.
_last: tuple[tuple[Suspension, ...], frozenset[int], _Fold] = ((), frozenset(), _Fold())


def fold(notices: Iterable[Suspension], weekdays: Collection[int]) -> Schedule:
    """Apply `notices` in order; see the module docstring for what each one names."""
    global _last
    ordered = sorted(notices, key=_order)
    printed = tuple(n for n in ordered if _order(n)[0] == 0)
    known, known_weekdays, state = _last
    if frozenset(weekdays) == known_weekdays and printed[:len(known)] == known:
        state = state.copy()
    else:
        known, state = (), _Fold()
    for notice in printed[len(known):]:
        state.apply(notice, weekdays)
    _last = (printed, frozenset(weekdays), state.copy())
    for notice in ordered[len(printed):]:
        state.apply(notice, weekdays)
    return Schedule(state.days, state.announced, tuple(state.effects))


def _moved_from(notice: Suspension, breaks: list[tuple[date, date]]) -> date | None:
    """A notice with only a resume date (`本报10月9日起恢复出版`) moves the resume date of the latest break
    that began before it, if that break is not over by the notice's issue."""
    if notice.resume is None or notice.dates or notice.ranges or notice.issue_date is None:
        return None
    for start, resume in reversed(breaks):
        if resume < notice.issue_date:
            return None  # the latest break is over: nothing to move (a 征订启事's `1月1日起出版` is no resume)
        if start < notice.resume:
            return resume if resume != notice.resume else None
    return None


def _effect(notice: Suspension, weekdays: Collection[int], breaks: list[tuple[date, date]]) -> Effect:
    warnings = list(notice.warnings)
    suspended: set[date] = set(notice.dates)
    for first, last in notice.ranges:
        span = _days(first, last)
        if not span:
            warnings.append(f"range {first.isoformat()} to {last.isoformat()} ignored (backwards or too long)")
        suspended.update(span)
    restored: set[date] = set(notice.restored)
    resume = notice.resume
    moved = notice.resume_moved_from or _moved_from(notice, breaks)
    if resume is not None and moved is not None:
        if resume < moved:  # the break ends earlier: the days up to the old resume date are given back
            restored.update(_days(resume, moved - timedelta(days=1)))
        else:
            suspended.update(_days(moved, resume - timedelta(days=1)))
    if resume is not None and suspended:
        if resume <= max(suspended):
            warnings.append(f"resume date {resume.isoformat()} is not after the last suspended date")
        suspended.update(_days(min(suspended), resume - timedelta(days=1)))
    if notice.declared_count is not None and suspended:
        issues = sorted(d for d in suspended if d.weekday() in weekdays)
        if len(issues) != notice.declared_count:
            warnings.append(f"declares {notice.declared_count} issues suspended but its dates cover "
                            f"{len(issues)} publication days ({_listing(issues)})")
    today = notice.issue_date
    if today is not None:
        past = {d for d in suspended | restored if d < today}
        if past:
            warnings.append(f"{_listing(past)} before the issue of {today.isoformat()}: history, declares nothing")
            suspended -= past
            restored -= past
        if resume is not None and resume < today:
            warnings.append(f"resume date {resume.isoformat()} is in the past: history, declares nothing")
            resume = None
        if today in suspended:
            warnings.append(f"names its own issue date {today.isoformat()}, which appeared: not suspended")
            suspended.discard(today)
    published = restored | ({resume} if resume is not None else set())
    return Effect(notice, tuple(sorted(suspended - published)), tuple(sorted(published)), resume, tuple(warnings))
