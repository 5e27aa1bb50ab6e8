"""How long a reader (or a cache in front of us) may keep a served file: `Cache-Control: max-age` and `Expires`.

Freshness grows with quiet: a file that changed a moment ago may change again (a correction dropped an hour
after the issue), one untouched for days is unlikely to. So max-age is at most half the time since the file
last changed, at least MIN_MAX_AGE, and never past what the calendar allows (the next expected release, a
short leash while an issue is late, the configured cap). A correction made h hours after the previous change
then reaches every reader that honours the headers within about h/2.

The bound from the calendar is `Calendar.max_age`; this module only adds the rule about quiet.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from feedsvc.calendar import Calendar

# Right after a change readers come back this soon; a shorter lifetime would only add polls.
MIN_MAX_AGE = 300

# What a shared cache in front of us (nginx, Varnish, a CDN) is told, beyond the readers' max-age (README "Behind
# nginx or a CDN"). s-maxage: the cache asks us again (a conditional request, a 304 when nothing changed) at least
# this often, so a release or a correction reaches readers behind it within this of reaching us, even when the
# request that refilled it came a moment before the publication. stale-while-revalidate: past that, one reader
# still gets the cached copy at once while the cache asks us in the background. stale-if-error: while we are down
# (an upgrade, a restore, a crash) the cache keeps serving the last copy for up to a day instead of an error.
SHARED_MAX_AGE = 30
STALE_WHILE_REVALIDATE = 30
STALE_IF_ERROR = 86_400


def cache_control(seconds: int) -> str:
    """The Cache-Control of a served file that readers may keep `seconds` (s-maxage never longer)."""
    shared = min(seconds, SHARED_MAX_AGE)
    return (f"public, max-age={seconds}, s-maxage={shared}, stale-while-revalidate={STALE_WHILE_REVALIDATE}, "
            f"stale-if-error={STALE_IF_ERROR}")


def max_age(calendar: Calendar, now: datetime, changed: datetime | None, has_issue: Callable[[date], bool]) -> int:
    """Seconds a copy of a file that last changed at `changed` stays fresh at `now` (both by the service's clock).

    `changed` None (unknown) counts as just changed: the short answer is the safe one.
    """
    quiet = max(timedelta(0), now - changed) if changed is not None else timedelta(0)
    by_quiet = max(MIN_MAX_AGE, int(quiet.total_seconds()) // 2)
    return max(0, min(by_quiet, calendar.max_age(now, has_issue)))


def changed_at(last_modified: datetime | None, now: datetime) -> datetime | None:
    """When a file with this Last-Modified (wall clock) changed, on the service's clock reading `now`.

    The service's clock may be offset from the wall clock (FEEDSVC_NOW replays) but runs at its speed, so the
    time elapsed since the change is the same on both.
    """
    if last_modified is None:
        return None
    return now - timedelta(seconds=time.time() - last_modified.timestamp())


def file_changed_at(path: Path, now: datetime) -> datetime | None:
    """`changed_at` for a published file from its modification time; None when it does not exist."""
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    return changed_at(datetime.fromtimestamp(int(mtime), UTC), now)  # whole seconds, as Last-Modified says
