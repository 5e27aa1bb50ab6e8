"""The whole service end to end: real watchdog on a temp inbox, real HTTP on 127.0.0.1, feedparser as the reader."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from email.message import Message
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from conftest import ManualClock, wait_for, write_in_chunks

from feedsvc.config import Settings
from feedsvc.control import ask
from feedsvc.wiring import Daemon

pytestmark = pytest.mark.slow  # a daemon per test

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(name="daemon")
def _daemon(tmp_path: Path) -> Iterator[Daemon]:
    """A running service on a free loopback port, clock on 2023-09-28 09:00 Shanghai time."""
    (tmp_path / "inbox").mkdir()
    settings = Settings(inbox=tmp_path / "inbox", data=tmp_path / "data", port=0)
    daemon = Daemon(settings, ManualClock(datetime(2023, 9, 28, 9, tzinfo=TZ)))
    daemon.start()
    yield daemon
    daemon.stop()


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
    """GET `url`; the headers come back as a case-insensitive message."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def test_empty_feeds_before_the_first_issue(daemon: Daemon) -> None:
    for name in ("rss.xml", "atom.xml"):
        parsed = feedparser.parse(daemon.url + name)
        assert parsed.status == 200 and not parsed.bozo and parsed.entries == []
    status, headers, _ = fetch(daemon.url)
    assert status == 200 and headers["Content-Type"].startswith("text/html")


def test_dropped_issue_appears_in_the_reader(daemon: Daemon, seed_bytes: bytes) -> None:
    write_in_chunks(daemon.settings.inbox / "today.txt", seed_bytes, pause=0.05)
    parsed = wait_for(lambda: (p := feedparser.parse(daemon.url + "rss.xml")).entries and p)
    assert not parsed.bozo
    assert len(parsed.entries) == 5
    assert parsed.entries[0].link.startswith(daemon.url)
    status, _, body = fetch(parsed.entries[0].link)
    assert status == 200 and "打造数字时代城市核心竞争力" in body.decode()

    again = feedparser.parse(daemon.url + "rss.xml", etag=parsed.etag, modified=parsed.modified)
    assert again.status == 304
    info = json.loads(fetch(daemon.url + "status.json")[2])
    assert info["issue_count"] == 1 and info["next_expected"] == "2023-10-13"


def test_a_bad_file_is_reported_and_feeds_keep_serving(daemon: Daemon, seed_bytes: bytes) -> None:
    (daemon.settings.inbox / "seed.txt").write_bytes(seed_bytes)
    wait_for(lambda: feedparser.parse(daemon.url + "rss.xml").entries)
    before = fetch(daemon.url + "rss.xml")[2]
    (daemon.settings.inbox / "garbage.txt").write_bytes(b"\x00\xff\xfe" * 1000)
    info = wait_for(lambda: (i := ask(daemon.settings.data, {"command": "status"}).data)["rejected"] and i)
    assert info["rejected"][0]["file"] == "garbage.txt" and info["rejected"][0]["reason"]
    assert fetch(daemon.url + "rss.xml")[2] == before
    assert (daemon.settings.inbox / "garbage.txt").exists()


def test_cache_headers_of_a_feed_that_just_changed_are_short(daemon: Daemon, seed_bytes: bytes) -> None:
    """The freshness rule: a file that changed a moment ago is fresh for minutes, not until the next release."""
    (daemon.settings.inbox / "seed.txt").write_bytes(seed_bytes)
    wait_for(lambda: feedparser.parse(daemon.url + "rss.xml").entries)
    _, headers, _ = fetch(daemon.url + "rss.xml")
    assert headers["Cache-Control"] == (
        "public, max-age=300, s-maxage=30, stale-while-revalidate=30, stale-if-error=86400")
    assert headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert "ETag" in headers and "Last-Modified" in headers and "Expires" in headers
