"""A feed never links an item page that is not yet readable: while issues (and a correction adding an item) are
dropped into a running daemon, a reader polls every feed (main, sections', authors', in all three formats) as fast
as it can and follows each item link the moment it first appears; every one must answer 200 at once."""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import ManualClock, issue_text, wait_for

from feedsvc.config import Settings
from feedsvc.wiring import Daemon

TZ = ZoneInfo("Asia/Shanghai")
DAYS = (date(2023, 9, 25), date(2023, 9, 27), date(2023, 9, 29))
ITEM_LINK = re.compile(r"http://127\.0\.0\.1:\d+/items/[\w.-]+\.html")
FEED_LINK = re.compile(r'xmlUrl="(http://127\.0\.0\.1:\d+/[^"]+)"')


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, ""


class Reader(threading.Thread):
    """Polls the feeds until stopped; follows every item link once, the moment it first appears."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.stop = threading.Event()
        self.readable: set[str] = set()
        self.unreadable: list[tuple[str, str, int]] = []  # (feed, link, status)

    def feeds(self) -> list[str]:
        status, opml = get(self.base + "feeds.opml")
        listed = FEED_LINK.findall(opml) if status == 200 else []
        rss = [self.base + "rss.xml", *listed]
        return [url for feed in rss for url in (feed, feed[:-len("rss.xml")] + "atom.xml",
                                                feed[:-len("rss.xml")] + "feed.json")]

    def run(self) -> None:
        while not self.stop.is_set():
            for feed in self.feeds():
                status, body = get(feed)
                for link in set(ITEM_LINK.findall(body)) - self.readable if status == 200 else ():
                    page_status, _ = get(link)
                    if page_status == 200:
                        self.readable.add(link)
                    else:
                        self.unreadable.append((feed, link, page_status))


@pytest.fixture(name="daemon")
def _daemon(tmp_path: Path) -> Iterator[Daemon]:
    (tmp_path / "inbox").mkdir()
    settings = Settings(inbox=tmp_path / "inbox", data=tmp_path / "data", port=0)
    daemon = Daemon(settings, ManualClock(datetime(2023, 9, 29, 9, tzinfo=TZ)))
    daemon.start()
    yield daemon
    daemon.stop()


def test_a_feed_never_links_a_page_not_yet_readable(daemon: Daemon) -> None:
    reader = Reader(daemon.url)
    reader.start()
    try:
        drops = [(day, issue_text(day, f"{day.day}日要闻", f"{day.day}日经济", f"{day.day}日文化")) for day in DAYS]
        drops.append((DAYS[1], issue_text(DAYS[1], "27日要闻", "27日经济", "27日文化", "27日更正新增")))
        for n, (day, text) in enumerate(drops):
            (daemon.settings.inbox / f"{day}-{n}.txt").write_text(text, encoding="utf-8")
            # Wait until the reader has followed this drop's items from the feeds before the next drop.
            expected = 3 * min(n + 1, 3) + (n == 3)
            wait_for(lambda expected=expected: len(reader.readable) >= expected, timeout=20, what=f"drop {n}")
    finally:
        reader.stop.set()
        reader.join(10)
    assert reader.unreadable == []
    assert len(reader.readable) == 10  # every item of every drop was seen and read
