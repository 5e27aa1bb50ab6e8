"""Drop-to-feed latency: file closed in the inbox → the served /rss.xml (loopback HTTP) carries the new issue.

`feedsvc run --port 0` runs as a subprocess on a prefilled store (0, 1,000, 10,000 archived issues). Each drop is
written the way `cp` writes (open, write, close); the clock starts when close() returns. A keep-alive client then
polls GET /rss.xml every millisecond with If-None-Match (a 304 is cheap for the service while nothing changed) and
stops at the first 200 whose body holds the first item's guid (urn:feedsvc:item:DATE-01, unique) and its title.
Before the next drop it waits for the publication to end (the published-through mark names a later event) and a
short quiet period, so drops do not overlap: what is measured is one drop, not the tail of the one before.
"""

from __future__ import annotations

import http.client
import statistics
import time
from pathlib import Path
from xml.sax.saxutils import escape

from bench.backfill import ingest
from bench.common import Context, GeneratedIssue, Row, Service, ms, percentile
from feedsvc.parse import parse_issue
from feedsvc.publication import PUBLISHED_MARK
from feedsvc.urls import entry_urn

NAME = "drop"
POLL_SECONDS = 0.001
DROP_TIMEOUT = 10.0  # seconds for one drop to reach the feed
QUIET_SECONDS = 0.05  # between one drop's complete publication and the next drop
TARGET_MEDIAN, TARGET_P95 = 0.015, 0.030  # issue 17, at 10,000 archived


def _markers(issue: GeneratedIssue) -> tuple[bytes, bytes]:
    first = parse_issue(issue.data, issue.name).items[0]
    return entry_urn(first.id).encode(), escape(first.title).encode()


class Poller:
    def __init__(self, service: Service) -> None:
        self.service = service
        self.conn = service.connect()
        self.etag = ""
        self.requests = 0

    def get(self) -> tuple[int, bytes]:
        for attempt in range(3):
            try:
                self.conn.request("GET", "/rss.xml", headers={"If-None-Match": self.etag} if self.etag else {})
                response = self.conn.getresponse()
                body = response.read()
                self.requests += 1
                if response.status == 200:
                    self.etag = response.getheader("ETag", "")
                return response.status, body
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = self.service.connect()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def wait_for(self, guid: bytes, title: bytes, deadline: float) -> bool:
        while time.perf_counter() < deadline:
            status, body = self.get()
            if status == 200 and guid in body and title in body:
                return True
            time.sleep(POLL_SECONDS)
        return False


def measure(ctx: Context, archived: int, drops: list[GeneratedIssue]) -> list[float] | str:
    """Latencies in seconds of each drop into a service holding `archived` issues, or why it failed."""
    data = ctx.archives.get(archived)
    if data is None:
        if archived:
            if ingest(ctx, archived) is None:
                return "prefill failed"
            data = ctx.archives[archived]
        else:
            data = ctx.fresh("store-0")
    inbox = ctx.fresh(f"inbox-{archived}")
    markers = [_markers(issue) for issue in drops]
    latencies: list[float] = []
    with Service(ctx, inbox, data, f"drop-{archived}", profile=f"drop-{archived}") as service:
        poller = Poller(service)
        poller.get()
        for issue, (guid, title) in zip(drops, markers, strict=True):
            path = inbox / issue.name
            mark = _published_through(data)
            with path.open("wb") as handle:  # as cp does: open, write, close
                handle.write(issue.data)
            closed = time.perf_counter()
            if not poller.wait_for(guid, title, closed + DROP_TIMEOUT):
                return f"drop {issue.name} not in the feed after {DROP_TIMEOUT:.0f} s; log: {service.tail()}"
            latencies.append(time.perf_counter() - closed)
            deadline = time.perf_counter() + DROP_TIMEOUT
            while _published_through(data) <= mark and time.perf_counter() < deadline:
                time.sleep(POLL_SECONDS)
            time.sleep(QUIET_SECONDS)
    return latencies


def _published_through(data: Path) -> int:
    """The id of the last event whose publication ended (feedsvc.publication.PUBLISHED_MARK), 0 if none."""
    try:
        text = (data / PUBLISHED_MARK).read_text()
    except FileNotFoundError:
        return 0
    return int(text) if text.strip().isdigit() else 0


def run(ctx: Context) -> None:
    drops = ctx.corpus.drops
    for archived in ctx.archive_sizes:
        started = time.perf_counter()
        result = measure(ctx, archived, drops)
        if isinstance(result, str):
            ctx.add(Row(f"drop-to-feed, {archived:,} archived", f"failed: {result}", ok=False))
            continue
        median, p95 = statistics.median(result), percentile(result, 95)
        ctx.drop_medians[archived] = median
        gated = archived == 10_000  # the target is set at 10,000 archived issues
        ctx.add(Row(f"drop-to-feed, {archived:,} archived: median of {len(result)}", ms(median),
                    f"< {ms(TARGET_MEDIAN)}" if gated else "", median < TARGET_MEDIAN if gated else None))
        ctx.add(Row(f"drop-to-feed, {archived:,} archived: p95", f"{ms(p95)} (max {ms(max(result))})",
                    f"< {ms(TARGET_P95)}" if gated else "", p95 < TARGET_P95 if gated else None))
        print(f"    ({time.perf_counter() - started:.0f} s for {len(result)} drops)", flush=True)
    if len(ctx.drop_medians) > 1:
        low, high = min(ctx.drop_medians.values()), ctx.drop_medians[max(ctx.drop_medians)]
        ctx.add(Row("drop-to-feed median: largest archive vs smallest", f"{high / low:.2f}x",
                    "does not grow (< 1.5x)", high / low < 1.5))
