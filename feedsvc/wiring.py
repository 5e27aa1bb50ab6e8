"""Where every stage is built and connected, read top to bottom as the data flows:

    watch → parse → events → store → publish → serve

`open_service` builds the desk (store, calendar, publication) and says which event leads to which reaction.
`Daemon` puts the inbox watcher in front of it and the scheduled jobs and the HTTP server behind it.
`ingest_files` is the backfill (`feedsvc ingest`): store every file, publish the feeds once; pages are written
on their first request. `parse_file` is the parse stage alone (`feedsvc parse`). The CLI builds nothing itself:
it comes here.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from types import FrameType

from feedsvc import backfill, datafolder, operator
from feedsvc.clock import Clock, system_clock
from feedsvc.config import Settings
from feedsvc.control import ControlServer
from feedsvc.events import (
    Bus,
    Event,
    IssueHeld,
    IssueReceived,
    IssueRejected,
    IssueReleased,
    IssueWithdrawn,
    ItemPublished,
    ItemUpdated,
    ItemWithdrawn,
    SuspensionDeclared,
    SuspensionWithdrawn,
)
from feedsvc.intake import read_inbox_file
from feedsvc.logs import log_event
from feedsvc.model import Issue
from feedsvc.paper import Paper
from feedsvc.parse import explain, parse_issue
from feedsvc.publication import Publication
from feedsvc.service import Service
from feedsvc.store import Store

log = logging.getLogger("feedsvc")

TICK_SECONDS = 60.0  # safety net for a release or check whose job was lost
RETRY_SECONDS = 1.0  # how often files held back by a failure of the machine are looked at (each has its backoff)


def parse_file(settings: Settings, path: Path) -> Issue:
    """The parse stage alone, on one file read as the inbox reads it."""
    intake = read_inbox_file(path, path.parent, settings.max_file_bytes)
    return parse_issue(intake.data, intake.name, weekdays=settings.weekdays)


def explain_file(settings: Settings, path: Path) -> list[str]:
    """`parse_file`'s reading of each line, its items and warnings (`feedsvc parse --explain`)."""
    intake = read_inbox_file(path, path.parent, settings.max_file_bytes)
    return list(explain(intake.data, intake.name, weekdays=settings.weekdays))


def open_service(settings: Settings, clock: Clock = system_clock,
                 on_schedule_change: Callable[[], None] = lambda: None) -> Service:
    """The desk and its reactions: file → Service.ingest → store → events → log, holds, calendar, publication."""
    store = Store(settings.database)
    paper = Paper(settings, store, clock())  # release times from the settings now; public stays public
    publication = Publication(settings, store, paper, clock)
    bus = Bus()
    service = Service(settings, clock, store, paper, publication, bus, on_schedule_change)
    bus.subscribe(Event, log_event)
    bus.subscribe(IssueReceived, lambda e: paper.dates.add(e.issue_date))
    bus.subscribe(IssueReceived, service.hold_if_suspended)
    bus.subscribe(IssueHeld, service.releases.noted)
    bus.subscribe(IssueReleased, service.releases.noted)
    bus.subscribe(IssueReceived, service.on_withdrawal)  # a later edition brings a withdrawn issue back
    bus.subscribe(IssueWithdrawn, service.on_withdrawal)
    bus.subscribe(IssueWithdrawn, service.releases.noted)
    bus.subscribe(SuspensionDeclared, service.reload_calendar)
    bus.subscribe(SuspensionWithdrawn, service.reload_calendar)
    for kind in (ItemPublished, ItemUpdated, ItemWithdrawn):
        bus.subscribe(kind, publication.on_item_event)
    return service


@contextlib.contextmanager
def service_for(settings: Settings, clock: Clock = system_clock) -> Iterator[Service]:
    """A service for one command (`build`, `status`, `release`), closed when the command is done."""
    service = open_service(settings, clock)
    try:
        yield service
    finally:
        service.close()


# --- the backfill ------------------------------------------------------------------------------------------

def ingest_files(settings: Settings, clock: Clock, paths: Iterable[Path]) -> tuple[int, list[tuple[str, str]]]:
    """Backfill `paths`, then publish the feeds once. Returns the files that changed the store, and (file, reason)
    for each that failed: rejected, or not there at all (an error of the command line, not a stored rejection)."""
    failed: list[tuple[str, str]] = []

    def present(all_paths: Iterable[Path]) -> Iterator[Path]:
        for path in all_paths:
            if os.path.lexists(path):
                yield path
            else:
                failed.append((str(path), "no such file"))

    with service_for(settings, clock) as service:
        service.bus.subscribe(IssueRejected, lambda e: failed.append((e.file, e.reason)))
        changed = backfill.backfill(service, present(paths))
        return changed, failed


# --- the daemon --------------------------------------------------------------------------------------------

