"""The window an issue date must fall in before any later stage sees it.

A typo in a masthead or a file name (9999-12-31, 0023-09-27) would otherwise reach the calendar and the job
scheduler, whose datetime arithmetic overflows near the ends of the calendar, and would sit in the store for ever.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from feedsvc.config import Settings


def date_refusal(day: date, now: datetime, settings: Settings) -> str | None:
    """Why `day` is no plausible issue date at `now` (in the paper's zone), or None when it is."""
    if day < settings.earliest_issue_date:
        return (f"issue date {day.isoformat()} is before {settings.earliest_issue_date.isoformat()}"
                " (paper.earliest_issue_date); check the file name and masthead")
    today = now.astimezone(settings.timezone).date()
    latest = today + timedelta(days=settings.max_days_ahead)
    if day > latest:
        return (f"issue date {day.isoformat()} is more than {settings.max_days_ahead} days ahead of today"
                f" ({today.isoformat()}, paper.max_days_ahead); check the file name and masthead")
    return None
