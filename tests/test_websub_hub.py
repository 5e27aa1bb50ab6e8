"""The hub against real sockets: a spec-text subscriber on loopback, the hub's own thread and loop, a real
store file. The feed files are written here, as the publisher would, and the hub is told with notify()."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import time
import urllib.parse
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from conftest import ManualClock, wait_for
from spec_subscriber import Subscriber, discover

from feedsvc.serve import ServerThread, make_app
from feedsvc.store import Store
from feedsvc.websub import report, web
from feedsvc.websub.client import Client
from feedsvc.websub.hub import Hub
from feedsvc.websub.settings import WebSubSettings
from feedsvc.websub.topics import Document, Topics

pytestmark = pytest.mark.slow  # a hub delivering to subscribers over HTTP, retries

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)
TZ = ZoneInfo("Asia/Shanghai")


def rss(*titles: str) -> bytes:
    items = "".join(f"<item><title>{t}</title><guid>urn:x:{t}</guid></item>" for t in titles)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


class Site:
    """public/ with one feed, served with the hub's route and Link headers, and the hub itself."""

    def __init__(self, root: Path, clock: ManualClock, **settings: object) -> None:
        self.public = root / "public"
        self.public.mkdir(parents=True)
        (self.public / "rss.xml").write_bytes(rss("one"))
        self.database = database = root / "feedsvc.sqlite"
        Store(database).close()  # the service's store creates the schema
        self.settings = WebSubSettings(**{"allowed_callback_networks": LOOPBACK, **settings})  # type: ignore[arg-type]
        self.topics = Topics(self.public, "")
        self.hub = Hub(self.settings, database, self.topics, clock)
        app = make_app(self.public, max_age=lambda _modified: 60, status=dict, links=web.links(self.hub),
                       websub=web.handler(self.hub) if self.settings.builtin else None)
        self.server = ServerThread(app, "127.0.0.1", 0)
        self.server.start()
        self.url = f"http://127.0.0.1:{self.server.port}/"
        self.topics.site_url = self.url
        self.hub.start()

    @property
    def topic(self) -> str:
        return self.url + "rss.xml"

    def publish(self, *titles: str) -> None:
        """As the publisher writes: a whole new file renamed over the old one, then notify()."""
        temporary = self.public / ".rss.xml.tmp"
        temporary.write_bytes(rss(*titles))
        os.replace(temporary, self.public / "rss.xml")
        self.hub.notify()

    def close(self) -> None:
        self.hub.stop()
        self.server.stop()


@pytest.fixture(name="clock")
def _clock() -> ManualClock:
    return ManualClock(datetime(2023, 9, 28, 9, 0, tzinfo=TZ))


@pytest.fixture(name="make_site")
def _make_site(tmp_path: Path, clock: ManualClock):
    sites: list[Site] = []

    def make(**settings: object) -> Site:
        sites.append(Site(tmp_path / str(len(sites)), clock, **settings))
        return sites[-1]

    yield make
    for site in sites:
        site.close()


@pytest.fixture(name="subscribers")
def _subscribers():
    made: list[Subscriber] = []

    def make(behaviour: str = "ok", delay: float = 30.0) -> Subscriber:
        made.append(Subscriber(behaviour, delay))
        return made[-1]

    yield make
    for subscriber in made:
        subscriber.close()


def subscribed(site: Site, subscriber: Subscriber, secret: str | None = "s3cret") -> None:
    hubs, topic = discover(site.topic)
    assert topic == site.topic
    before = site.hub.stats().get(topic, 0)
    assert subscriber.request(hubs[0], "subscribe", topic, secret=secret)[0] == 202
    wait_for(lambda: topic in subscriber.secrets, what="verification of intent")
    wait_for(lambda: site.hub.stats().get(topic, 0) > before, what="subscription stored")


