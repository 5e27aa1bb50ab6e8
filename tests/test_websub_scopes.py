"""WebSub discovery on every feed feedsvc publishes (WebSub §4): the main feed, each section's and each author's,
in RSS, Atom and JSON Feed, name the hub and themselves in the document and in the HTTP Link header; and a
subscriber that found them there gets each one pushed. The feeds are found as a reader finds them: from the OPML."""

from __future__ import annotations

import ipaddress
import json
import urllib.request
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from conftest import ManualClock, fetch, publication_done, wait_for
from lxml import etree
from spec_subscriber import Delivery, Subscriber, discover, parse_link_header

from feedsvc.config import Settings
from feedsvc.websub.settings import WebSubSettings
from feedsvc.wiring import Daemon

pytestmark = pytest.mark.slow  # a daemon and a subscriber

TZ = ZoneInfo("Asia/Shanghai")
ATOM = "{http://www.w3.org/2005/Atom}"
FORMATS = ("rss.xml", "atom.xml", "feed.json")
WEDNESDAY = date(2023, 9, 27)
SECTION, AUTHOR = "权威发布", "章斐然"  # of the seed's first article


@pytest.fixture(name="daemon")
def _daemon(tmp_path: Path, seed_bytes: bytes) -> Iterator[Daemon]:
    """The seed issue (2023-09-27: sections, and two authors on one article) published."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "seed.txt").write_bytes(seed_bytes)
    settings = Settings(inbox=inbox, data=tmp_path / "data", port=0,
                        websub=WebSubSettings(allowed_callback_networks=(ipaddress.ip_network("127.0.0.0/8"),)))
    daemon = Daemon(settings, ManualClock(datetime(2023, 9, 28, 9, tzinfo=TZ)))
    daemon.start()
    try:
        wait_for(lambda: (settings.public / "issues" / f"{WEDNESDAY}.html").exists()
                 and publication_done(settings.data), what="the seed published")
        yield daemon
    finally:
        daemon.stop()


def scopes(daemon: Daemon) -> dict[str, str]:
    """{scope: folder URL}: the main feed, and the section and the first author of the seed's first article
    (权威发布; 章斐然), found in feeds.opml as a reader finds them."""
    root = etree.fromstring(fetch(daemon.url + "feeds.opml")[1])
    by_title = {o.get("text"): o.get("xmlUrl") for o in root.iter("outline") if o.get("type") == "rss"}
    found = {"main": daemon.url}
    for scope, name in (("section", SECTION), ("author", AUTHOR)):
        found[scope] = by_title[f"示例日报 · {name}"].removesuffix("rss.xml")
    assert "/sections/" in found["section"] and "/authors/" in found["author"]
    return found


def in_document(body: bytes, name: str) -> tuple[list[str], list[str]]:
    """(hub URLs, self URLs) a feed document names."""
    if name == "feed.json":
        document = json.loads(body)
        return [h["url"] for h in document.get("hubs", []) if h.get("type") == "WebSub"], [document["feed_url"]]
    links = [(e.get("href"), e.get("rel")) for e in etree.fromstring(body).iter(f"{ATOM}link")]
    return [h for h, rel in links if rel == "hub"], [h for h, rel in links if rel == "self"]


def self_of(delivery: Delivery) -> str:
    return next(url for url, rel in delivery.links if rel == "self")


def test_every_scope_and_format_names_hub_and_self_in_document_and_link_header(daemon: Daemon) -> None:
    hub = daemon.url + "websub"
    for scope, folder in scopes(daemon).items():
        for name in FORMATS:
            url = folder + name
            with urllib.request.urlopen(url, timeout=5) as response:
                header = parse_link_header(", ".join(response.headers.get_all("Link") or []))
                body = response.read()
            assert (hub, "hub") in header and (url, "self") in header, (scope, name, header)
            assert in_document(body, name) == ([hub], [url]), (scope, name)


def test_a_change_is_pushed_to_subscribers_of_every_scope_and_format(daemon: Daemon) -> None:
    subscriber = Subscriber()
    try:
        topics = []
        for folder in scopes(daemon).values():
            for name in FORMATS:
                hubs, topic = discover(folder + name)
                assert topic == folder + name
                assert subscriber.request(hubs[0], "subscribe", topic, secret="s3cret")[0] == 202
                topics.append(topic)
        wait_for(lambda: set(topics) <= set(subscriber.secrets), what="every subscription verified")
        wait_for(lambda: sum(t["subscriptions"] for t in
                                     json.loads(fetch(daemon.url + "status.json")[1])["websub"]["topics"])
                 == len(topics), what="every subscription stored")
        # A correction of the seed's first article: the main feed, its section's and its authors' change.
        seed = (daemon.settings.inbox / "seed.txt").read_text(encoding="utf-8")
        assert "报告提出" in seed
        (daemon.settings.inbox / f"{WEDNESDAY}-fixed.txt").write_text(seed.replace("报告提出", "报告指出"),
                                                                      encoding="utf-8")
        pushed = wait_for(lambda: (got := {self_of(d) for d in subscriber.authentic()}) >= set(topics) and got,
                          what="a delivery of every topic")
        assert pushed == set(topics)
        for delivery in subscriber.authentic():
            parsed = feedparser.parse(delivery.body)  # RSS and Atom; JSON Feed by json
            text = delivery.body.decode("utf-8")
            assert "报告指出" in text and "报告提出" not in text, self_of(delivery)
            if self_of(delivery).endswith(".json"):
                assert json.loads(delivery.body)["feed_url"] == self_of(delivery)
            else:
                assert not parsed.bozo and parsed.feed.links
    finally:
        subscriber.close()
