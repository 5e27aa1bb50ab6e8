"""Push end to end: `Daemon` (watchdog inbox, store, publisher, HTTP server, hub) and a subscriber written from the
WebSub text alone (spec_subscriber), which discovers the hub from the served feed. The clock is injected: a
scheduled release is driven by moving it and running the release job's body."""

from __future__ import annotations

import ipaddress
import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from conftest import ManualClock, issue_text, wait_for
from spec_subscriber import Subscriber, discover

from feedsvc.config import Settings
from feedsvc.websub.settings import WebSubSettings
from feedsvc.wiring import Daemon

pytestmark = pytest.mark.slow  # a daemon and WebSub subscribers

TZ = ZoneInfo("Asia/Shanghai")
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)
TODAY, TOMORROW = date(2023, 9, 27), date(2023, 9, 29)  # a Wednesday (out already) and a Friday (due at 06:00)


@pytest.fixture(name="clock")
def _clock() -> ManualClock:
    return ManualClock(datetime(2023, 9, 28, 9, tzinfo=TZ))


def start(tmp_path: Path, clock: ManualClock, port: int = 0, **websub: object) -> Daemon:
    (tmp_path / "inbox").mkdir(exist_ok=True)
    settings = Settings(inbox=tmp_path / "inbox", data=tmp_path / "data", port=port,
                        websub=WebSubSettings(**{"allowed_callback_networks": LOOPBACK, **websub}))  # type: ignore[arg-type]
    daemon = Daemon(settings, clock)
    daemon.start()
    return daemon


@pytest.fixture(name="daemon")
def _daemon(tmp_path: Path, clock: ManualClock) -> Iterator[Daemon]:
    daemon = start(tmp_path, clock)
    yield daemon
    daemon.stop()


@pytest.fixture(name="subscriber")
def _subscriber() -> Iterator[Subscriber]:
    subscriber = Subscriber()
    yield subscriber
    subscriber.close()


def subscribe(daemon: Daemon, subscriber: Subscriber, feed: str = "rss.xml") -> str:
    """Discover hub and topic from the served feed, subscribe with a secret; the topic once verified."""
    hubs, topic = discover(daemon.url + feed)
    assert hubs == [daemon.url + "websub"] and topic == daemon.url + feed
    assert subscriber.request(hubs[0], "subscribe", topic, secret="a secret of our own")[0] == 202
    wait_for(lambda: topic in subscriber.secrets, what="verification of intent")
    wait_for(lambda: status(daemon)["topics"], what="subscription stored")
    return topic


def status(daemon: Daemon) -> dict:
    with urllib.request.urlopen(daemon.url + "status.json", timeout=5) as response:
        return json.load(response)["websub"]


def drop(daemon: Daemon, name: str, day: date, *titles: str) -> None:
    (daemon.settings.inbox / name).write_text(issue_text(day, *titles), encoding="utf-8")


def newest(subscriber: Subscriber, count: int) -> feedparser.FeedParserDict:
    """The newest of at least `count` authentic deliveries, as a reader parses it."""
    deliveries = wait_for(lambda: len(d := subscriber.authentic()) >= count and d, what=f"delivery {count}")
    parsed = feedparser.parse(deliveries[-1].body)
    assert not parsed.bozo
    return parsed


def test_drop_correction_and_withdrawal_are_pushed(daemon: Daemon, subscriber: Subscriber) -> None:
    topic = subscribe(daemon, subscriber)
    drop(daemon, "a.txt", TODAY, "城市更新取得新进展", "秋粮收获忙")
    first = newest(subscriber, 1)
    assert [e.title for e in first.entries] == ["城市更新取得新进展", "秋粮收获忙"]
    delivery = subscriber.authentic()[0]
    assert delivery.content_type.startswith("application/rss+xml")
    assert (topic, "self") in delivery.links and (daemon.url + "websub", "hub") in delivery.links

    drop(daemon, "a-corrected.txt", TODAY, "城市更新取得重大进展")  # a correction: one changed, one withdrawn
    corrected = newest(subscriber, 2)
    assert [e.title for e in corrected.entries] == ["城市更新取得重大进展"]
    assert corrected.entries[0].id == first.entries[0].id  # the same item, updated
    info = wait_for(lambda: (t := status(daemon)["topics"]) and t[0]["ok"] >= 2 and t[0])
    assert info == {"topic": topic, "subscriptions": 1, "ok": 2, "failed": 0, "pending": 0, "dropped": 0}