def test_discovery_and_signed_delivery_of_a_change(make_site, subscribers) -> None:
    site, subscriber = make_site(), subscribers()
    subscribed(site, subscriber)
    check = subscriber.verifications[0]
    assert check["hub.mode"] == "subscribe" and int(check["hub.lease_seconds"]) == 10 * 86400
    site.publish("one", "two")
    delivery = wait_for(lambda: subscriber.authentic(), what="signed delivery")[0]
    counted = wait_for(lambda: [t for t in report.summary(site.database, site.settings)["topics"] if t["ok"]],
                       what="the delivery counted for status")
    assert [(t["subscriptions"], t["ok"], t["failed"], t["pending"]) for t in counted] == [(1, 1, 0, 0)]
    assert b"<title>two</title>" in delivery.body
    assert delivery.content_type == "application/rss+xml; charset=utf-8"
    assert (site.url + "websub", "hub") in delivery.links and (site.topic, "self") in delivery.links


def test_no_delivery_while_the_feed_is_unchanged(make_site, subscribers) -> None:
    site, subscriber = make_site(), subscribers()
    subscribed(site, subscriber)
    site.publish("one")  # the same bytes as before: a rebuild, not a change
    site.publish("one", "two")
    wait_for(lambda: subscriber.deliveries, what="delivery")
    time.sleep(0.2)
    assert len(subscriber.deliveries) == 1


def test_wrong_secret_is_seen_by_the_subscriber(make_site, subscribers) -> None:
    """The subscriber's check must be able to fail: a delivery signed with another secret is not authentic."""
    site, subscriber = make_site(), subscribers()
    subscribed(site, subscriber)
    subscriber.secrets[site.topic] = "another"
    site.publish("one", "two")
    wait_for(lambda: subscriber.deliveries, what="delivery")
    assert subscriber.authentic() == []


def test_unsubscribed_callback_receives_nothing_more(make_site, subscribers) -> None:
    site = make_site()
    leaving, staying = subscribers(), subscribers()
    subscribed(site, leaving)
    subscribed(site, staying)
    hub = site.url + "websub"
    assert leaving.request(hub, "unsubscribe", site.topic)[0] == 202
    wait_for(lambda: site.hub.stats().get(site.topic) == 1, what="unsubscription verified")
    leaving.secrets[site.topic] = "s3cret"  # it would still accept a delivery, were one sent
    site.publish("one", "two")
    wait_for(lambda: staying.deliveries, what="delivery to the remaining subscriber")
    time.sleep(0.2)
    assert leaving.attempts == 0


def test_failing_callback_is_retried_then_dropped(make_site, subscribers) -> None:
    site = make_site(retry_seconds=0.05, max_attempts=3)
    failing = subscribers("fail")
    subscribed(site, failing)
    site.publish("one", "two")
    wait_for(lambda: site.hub.stats().get(site.topic, 0) == 0, what="failing subscriber dropped")
    assert failing.attempts == 3
    # What `status` says: the topic keeps the count of subscribers it dropped.
    info = report.summary(site.database, site.settings)
    assert [(t["topic"], t["subscriptions"], t["dropped"]) for t in info["topics"]] == [(site.topic, 0, 1)]
    assert report.render_text(info) == [f"push (WebSub):   {site.topic}: 0 subscribed, deliveries 0 ok, 0 failed, "
                                        "0 pending, 1 dropped"]


def test_gone_callback_is_dropped_at_once(make_site, subscribers) -> None:
    # Retries as quick as in the test above: were 410 taken as a failure, the drop would come after 3 attempts.
    site, gone = make_site(retry_seconds=0.05, max_attempts=3), subscribers("gone")
    subscribed(site, gone)
    site.publish("one", "two")
    wait_for(lambda: site.hub.stats().get(site.topic, 0) == 0, what="410 subscriber dropped")
    assert gone.attempts == 1


def test_retries_back_off_from_the_configured_first_delay() -> None:
    assert [WebSubSettings().retry_delay(n) for n in range(1, 6)] == [60, 120, 240, 480, 960]  # README: 1…16 min
    assert WebSubSettings(retry_seconds=0.05).retry_delay(3) == pytest.approx(0.2)


