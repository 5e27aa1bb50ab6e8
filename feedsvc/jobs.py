"""APScheduler behind three verbs: run at a moment, run every N seconds, forget a job.

The store is the source of truth for what must happen when; jobs live in apscheduler's memory store and the service
rebuilds them at start: a persistent job store pickles callables and drops a job whose function was renamed
(https://apscheduler.readthedocs.io/en/3.x/userguide.html#job-stores; docs/libraries.md). Moments are given on the
service's clock, which may be shifted by FEEDSVC_NOW, and converted to wall time for the scheduler.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from feedsvc.clock import Clock

log = logging.getLogger(__name__)


class Jobs:
    def __init__(self, tz: ZoneInfo, clock: Clock) -> None:
        self.clock = clock
        # misfire_grace_time=None: a release that fell due while we were busy or asleep still runs.
        self._scheduler = BackgroundScheduler(
            timezone=tz, job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1}
        )

    def _wall(self, moment: datetime) -> datetime:
        """The wall-clock moment at which the service clock shows `moment`."""
        return moment - (self.clock() - datetime.now(UTC))

    def at(self, job_id: str, moment: datetime, func: Callable[..., Any], *args: Any) -> None:
        try:
            wall = max(self._wall(moment), datetime.now(UTC) + timedelta(milliseconds=10))
            self._scheduler.add_job(func, DateTrigger(run_date=wall), args=args, id=job_id, replace_existing=True)
        except (OverflowError, ValueError) as exc:  # a moment near the calendar's ends (a store from before sanity.py)
            log.warning("job %s at %s not scheduled: %s; the periodic tick covers it", job_id, moment, exc)

    def every(self, job_id: str, seconds: float, func: Callable[..., Any]) -> None:
        self._scheduler.add_job(func, IntervalTrigger(seconds=seconds), id=job_id, replace_existing=True)

    def start(self) -> None:
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