def test_scheduled_release_is_pushed_at_its_time_not_at_the_drop(daemon: Daemon, subscriber: Subscriber,
                                                                 clock: ManualClock) -> None:
    subscribe(daemon, subscriber)
    drop(daemon, "today.txt", TODAY, "今日要闻")
    newest(subscriber, 1)
    drop(daemon, "tomorrow.txt", TOMORROW, "明日头条")
    wait_for(lambda: daemon.service.store.issue(TOMORROW), what="tomorrow's issue stored")
    daemon.service.release_due()  # the release job, run early: nothing is due yet
    time.sleep(0.3)
    assert all("明日头条".encode() not in d.body for d in subscriber.deliveries)

    clock.now = datetime(2023, 9, 29, 6, 0, 1, tzinfo=TZ)
    daemon.service.release_due()  # what the job scheduled for 06:00 runs
    released = newest(subscriber, 2)
    assert released.entries[0].title == "明日头条"


def test_atom_and_json_feeds_are_topics_too(daemon: Daemon) -> None:
    subscribers = {feed: Subscriber() for feed in ("atom.xml", "feed.json")}
    try:
        for feed, subscriber in subscribers.items():
            subscribe(daemon, subscriber, feed)
        drop(daemon, "a.txt", TODAY, "城市更新取得新进展")
        atom = wait_for(lambda: subscribers["atom.xml"].authentic(), what="atom delivery")[0]
        assert atom.content_type.startswith("application/atom+xml")
        assert feedparser.parse(atom.body).entries[0].title == "城市更新取得新进展"
        document = json.loads(wait_for(lambda: subscribers["feed.json"].authentic(), what="json")[0].body)
        assert document["items"][0]["title"] == "城市更新取得新进展"
        assert document["hubs"] == [{"type": "WebSub", "url": daemon.url + "websub"}]
    finally:
        for subscriber in subscribers.values():
            subscriber.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_subscriptions_survive_a_restart(tmp_path: Path, clock: ManualClock, subscriber: Subscriber) -> None:
    port = free_port()  # the same address across the restart, as in production
    daemon = start(tmp_path, clock, port=port)
    try:
        subscribe(daemon, subscriber)
    finally:
        daemon.stop()
    drop(daemon, "late.txt", TODAY, "停机期间到达的稿件")  # arrives while the service is down
    daemon = start(tmp_path, clock, port=port)
    try:
        assert newest(subscriber, 1).entries[0].title == "停机期间到达的稿件"
    finally:
        daemon.stop()


def test_external_hubs_are_advertised_and_pinged(tmp_path: Path, clock: ManualClock) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread
    from urllib.parse import parse_qs

    pings: list[dict[str, list[str]]] = []

    class FakeHub(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            pings.append(parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()))
            self.send_response(204)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeHub)
    Thread(target=server.serve_forever, daemon=True).start()
    external = f"http://127.0.0.1:{server.server_address[1]}/hub"
    daemon = start(tmp_path, clock, hubs=(external,))
    try:
        hubs, topic = discover(daemon.url + "rss.xml")
        assert hubs == [external] and topic == daemon.url + "rss.xml"
        assert "<atom:link" in (daemon.settings.public / "rss.xml").read_text()
        request = urllib.request.Request(daemon.url + "websub", data=b"hub.mode=subscribe", method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code in (404, 405)  # no hub of our own
        refused.value.close()  # its socket: left to the garbage collector, it warned during a later test
        drop(daemon, "a.txt", TODAY, "城市更新取得新进展")
        wait_for(lambda: any(p.get("hub.url") == [topic] for p in pings), what="publish ping for rss.xml")
        assert all(p["hub.mode"] == ["publish"] for p in pings)
    finally:
        daemon.stop()
        server.shutdown()
        server.server_close()


def test_websub_off_names_no_hub(tmp_path: Path, clock: ManualClock) -> None:
    daemon = start(tmp_path, clock, enabled=False)
    try:
        drop(daemon, "a.txt", TODAY, "城市更新取得新进展")
        wait_for(lambda: feedparser.parse(daemon.url + "rss.xml").entries)
        with urllib.request.urlopen(daemon.url + "rss.xml", timeout=5) as response:
            assert response.headers.get("Link") is None
            assert b'rel="hub"' not in response.read()
    finally:
        daemon.stop()


def test_settings_table() -> None:
    from feedsvc.config import load
    from feedsvc.errors import ConfigError

    path = Path(__file__).parent / "websub-settings.toml"
    try:
        path.write_text('[websub]\nallowed_callback_networks = ["127.0.0.0/8"]\nmax_attempts = 3\n')
        settings = load(path, env={})
        assert settings.websub.allowed_callback_networks == LOOPBACK and settings.websub.max_attempts == 3
        for bad in ('max_attemps = 3', 'allowed_callback_networks = ["127.0.0.1/8x"]', 'hubs = ["ftp://x"]',
                    'timeout_seconds = 0', 'enabled = "yes"'):
            path.write_text(f"[websub]\n{bad}\n")
            with pytest.raises(ConfigError):
                load(path, env={})
    finally:
        path.unlink(missing_ok=True)
    assert replace(Settings()).websub.builtin