@pytest.mark.parametrize("behaviour", ["slow", "huge"])
def test_slow_or_oversized_callback_does_not_stall_others(make_site, subscribers, behaviour) -> None:
    site = make_site(timeout_seconds=20.0, concurrency=4)
    bad = [subscribers(behaviour) for _ in range(3)]  # fewer than the hub delivers to at once
    good = subscribers()
    for subscriber in [*bad, good]:
        subscribed(site, subscriber)
    started = time.monotonic()
    site.publish("one", "two")
    wait_for(lambda: good.authentic(), timeout=5, what="delivery to the well-behaved subscriber")
    assert time.monotonic() - started < 5
    wait_for(lambda: all(b.attempts for b in bad), what="the misbehaving callbacks were tried")


def test_callback_to_loopback_refused_by_default(make_site, subscribers) -> None:
    site, subscriber = make_site(allowed_callback_networks=()), subscribers()
    status, reason = subscriber.request(site.url + "websub", "subscribe", site.topic)
    assert status == 400 and "127.0.0.1 is not allowed" in reason
    for callback in ("http://localhost:9/x", "http://[::1]:9/x", "http://10.1.2.3/x", "http://169.254.169.254/",
                     "http://224.0.0.1/x", "http://[::ffff:127.0.0.1]/x", "http://0.0.0.0/x", "ftp://a.example/x",
                     "http://user:pw@a.example/x"):
        form = {"hub.mode": "subscribe", "hub.topic": site.topic, "hub.callback": callback}
        data = urllib.parse.urlencode(form).encode()
        status = post(site.url + "websub", data)
        assert status == 400, callback
    assert subscriber.verifications == []


