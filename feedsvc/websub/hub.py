"""The hub (WebSub §5–§7) on its own thread and asyncio loop: nothing it does waits on ingestion or
publishing, and nothing they do waits on a subscriber.

The publisher only calls `notify()` after writing public/. The hub then compares each watched topic's
document with the digest it last pushed; a different digest means the feed really changed (a drop, a
release at its time, a correction, a withdrawal) and every subscriber is owed the document as it is now.
What is owed is kept in the store, so a restart resumes it. With external hubs configured, the same
comparison runs over every feed and each change is pinged to them instead.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from feedsvc.clock import Clock
from feedsvc.ondemand import Busy
from feedsvc.websub import report
from feedsvc.websub.callbacks import CallbackRefused
from feedsvc.websub.client import Client
from feedsvc.websub.discovery import hub_urls
from feedsvc.websub.settings import WebSubSettings
from feedsvc.websub.subscribe import BadRequest, RateLimit, Request, read_request
from feedsvc.websub.subscriptions import Subscription, Subscriptions
from feedsvc.websub.topics import Topics, published_feeds

log = logging.getLogger("feedsvc.websub")
Key = tuple[str, str]  # (topic, callback)


def _log(level: int, event: str, message: str, **fields: Any) -> None:
    text = " ".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}" for k, v in fields.items())
    log.log(level, "websub %s: %s %s", event, message, text, extra={"event": f"websub.{event}", "fields": fields})


class Hub:
    def __init__(self, settings: WebSubSettings, database: Path, topics: Topics, clock: Clock) -> None:
        self.settings = settings
        self.topics = topics
        self._database = database
        self._clock = clock
        self._client = Client(settings)
        self._limit = RateLimit(settings.requests_per_minute)
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running: dict[Key, asyncio.Task[None]] = {}  # deliveries in flight
        self._again: set[Key] = set()  # owed once more when the one in flight ends
        self._verifying: dict[Key, asyncio.Task[None]] = {}
        self._timers: set[asyncio.TimerHandle] = set()
        self._pings: set[asyncio.Task[None]] = set()
        self._scan_task: asyncio.Task[None] | None = None
        self._rescan = False
        self.delivered: Callable[[str], None] = lambda _outcome: None  # delivered, failed or gone (metrics)

    def stats(self) -> dict[str, int]:
        """Verified subscriptions per topic (any thread)."""
        return report.counts(self._database)

    @property
    def hubs(self) -> tuple[str, ...]:
        return hub_urls(self.topics.site_url, self.settings.builtin, self.settings.hubs)

    # --- lifecycle (any thread) -------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), name="feedsvc-websub",
                                        daemon=True)
        self._thread.start()
        self._ready.wait()

    def stop(self, timeout: float = 5.0) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        loop.call_soon_threadsafe(self._stop.set)
        thread.join(timeout)

    def notify(self) -> None:
        """The published feeds may have changed: look (soon, on the hub's loop) and push what did."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._schedule_scan)

    async def request(self, form: Mapping[str, str], client: str) -> tuple[int, str]:
        """A subscription request from the HTTP server's loop: (status, reason), handled on the hub's loop."""
        if self._loop is None or self._loop.is_closed():
            return 503, "hub not running"
        future = asyncio.run_coroutine_threadsafe(self._request(form, client), self._loop)
        return await asyncio.wrap_future(future)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._slots = asyncio.Semaphore(self.settings.concurrency)  # deliveries in flight at once
        self._db = Subscriptions(self._database)
        await self._client.start()
        self._ready.set()
        try:
            for owed in self._db.owed():  # left owed by the previous run
                self._kick(owed.key)
            self._schedule_scan()
            await self._stop.wait()
        finally:
            for timer in self._timers:
                timer.cancel()
            tasks = [*self._running.values(), *self._verifying.values(), *self._pings]
            if self._scan_task is not None:
                tasks.append(self._scan_task)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._client.close()
            self._db.close()

    # --- subscription requests (§5.1, §5.3) -------------------------------------------------------------

    async def _written_on_request(self, topic: str) -> bool:
        """A feed of ours not written yet (an author's, after a backfill) is written for its first subscriber as
        for its first reader; ondemand.Busy (answered 503) while a publication holds the desk."""
        relative, write = self.topics.relative(topic), self.topics.on_request
        if relative is None or write is None:
            return False
        await asyncio.get_running_loop().run_in_executor(None, write, relative)
        return self.topics.published(topic)

    async def _request(self, form: Mapping[str, str], client: str) -> tuple[int, str]:
        if not self._limit.allow(client, asyncio.get_running_loop().time()):
            return 429, "too many subscription requests; try again in a minute"
        try:
            request = read_request(form, self.settings)
        except BadRequest as exc:
            return 400, str(exc)
        try:
            if not self.topics.published(request.topic) and not await self._written_on_request(request.topic):
                return 400, "hub.topic is not a feed published here"
        except Busy:
            return 503, "busy publishing; try again shortly"
        try:
            await self._client.check(request.callback)
        except CallbackRefused as exc:
            return 400, str(exc)
        known = self._db.get(*request.key) is not None
        if request.mode == "unsubscribe" and not known:
            return 202, ""  # nothing to end: no request goes out to a callback on a stranger's word
        if request.mode == "subscribe" and not known:
            if self._db.count(request.topic) >= self.settings.max_per_topic:
                return 503, "this topic has as many subscribers as the hub takes"
            if self._db.count() >= self.settings.max_subscriptions:
                return 503, "the hub has as many subscriptions as it takes"
        if request.key not in self._verifying and len(self._verifying) >= self.settings.concurrency * 4:
            return 503, "too many subscriptions being verified; try again later"
        previous = self._verifying.pop(request.key, None)
        if previous is not None:
            previous.cancel()  # the newer request wins (§5.1: a later request replaces an earlier one)
        self._verifying[request.key] = asyncio.create_task(self._verify(request))
        return 202, ""

    async def _verify(self, request: Request) -> None:
        params = {"hub.mode": request.mode, "hub.topic": request.topic, "hub.challenge": secrets.token_urlsafe(24)}
        if request.mode == "subscribe":
            params["hub.lease_seconds"] = str(request.lease_seconds)
        try:
            error = await self._client.verify(request.callback, params)
        finally:
            if self._verifying.get(request.key) is asyncio.current_task():
                del self._verifying[request.key]
        fields = {"topic": request.topic, "callback": request.callback}
        if error:
            _log(logging.INFO, "unverified", f"{request.mode} not confirmed by the callback ({error})", **fields)
        elif request.mode == "unsubscribe":
            self._db.remove(*request.key)
            _log(logging.INFO, "unsubscribed", "subscription ended", **fields)
        else:
            # The baseline (later changes are pushed) is taken before the subscription is visible: taken after,
            # a change published in between would become the baseline and never reach this subscriber.
            if self._db.digest(request.topic) is None and (document := self.topics.read(request.topic)):
                self._db.set_digest(request.topic, document.digest)
            self._db.subscribe(request.topic, request.callback, request.secret, request.lease_seconds, self._clock())
            _log(logging.INFO, "subscribed", f"lease {request.lease_seconds} s", signed=bool(request.secret),
                 **fields)

    # --- noticing changes -------------------------------------------------------------------------------

    def _schedule_scan(self) -> None:
        if self._scan_task is None or self._scan_task.done():
            self._scan_task = asyncio.create_task(self._scan())
        else:
            self._rescan = True  # a publication during the scan: look once more after it

    async def _scan(self) -> None:
        while True:
            self._rescan = False
            if self.settings.builtin:
                self._expire()
                topics = self._db.topics()
            else:
                topics = [self.topics.site_url + r for r in published_feeds(self.topics.public)]
            for topic in topics:
                document = self.topics.read(topic)
                if document is None:
                    continue
                last = self._db.digest(topic)
                if last == document.digest:
                    continue
                self._db.set_digest(topic, document.digest)
                if self.settings.builtin:
                    for subscription in self._db.changed(topic):
                        self._kick(subscription.key)
                elif last is not None:  # first sight of a feed is no news
                    for hub in self.settings.hubs:
                        ping = asyncio.create_task(self._ping(hub, topic))
                        self._pings.add(ping)
                        ping.add_done_callback(self._pings.discard)
            if not self._rescan:
                return
            await asyncio.sleep(0)

    def _expire(self) -> None:
        for gone in self._db.expire(self._clock()):
            _log(logging.INFO, "expired", "lease ended", topic=gone.topic, callback=gone.callback)

    async def _ping(self, hub: str, topic: str) -> None:
        error = await self._client.ping(hub, topic)
        if error:
            _log(logging.WARNING, "ping-failed", error, hub=hub, topic=topic)

    # --- content distribution (§7) ----------------------------------------------------------------------

    def _kick(self, key: Key) -> None:
        if key in self._running:
            self._again.add(key)
        else:
            self._running[key] = asyncio.create_task(self._deliveries(key))

    async def _deliveries(self, key: Key) -> None:
        try:
            while True:
                self._again.discard(key)
                await self._attempt(key)
                if key not in self._again:
                    return
        finally:
            del self._running[key]

    async def _attempt(self, key: Key) -> None:
        subscription = self._db.get(*key)
        if subscription is None or not subscription.pending:
            return
        if subscription.expires_ts <= self._clock().timestamp():
            self._expire()
            return
        document = self.topics.read(subscription.topic)
        if document is None:  # the feed is gone (no longer published): nothing left to deliver
            self._db.delivered(*key)
            return
        links = ", ".join([*(f'<{h}>; rel="hub"' for h in self.hubs), f'<{subscription.topic}>; rel="self"'])
        async with self._slots:
            outcome = await self._client.deliver(subscription.callback, document, links, subscription.secret)
        fields = {"topic": subscription.topic, "callback": subscription.callback}
        self.delivered("delivered" if outcome.ok else "gone" if outcome.gone else "failed")
        if outcome.ok:
            self._db.delivered(*key)
            _log(logging.DEBUG, "delivered", f"{len(document.body)} bytes", **fields)
        elif outcome.gone:
            self._db.drop(*key)
            _log(logging.WARNING, "dropped", "the callback answered 410 Gone", **fields)
        else:
            self._failed(subscription, outcome.error)

    def _failed(self, subscription: Subscription, error: str) -> None:
        attempts = self._db.failed(*subscription.key, error)
        fields = {"topic": subscription.topic, "callback": subscription.callback, "attempt": attempts}
        if attempts >= self.settings.max_attempts:
            self._db.drop(*subscription.key)
            _log(logging.WARNING, "dropped", f"delivery failed {attempts} times ({error})", **fields)
            return
        delay = self.settings.retry_delay(attempts)
        _log(logging.WARNING, "retry", f"delivery failed ({error}); retrying in {delay:g} s", **fields)
        self._later(delay, subscription.key)

    def _later(self, delay: float, key: Key) -> None:
        def fire() -> None:
            self._timers.discard(timer)
            self._kick(key)

        timer = asyncio.get_running_loop().call_later(delay, fire)
        self._timers.add(timer)
