"""Metrics for Prometheus (README "Metrics"), served on a loopback port of their own, never on the public server.

prometheus_client (https://github.com/prometheus/client_python) writes the standard text exposition format and
keeps histograms (cumulative buckets, sum, count) that any Prometheus server or agent scrapes as they are. Each
daemon has its own registry, so several in one process (the tests) do not mix their counts.

Counters follow the events of the bus (feedsvc/events.py), so a metric counts exactly what the log says; the
gauges of what is held or missing now are read from the store when scraped.
"""

from __future__ import annotations

import logging
import threading
import time
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from feedsvc.events import IssueReceived, IssueRejected, IssueReleased, ItemPublished
from feedsvc.service import Service
from feedsvc.status import held

log = logging.getLogger("feedsvc")

# Seconds: a drop is published in tens of milliseconds on an idle machine, a full rebuild of a big archive in
# tens of seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class Metrics:
    """Every metric of one daemon, in its own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.ingested = Counter("feedsvc_issues_ingested", "Issue editions taken into the store (new issues and "
                                "corrections; IssueReceived).", registry=r)
        self.rejected = Counter("feedsvc_issues_rejected", "Inbox files rejected as issues (IssueRejected).",
                                registry=r)
        self.held = Gauge("feedsvc_issues_held", "Issues in the store not in the feeds yet: scheduled for their "
                          "release time or held on a suspended date.", registry=r)
        self.missing = Gauge("feedsvc_issues_missing", "Expected issues that did not arrive by release time + "
                             "grace (as in `feedsvc status`).", registry=r)
        self.items = Counter("feedsvc_items_published", "Items that reached the feeds (ItemPublished).", registry=r)
        self.publication = Histogram("feedsvc_publication_duration_seconds", "Time to bring public/ in step with "
                                     "the store, per publication.", buckets=BUCKETS, registry=r)
        self.drop_to_feed = Histogram("feedsvc_drop_to_feed_seconds", "From the watcher reporting a dropped file "
                                      "to the end of the publication that followed its ingestion.",
                                      buckets=BUCKETS, registry=r)
        self.last_release = Gauge("feedsvc_last_release_timestamp_seconds", "Unix time at which the latest issue "
                                  "went public (IssueReleased), 0 before any.", registry=r)
        self.http = Counter("feedsvc_http_requests", "HTTP answers of the public server, by status code.",
                            ["status"], registry=r)
        self.websub = Counter("feedsvc_websub_deliveries", "WebSub deliveries to subscribers, by outcome: "
                              "delivered (2xx), failed (retried later), gone (410: subscription dropped).",
                              ["outcome"], registry=r)
        self._drops: list[float] = []  # files taken since the last publication: when the watcher reported each

    def attach(self, service: Service) -> None:
        """Count what `service` does: its events, its publications, and what it holds back when scraped."""
        bus, publication = service.bus, service.publication
        bus.subscribe(IssueReceived, lambda _e: self.ingested.inc())
        bus.subscribe(IssueRejected, lambda _e: self.rejected.inc())
        bus.subscribe(ItemPublished, lambda _e: self.items.inc())
        bus.subscribe(IssueReleased, lambda _e: self.last_release.set(time.time()))
        publication.published_hooks.append(lambda: self._published(publication.last_seconds))
        # Read in the scraper's thread, as /status.json is read in the server's: the store has its own lock.
        paper = service.paper  # its calendar is read at each scrape: a notice replaces it
        self.held.set_function(lambda: len(held(service.store, paper.calendar, service.clock())))
        self.missing.set_function(lambda: sum(1 for day in service.store.missing()
                                              if paper.calendar.is_expected(day)))  # as `status` counts them

    def answered(self, status: int) -> None:
        self.http.labels(status=str(status)).inc()

    def delivered(self, outcome: str) -> None:
        self.websub.labels(outcome=outcome).inc()

    def dropped(self, seen: float) -> None:
        """A file the watcher reported at `seen` (time.monotonic()) is being taken."""
        self._drops.append(seen)

    def settled(self) -> None:
        """The files taken so far had their publication, or had nothing to publish (a rejection, a duplicate, an
        issue not due yet): none of them waits for a later one."""
        self._drops.clear()

    def _published(self, seconds: float) -> None:
        self.publication.observe(seconds)
        done = time.monotonic()
        for seen in self._drops:
            self.drop_to_feed.observe(done - seen)
        self._drops.clear()


class MetricsServer:
    """The exposition at http://HOST:PORT/metrics on its own thread (HOST: loopback, as config.py checks)."""

    def __init__(self, metrics: Metrics, host: str, port: int) -> None:
        self._metrics, self._host, self._port = metrics, host, port
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._server, self._thread = start_http_server(self._port, self._host, registry=self._metrics.registry)
        log.info("metrics at http://%s:%d/metrics", self._host, self.port)

    @property
    def port(self) -> int:
        return int(self._server.server_port) if self._server is not None else 0

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