def post(url: str, data: bytes, content_type: str = "application/x-www-form-urlencoded") -> int:
    import urllib.error
    import urllib.request
    request = urllib.request.Request(url, data=data, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def test_topic_not_published_here_refused(make_site, subscribers) -> None:
    site, subscriber = make_site(), subscribers()
    for topic in (site.url + "nope.xml", site.url + "sections/x/rss.xml", "http://elsewhere.example/rss.xml",
                  site.url + "../rss.xml", site.url + "items/a.html"):
        status, reason = subscriber.request(site.url + "websub", "subscribe", topic)
        assert status == 400 and "not a feed published here" in reason, topic
    assert subscriber.verifications == []


def test_callback_that_does_not_echo_is_not_subscribed(make_site, subscribers) -> None:
    site, subscriber = make_site(), subscribers()
    subscriber.wanted.clear()
    form = {"hub.mode": "subscribe", "hub.topic": site.topic, "hub.callback": subscriber.callback}
    assert post(site.url + "websub", urllib.parse.urlencode(form).encode()) == 202  # not asked for: it answers 404
    time.sleep(0.3)
    assert site.hub.stats() == {}


def test_lease_expires(make_site, subscribers, clock) -> None:
    site, subscriber = make_site(), subscribers()
    hubs, topic = discover(site.topic)
    assert subscriber.request(hubs[0], "subscribe", topic, lease_seconds=7200)[0] == 202
    wait_for(lambda: site.hub.stats().get(topic), what="subscribed")
    assert subscriber.verifications[0]["hub.lease_seconds"] == "7200"
    clock.advance(hours=2, seconds=1)
    site.publish("one", "two")
    wait_for(lambda: site.hub.stats().get(topic, 0) == 0, what="lease ended")
    assert subscriber.attempts == 0


def test_caps_and_rate_limit(make_site, subscribers) -> None:
    site = make_site(max_per_topic=2, requests_per_minute=5)
    first, second, third = subscribers(), subscribers(), subscribers()
    subscribed(site, first)
    subscribed(site, second)
    assert third.request(site.url + "websub", "subscribe", site.topic)[0] == 503
    statuses = [third.request(site.url + "websub", "subscribe", site.topic)[0] for _ in range(3)]
    assert statuses[-1] == 429


def test_malformed_requests(make_site) -> None:
    site = make_site()
    hub = site.url + "websub"
    assert post(hub, b"hub.mode=subscribe", "text/plain") == 415
    assert post(hub, b"x" * 9000) == 413
    assert post(hub, b"hub.mode=watch") == 400
    form = {"hub.mode": "subscribe", "hub.topic": site.topic, "hub.callback": "http://127.0.0.1:9/",
            "hub.secret": "x" * 200}
    assert post(hub, urllib.parse.urlencode(form).encode()) == 400
    form["hub.secret"], form["hub.lease_seconds"] = "ok", "-5"
    assert post(hub, urllib.parse.urlencode(form).encode()) == 400


def test_subscriptions_survive_a_restart(make_site, subscribers, clock, tmp_path) -> None:
    site, subscriber = make_site(), subscribers()
    subscribed(site, subscriber)
    site.hub.stop()
    site.hub = Hub(site.settings, tmp_path / "0" / "feedsvc.sqlite", site.topics, clock)
    site.hub.start()
    site.publish("one", "two")
    wait_for(lambda: subscriber.authentic(), what="delivery after restart")


def test_a_name_that_rebinds_to_loopback_is_not_connected_to(subscribers) -> None:
    """DNS rebinding: the callback's name leads to a public address when the hub checks it and to 127.0.0.1 when
    the hub connects. The hub connects only to the addresses its checking resolver approved, so the callback on
    loopback never hears from it. The name server is played by a resolver answering from a list: a real one that
    changes its answer on cue is not to be had on loopback."""
    target = subscribers()
    port = int(urllib.parse.urlsplit(target.callback).port or 0)
    answers = iter(["93.184.216.34", "127.0.0.1"])

    class Rebinding(AbstractResolver):
        async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET,
                          ) -> list[ResolveResult]:
            return [{"hostname": host, "host": next(answers), "port": port, "family": family, "proto": 0,
                     "flags": socket.AI_NUMERICHOST}]

        async def close(self) -> None:
            pass

    async def deliver() -> str:
        client = Client(WebSubSettings(timeout_seconds=5.0))
        await client.start()
        client._resolver._inner = Rebinding()  # type: ignore[assignment]
        try:
            callback = f"http://rebinding.example:{port}/cb"
            await client.check(callback)  # public when checked: the subscription would be accepted
            outcome = await client.deliver(callback, Document(b"<rss/>", "application/rss+xml"), "", None)
            assert not outcome.ok
            return outcome.error
        finally:
            await client.close()

    error = asyncio.run(deliver())
    assert "127.0.0.1 is not allowed" in error, error
    assert target.attempts == 0


def test_a_feed_not_written_yet_is_written_for_its_first_subscriber(make_site, subscribers) -> None:
    """After a backfill an author's feed is written on its first request (ondemand.py); a subscription to it is
    such a request: the hub asks the daemon's writer before refusing the topic, and refuses it only if nothing
    was written (a name nobody has)."""
    site, subscriber = make_site(), subscribers()
    asked: list[str] = []

    def write(relative: str) -> bool:
        asked.append(relative)
        if relative != "authors/li-ming/rss.xml":
            return False
        (site.public / "authors" / "li-ming").mkdir(parents=True)
        (site.public / relative).write_bytes(rss("one"))
        return True

    site.hub.topics.on_request = write
    topic = site.url + "authors/li-ming/rss.xml"
    assert subscriber.request(site.url + "websub", "subscribe", topic, secret="s3cret")[0] == 202
    wait_for(lambda: topic in subscriber.secrets, what="verification of intent")
    status, reason = subscriber.request(site.url + "websub", "subscribe", site.url + "authors/nobody/rss.xml")
    assert status == 400 and "not a feed published here" in reason
    assert asked == ["authors/li-ming/rss.xml", "authors/nobody/rss.xml"]