class Daemon:
    """The long-running process: inbox watcher → Service; scheduled jobs → Service; HTTP server ← public/.

    Start order makes failures early and visible (the port is bound before anything is ingested); stop order
    finishes the ingestion in progress, then the jobs, then the server, then closes the store.
    """

    def __init__(self, settings: Settings, clock: Clock = system_clock) -> None:
        # Imported here: the page writer processes import this module and need none of these (aiohttp alone
        # would add a fifth of a second to each writer's start).
        from feedsvc.jobs import Jobs
        from feedsvc.metrics import Metrics, MetricsServer
        from feedsvc.serve import ServerThread, make_app
        from feedsvc.watch import InboxWatcher
        from feedsvc.websub import web as websub

        self.settings = settings
        datafolder.check_apart(settings.inbox, settings.data)
        # The one writer of the data folder from here on: a second `feedsvc run` on it stops at once.
        self.lock = datafolder.acquire(settings.data, "feedsvc run")
        try:
            self.service = open_service(settings, clock, on_schedule_change=lambda: self.schedule())
            # The operator's commands come to this process (its address, its state), answered once started.
            self.control = ControlServer(settings.data, lambda request: operator.perform(self.service, request))
        except BaseException:
            self.lock.release()
            raise
        rescan = settings.rescan_minutes * 60 if settings.rescan_minutes > 0 else None
        self.watcher = InboxWatcher(settings.inbox, self._ingest, polling=settings.polling,
                                    poll_seconds=settings.poll_seconds, rescan_seconds=rescan)
        self.jobs = Jobs(settings.timezone, clock)
        self.hub = websub.hub_for(settings, clock)  # None when [websub] enabled = false
        if self.hub is not None:
            self.service.publication.published_hooks.append(self.hub.notify)
            self.hub.topics.on_request = self.service.write_on_request
        # Metrics only when a port is set for them: their own loopback server, never the public one.
        self.metrics = Metrics() if settings.metrics_port else None
        self.metrics_server = MetricsServer(self.metrics, settings.metrics_host, settings.metrics_port) \
            if self.metrics is not None else None
        if self.metrics is not None:
            self.metrics.attach(self.service)
            if self.hub is not None:
                self.hub.delivered = self.metrics.delivered
        app = make_app(settings.public, max_age=self.service.max_age, status=self.service.public_status,
                       health=self.service.health, moved=self.service.publication.slugs.moved,
                       answered=self.metrics.answered if self.metrics else lambda _status: None,
                       gone=lambda path: path in self.service.gone, on_request=self.service.write_on_request,
                       **websub.app_hooks(self.hub))
        self.server = ServerThread(app, settings.host, settings.port, request_timeout=settings.request_timeout_seconds,
                                   max_connections=settings.max_connections)
        self._stopping = threading.Event()
        self._catching_up = True  # the files found at start are taken in mtime order, not as live acts

    @property
    def url(self) -> str:
        return replace(self.settings, port=self.server.port).site_url  # port 0 binds a port known only now

    def _ingest(self, path: Path) -> None:
        # While more files wait (a flood, a catch-up after downtime) publish once, after the last of them.
        last = self.watcher.backlog() == 0
        if self.metrics is not None:
            self.metrics.dropped(time.monotonic())
        self.service.ingest(path, publish=last, live=not self._catching_up)
        if last and self.metrics is not None:
            self.metrics.settled()
        self._caught_up()

    def _caught_up(self) -> None:
        """The catch-up of the inbox at start is done once the files found then are taken: from then on every
        file is a live act of the editor, and a missing issue is news (no need to wait for the tick)."""
        if self._catching_up and self.watcher.backlog() == 0:
            self._catching_up = False
            self.service.check_missing()

    def schedule(self) -> None:
        """(Re)build the jobs: one per pending release, and the next missing-issue check."""
        releases, check_at = self.service.schedule()
        for day, at in releases:
            self.jobs.at(f"release:{day}", at, self.service.release_due)
        if check_at is not None:
            self.jobs.at("missing-check", check_at, self._missing_check)

    def _check_missing(self) -> None:
        if self.watcher.backlog() == 0:  # files still waiting may hold the very issue that looks missing
            self.service.check_missing()

    def _missing_check(self) -> None:
        self._check_missing()
        self.schedule()

    def _tick(self) -> None:
        self._caught_up()  # the last file of the catch-up may have vanished before its turn
        self.service.release_due()
        self._check_missing()
        self.service.refresh_index()
        if self.hub is not None:  # a publication by another process (`feedsvc release`, `build`) is pushed too
            self.hub.notify()

    def start(self) -> None:
        self.server.start()
        if self.metrics_server is not None:
            self.metrics_server.start()
        if self.settings.port == 0 and not self.settings.base_url:
            # Links must name the port actually bound.
            self.service.set_site_url(self.url)
        if self.hub is not None:
            self.hub.topics.site_url = self.url
            self.hub.start()
        self.service.recover()
        self.schedule()
        self.jobs.every("tick", TICK_SECONDS, self._tick)
        self.jobs.every("retry", RETRY_SECONDS, self.service.retry_waiting)
        self.jobs.start()
        # The missing-issue check waits for the inbox catch-up (`_caught_up`): it may still bring the issue.
        self.watcher.start()
        self.control.start()
        self._caught_up()
        log.info("serving %s on %s (inbox %s)", self.settings.public, self.url, self.settings.inbox)

    def stop(self) -> None:
        self.watcher.stop()
        self.control.stop()  # after the command under way, if any
        self.jobs.stop()
        self.server.stop()
        if self.metrics_server is not None:
            self.metrics_server.stop()
        if self.hub is not None:
            self.hub.stop()
        self.service.close()
        self.lock.release()
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
