"""The long-running process: a Service plus the inbox watcher, the scheduled jobs and the HTTP server.

Start order makes failures early and visible (the port is bound before anything is ingested); stop order
finishes the ingestion in progress, then the jobs, then the server, then closes the store.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import replace
from pathlib import Path
from types import FrameType

from feedsvc.clock import Clock, system_clock
from feedsvc.config import Settings
from feedsvc.jobs import Jobs
from feedsvc.serve import ServerThread, make_app
from feedsvc.service import Service
from feedsvc.watch import InboxWatcher

log = logging.getLogger("feedsvc")

TICK_SECONDS = 60.0  # safety net for a release or check whose job was lost


class Daemon:
    def __init__(self, settings: Settings, clock: Clock = system_clock) -> None:
        self.settings = settings
        self.service = Service(settings, clock, on_schedule_change=lambda: self.schedule())
        self.jobs = Jobs(settings.timezone, clock)
        rescan = settings.rescan_minutes * 60 if settings.rescan_minutes > 0 else None
        self.watcher = InboxWatcher(settings.inbox, self._ingest, polling=settings.polling,
                                    poll_seconds=settings.poll_seconds, rescan_seconds=rescan)
        app = make_app(settings.public, max_age=self.service.max_age, status=self.service.status)
        self.server = ServerThread(app, settings.host, settings.port)
        self._stopping = threading.Event()

    @property
    def url(self) -> str:
        return replace(self.settings, port=self.server.port).site_url  # port 0 binds a port known only now

    def schedule(self) -> None:
        """(Re)build the jobs from the store: one per pending release, and the next missing-issue check."""
        service, now = self.service, self.service.clock()
        for record in service.store.pending(now):
            self.jobs.at(f"release:{record.issue_date}", record.release_at, service.release_due)
        nxt = service.calendar.next_check(now)
        if nxt is not None:
            self.jobs.at("missing-check", service.calendar.missing_check_at(nxt), self._missing_check)

    def _ingest(self, path: Path) -> None:
        # While more files wait (a flood, a catch-up after downtime) publish once, after the last of them.
        self.service.ingest(path, publish=self.watcher.backlog() == 0)

    def _check_missing(self) -> None:
        if self.watcher.backlog() == 0:  # files still waiting may hold the very issue that looks missing
            self.service.check_missing()

    def _missing_check(self) -> None:
        self._check_missing()
        self.schedule()

    def _tick(self) -> None:
        self.service.release_due()
        self._check_missing()
        self.service.refresh_index()

    def start(self) -> None:
        self.server.start()
        if self.settings.port == 0 and not self.settings.base_url:
            # Links must name the port actually bound.
            self.service.set_site_url(self.url)
        self.service.recover()
        self.schedule()
        self.jobs.every("tick", TICK_SECONDS, self._tick)
        self.jobs.start()
        # The missing-issue check waits for the first tick: the inbox catch-up may still bring the issue.
        self.watcher.start()
        log.info("serving %s on %s (inbox %s)", self.settings.public, self.url, self.settings.inbox)

    def stop(self) -> None:
        self.watcher.stop()
        self.jobs.stop()
        self.server.stop()
        self.service.close()
        log.info("stopped")

    def run_forever(self) -> None:
        """Run until SIGTERM or SIGINT, then stop cleanly (exit status 0)."""

        def _stop(signum: int, _frame: FrameType | None) -> None:
            log.info("received %s, stopping", signal.Signals(signum).name)
            self._stopping.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        self.start()
        try:
            while not self._stopping.wait(1.0):
                pass
        finally:
            self.stop()
