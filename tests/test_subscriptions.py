"""Ways to subscribe: per-author feeds, and feeds.opml listing every feed, served by the running daemon."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from conftest import REPORTERS, ManualClock, fetch, issue_text, publication_done, wait_for
from lxml import etree, html

from feedsvc.config import Settings
from feedsvc.wiring import Daemon

pytestmark = pytest.mark.slow  # a daemon per test

TZ = ZoneInfo("Asia/Shanghai")
MONDAY, WEDNESDAY = date(2023, 9, 25), date(2023, 9, 27)


@pytest.fixture(name="daemon")
def _daemon(tmp_path: Path, seed_bytes: bytes) -> Iterator[Daemon]:
    """The seed (2023-09-27: 章斐然 and 王震, 孙红丽, ...) and a Monday issue by the test reporters."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "seed.txt").write_bytes(seed_bytes)
    (inbox / f"{MONDAY}.txt").write_text(issue_text(MONDAY, "城市更新 老街焕新", "秋粮收获 农民增收"))
    daemon = Daemon(Settings(inbox=inbox, data=tmp_path / "data", port=0),
                    ManualClock(datetime(2023, 9, 28, 9, tzinfo=TZ)))
    daemon.start()
    try:
        wait_for(lambda: (daemon.settings.public / "issues" / f"{MONDAY}.html").exists()
                 and (daemon.settings.public / "issues" / f"{WEDNESDAY}.html").exists()
                 and publication_done(daemon.settings.data), what="both issues published")
        yield daemon
    finally:
        daemon.stop()


def opml(daemon: Daemon) -> etree._Element:
    with urllib.request.urlopen(daemon.url + "feeds.opml", timeout=5) as response:
        assert response.headers["Content-Type"] == "text/x-opml; charset=utf-8"
        return etree.fromstring(response.read())


def author_feeds(daemon: Daemon) -> dict[str, str]:
    """{author: RSS URL} from the OPML's Authors folder."""
    folder = next(o for o in opml(daemon).iterfind("body/outline") if o.get("text") == "作者 Authors")
    return {o.get("text").split(" · ")[-1]: o.get("xmlUrl") for o in folder}


def test_each_author_has_feeds_with_only_their_items(daemon: Daemon) -> None:
    feeds = author_feeds(daemon)
    assert {"章斐然", "王震", REPORTERS[0], REPORTERS[1]} <= set(feeds)
    both = feedparser.parse(fetch(feeds["章斐然"])[1])
    assert not both.bozo
    assert [e.title for e in both.entries] == ["打造数字时代城市核心竞争力 192城沪上共话"]
    assert both.feed.title == "示例日报 · 章斐然"
    assert [e.title for e in feedparser.parse(fetch(feeds["王震"])[1]).entries] == [both.entries[0].title]
    monday = feedparser.parse(fetch(feeds[REPORTERS[1]])[1])
    assert [e.title for e in monday.entries] == ["秋粮收获 农民增收"]
    for name in ("atom.xml", "feed.json"):
        assert fetch(feeds[REPORTERS[1]].replace("rss.xml", name))[0] == 200
    # The item page advertises its authors' feeds for autodiscovery.
    page = html.fromstring(fetch(monday.entries[0].link)[1])
    assert feeds[REPORTERS[1]] in page.xpath("//link[@rel='alternate']/@href")


def test_a_correction_that_takes_an_item_from_an_author_empties_their_feed(daemon: Daemon) -> None:
    feeds = author_feeds(daemon)
    before = len(fetch(daemon.url + "rss.xml")[1])
    (daemon.settings.inbox / f"{MONDAY}-fixed.txt").write_text(issue_text(MONDAY, "城市更新 老街焕新"))
    wait_for(lambda: len(fetch(daemon.url + "rss.xml")[1]) != before and publication_done(daemon.settings.data),
             what="the correction published")
    assert feedparser.parse(fetch(feeds[REPORTERS[1]])[1]).entries == []
    assert REPORTERS[1] not in author_feeds(daemon), "an author without items leaves the list"


def test_the_opml_lists_every_feed_and_the_index_links_it(daemon: Daemon) -> None:
    root = opml(daemon)
    assert root.get("version") == "2.0"
    outlines = [o for o in root.iter("outline") if o.get("type") == "rss"]
    urls = [o.get("xmlUrl") for o in outlines]
    assert urls[0] == daemon.url + "rss.xml"
    assert sum("/sections/" in u for u in urls) >= 1 and sum("/authors/" in u for u in urls) >= 4
    for outline in outlines:
        parsed = feedparser.parse(fetch(outline.get("xmlUrl"))[1])
        assert not parsed.bozo and parsed.feed.title == outline.get("title")
    index = html.fromstring(fetch(daemon.url)[1])
    assert daemon.url + "feeds.opml" in index.xpath("//a/@href")
