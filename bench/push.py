"""Release-to-delivery: an issue dropped ahead of its date is released by its scheduled job; the clock stops when
each of 100 subscribers (another process, on loopback) has received the feed holding the issue's first item.

The service runs in this process as `feedsvc run` builds it (wiring.Daemon: watcher, jobs, HTTP server, hub),
with a clock that is the wall clock plus an offset: before each sample the offset is set so the next issue's
release time (06:00 of its date) falls RELEASE_AHEAD seconds from now, and the issue is dropped into the inbox.
The release instant in wall time is therefore known exactly; the subscribers stamp each delivery with
time.time(). The figure covers the job firing, the publication, the hub noticing the change and the 100 signed
POSTs. Every delivery of every sample counts towards median and p95.
"""

from __future__ import annotations

import ipaddress
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta

from bench.common import Context, Row, ms, percentile
from feedsvc.config import Settings
from feedsvc.parse import parse_issue
from feedsvc.urls import entry_urn
from feedsvc.websub.settings import WebSubSettings

NAME = "push"
SUBSCRIBERS = 100
RELEASE_AHEAD = 1.5  # seconds between the drop and the release
SAMPLE_TIMEOUT = 30.0
# The samples' releases span weeks of the shifted clock (ten Mon/Wed/Fri issues, and the corpus' breaks): leases
# must outlast them, or the hub rightly ends the subscriptions half-way (10 days when none is asked).
LEASE_SECONDS = 365 * 86400


class ShiftedClock:
    """Wall clock plus an offset the benchmark moves forward between samples."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def _post(url: str, data: bytes) -> int:
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as response:
        return response.status


def run(ctx: Context) -> None:
    from feedsvc.wiring import Daemon  # aiohttp and the daemon only when this measurement runs

    samples = 3 if ctx.quick else 10
    drops = ctx.corpus.drops[: samples + 1]
    inbox, data = ctx.fresh("inbox-push"), ctx.fresh("store-push")
    out = ctx.root / "push-deliveries.txt"
    out.write_text("")
    subscribers = subprocess.Popen([sys.executable, "-m", "bench.push_subscriber", str(out)],
                                   stdout=subprocess.PIPE, text=True)
    clock = ShiftedClock()
    websub = WebSubSettings(allowed_callback_networks=(ipaddress.ip_network("127.0.0.0/8"),),
                            requests_per_minute=10 * SUBSCRIBERS, concurrency=32, max_lease_seconds=LEASE_SECONDS)
    settings = Settings(inbox=inbox, data=data, port=0, websub=websub)
    tz = settings.timezone
    daemon = None
    try:
        port = int(subscribers.stdout.readline())  # type: ignore[union-attr]
        callback = f"http://127.0.0.1:{port}/cb/"
        first = drops[0]
        clock.offset = datetime.combine(first.issue_date + timedelta(days=1), settings.release_time, tz) - clock()
        daemon = Daemon(settings, clock)
        daemon.start()
        topic, hub = daemon.url + "rss.xml", daemon.url + "websub"
        (inbox / first.name).write_bytes(first.data)  # something in the feed before the first sample
        for n in range(SUBSCRIBERS):
            form = {"hub.mode": "subscribe", "hub.topic": topic, "hub.callback": f"{callback}{n}",
                    "hub.secret": f"secret-{n}", "hub.lease_seconds": str(LEASE_SECONDS)}
            _post(hub, urllib.parse.urlencode(form).encode())
        deadline = time.monotonic() + 60
        while daemon.hub is not None and daemon.hub.stats().get(topic, 0) < SUBSCRIBERS:
            if time.monotonic() > deadline:
                ctx.add(Row("release-to-delivery", "failed: subscriptions not verified in 60 s", ok=False))
                return
            time.sleep(0.05)
        latencies: list[float] = []
        for issue in drops[1:]:
            marker = entry_urn(parse_issue(issue.data, issue.name).items[0].id).encode()
            _post(f"http://127.0.0.1:{port}/marker", marker)
            out.write_text("")
            release = datetime.combine(issue.issue_date, settings.release_time, tz)
            wall = datetime.now(UTC)
            clock.offset = release - timedelta(seconds=RELEASE_AHEAD) - wall
            released_at = wall.timestamp() + RELEASE_AHEAD  # the release instant in wall time
            (inbox / issue.name).write_bytes(issue.data)
            deadline = time.monotonic() + SAMPLE_TIMEOUT
            while len(lines := out.read_text().splitlines()) < SUBSCRIBERS:
                if time.monotonic() > deadline:
                    ctx.add(Row("release-to-delivery", f"failed: {len(lines)} of {SUBSCRIBERS} deliveries of "
                                f"{issue.name} within {SAMPLE_TIMEOUT:.0f} s", ok=False))
                    return
                time.sleep(0.01)
            sample = sorted(float(line.split()[1]) - released_at for line in lines)
            print(f"    {issue.name}: first {ms(sample[0])}, median {ms(statistics.median(sample))}, "
                  f"last {ms(sample[-1])}", flush=True)
            latencies += sample
            time.sleep(0.2)
        label = f"release-to-delivery, {SUBSCRIBERS} subscribers, {samples} releases"
        ctx.add(Row(f"{label}: median", ms(statistics.median(latencies))))
        ctx.add(Row(f"{label}: p95", f"{ms(percentile(latencies, 95))} (max {ms(max(latencies))})"))
    finally:
        if daemon is not None:
            daemon.stop()
        subscribers.kill()
        subscribers.wait(10)
