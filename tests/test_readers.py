"""Real feed readers subscribed to the running daemon: sfeed and newsboat (Debian packages, installed by .ci/run).

Each must see the same items, with the same titles, ids and links, as feedparser. newsboat's repeated reloads
must be answered with 304: a relay in front of the daemon reads the status line of every response it carries.
"""

from __future__ import annotations

import calendar
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from conftest import ManualClock, issue_text, wait_for

from feedsvc.config import Settings
from feedsvc.wiring import Daemon

pytestmark = pytest.mark.slow  # real feed readers in subprocesses

TZ = ZoneInfo("Asia/Shanghai")
SECOND = date(2023, 9, 25)
SECOND_TITLES = ("城市更新 老街焕新", "秋粮收获 农民增收")
LATER = date(2023, 9, 28)


def need(binary: str) -> str:
    path = shutil.which(binary)
    if path is None:
        pytest.skip(f"{binary} is not installed (Debian package {binary}; .ci/run installs it when run as root)")
    return path


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read()


@pytest.fixture(name="daemon")
def _daemon(tmp_path: Path, seed_bytes: bytes) -> Iterator[Daemon]:
    """The daemon serving the seed (2023-09-27) and a second issue (2023-09-25)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "seed.txt").write_bytes(seed_bytes)
    (inbox / f"{SECOND}.txt").write_text(issue_text(SECOND, *SECOND_TITLES))
    daemon = Daemon(Settings(inbox=inbox, data=tmp_path / "data", port=0),
                    ManualClock(datetime(2023, 9, 28, 9, tzinfo=TZ)))
    daemon.start()
    try:
        wait_for(lambda: all((daemon.settings.public / "issues" / f"{d}.html").exists() for d in ("2023-09-27", SECOND))
                 and len(feedparser.parse(fetch(daemon.url + "atom.xml")).entries) == 7, what="both issues published")
        yield daemon
    finally:
        daemon.stop()


def feedparser_view(data: bytes) -> list[tuple[str, str, str]]:
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return [(e.id, e.title, e.link) for e in parsed.entries]


def test_a_reader_with_only_if_modified_since_sees_every_change(daemon: Daemon) -> None:
    """Last-Modified (whole seconds) must move forward whenever a feed's bytes change, even when the last version
    is dated within the same second or later (a clock stepped back): else a reader that sends only
    If-Modified-Since gets 304 for a feed that changed, and libcurl-based readers (newsboat) drop the 200's body."""
    public = daemon.settings.public
    ahead = time.time() + 5.3  # the version in place is dated ahead of the clock
    for name in ("rss.xml", "rss.xml.gz", "atom.xml", "atom.xml.gz"):
        os.utime(public / name, (ahead, ahead))
    first = feedparser.parse(daemon.url + "rss.xml")
    assert first.status == 200 and len(first.entries) == 7
    (daemon.settings.inbox / f"{LATER}.txt").write_text(issue_text(LATER, "城市亮灯 夜景璀璨"))
    wait_for(lambda: "夜景璀璨".encode() in fetch(daemon.url + "atom.xml"), what="the new issue published")
    for name in ("rss.xml", "atom.xml"):
        again = feedparser.parse(daemon.url + name, modified=first.modified)  # no ETag: If-Modified-Since alone
        assert again.status == 200, f"{name}: 304 for a changed feed"
        assert again.entries[0].title == "城市亮灯 夜景璀璨"


# --- sfeed -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rss.xml", "atom.xml"])
def test_sfeed_sees_what_feedparser_sees(daemon: Daemon, name: str) -> None:
    """sfeed reads the served bytes into TSV: same ids, titles, links and times as feedparser, in feed order."""
    sfeed = need("sfeed")
    data = fetch(daemon.url + name)
    out = subprocess.run([sfeed], input=data, capture_output=True, check=True, timeout=30).stdout.decode()
    rows = [line.split("\t") for line in out.splitlines()]
    # sfeed's fields: timestamp, title, link, content, content-type, id, author, enclosure, category
    assert [(r[5], r[1], r[2]) for r in rows] == feedparser_view(data)
    parsed = feedparser.parse(data)
    assert [int(r[0]) for r in rows] == [calendar.timegm(e.published_parsed) for e in parsed.entries]
    assert len(rows) == 7 and {r[1] for r in rows} >= set(SECOND_TITLES)
    assert all(r[3] and r[4] == "html" for r in rows), "every item carries its full text as HTML"


@pytest.mark.parametrize("name", ["rss.xml", "atom.xml"])
def test_both_authors_are_seen_by_sfeed_newsboat_and_feedparser(daemon: Daemon, tmp_path: Path, name: str) -> None:
    """The seed's first article is by 章斐然 and 王震; readers with one author slot must show both."""
    byline = "章斐然、王震"
    title = "打造数字时代城市核心竞争力 192城沪上共话"
    data = fetch(daemon.url + name)
    assert next(e for e in feedparser.parse(data).entries if e.title == title).author == byline
    out = subprocess.run([need("sfeed")], input=data, capture_output=True, check=True, timeout=30).stdout.decode()
    assert {r[1]: r[6] for r in (line.split("\t") for line in out.splitlines())}[title] == byline
    reader = Newsboat(need("newsboat"), tmp_path / "newsboat", daemon.url + name)
    reader.reload()
    assert reader.authors()[title] == byline


# --- newsboat --------------------------------------------------------------------------------------------------


class StatusRelay:
    """A TCP relay to the daemon that records the status of every response it carries (keep-alive aware:
    it follows Content-Length from one response to the next)."""

    def __init__(self, target_port: int) -> None:
        self.statuses: list[tuple[str, int]] = []  # (request path, response status)
        self._target = target_port
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._lock = threading.Lock()
        self._paths: list[str] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self._target))
            threading.Thread(target=self._requests, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._responses, args=(upstream, client), daemon=True).start()

    def _requests(self, client: socket.socket, upstream: socket.socket) -> None:
        with client, upstream:
            try:
                while chunk := client.recv(65536):
                    # newsboat sends bodiless GETs, each one packet: note the path of each request line.
                    with self._lock:
                        self._paths += re.findall(rb"^GET (\S+) HTTP/1\.[01]\r$", chunk, re.M)
                    upstream.sendall(chunk)
            except OSError:  # either side hung up
                return

    def _responses(self, upstream: socket.socket, client: socket.socket) -> None:
        buffer = b""
        with upstream, client:
            try:
                while chunk := upstream.recv(65536):
                    # Recorded before the chunk that completes a response is passed on: a reader that exits
                    # right after its last response must find that response counted.
                    buffer += chunk
                    while (end := buffer.find(b"\r\n\r\n")) >= 0:
                        head = buffer[:end].decode("latin-1")
                        length = re.search(r"(?im)^content-length:\s*(\d+)", head)
                        body = int(length[1]) if length and not head.startswith("HTTP/1.1 304") else 0
                        if len(buffer) < end + 4 + body:
                            break
                        assert "transfer-encoding" not in head.lower()
                        with self._lock:
                            path = self._paths.pop(0).decode() if self._paths else "?"
                            self.statuses.append((path, int(head.split(" ", 2)[1])))
                        buffer = buffer[end + 4 + body :]
                    client.sendall(chunk)
            except OSError:
                return

    def of(self, path: str) -> list[int]:
        with self._lock:
            return [status for p, status in self.statuses if p == path]


class Newsboat:
    """newsboat run headless, one feed per cache (newsboat keys items by guid across feeds, and RSS and Atom
    carry the same ids)."""

    def __init__(self, binary: str, home: Path, url: str) -> None:
        self.binary, self.home, self.url = binary, home, url
        home.mkdir()
        (home / "urls").write_text(url + "\n")
        (home / "config").write_text("")
        self.cache = home / "cache.db"

    def reload(self) -> None:
        env = {**os.environ, "HOME": str(self.home), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
        result = subprocess.run([self.binary, "-x", "reload", "-u", str(self.home / "urls"), "-c", str(self.cache),
                                 "-C", str(self.home / "config")], capture_output=True, text=True, timeout=60, env=env)
        assert result.returncode == 0, result.stderr

    def unread(self) -> int:
        env = {**os.environ, "HOME": str(self.home), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
        out = subprocess.run([self.binary, "-x", "print-unread", "-u", str(self.home / "urls"), "-c", str(self.cache),
                              "-C", str(self.home / "config")], capture_output=True, text=True, timeout=60, env=env)
        return int(re.match(r"(\d+) unread", out.stdout)[1])

    def items(self) -> list[tuple[str, str, str]]:
        with sqlite3.connect(self.cache) as db:
            return db.execute("SELECT guid, title, url FROM rss_item WHERE feedurl = ? AND deleted = 0",
                              (self.url,)).fetchall()

    def authors(self) -> dict[str, str]:
        with sqlite3.connect(self.cache) as db:
            return dict(db.execute("SELECT title, author FROM rss_item WHERE feedurl = ? AND deleted = 0",
                                   (self.url,)).fetchall())

    def validators(self) -> tuple[str, int]:
        with sqlite3.connect(self.cache) as db:
            return db.execute("SELECT etag, lastmodified FROM rss_feed WHERE rssurl = ?", (self.url,)).fetchone()


@pytest.mark.parametrize("name", ["rss.xml", "atom.xml"])
def test_newsboat_sees_what_feedparser_sees_and_its_reloads_get_304(daemon: Daemon, tmp_path: Path,
                                                                    name: str) -> None:
    binary = need("newsboat")
    relay = StatusRelay(daemon.server.port)
    try:
        url = f"http://127.0.0.1:{relay.port}/{name}"
        reader = Newsboat(binary, tmp_path / "newsboat", url)
        for _ in range(4):
            reader.reload()
        # newsboat 2.21 keeps the validators from its second fetch of a new feed: the third is conditional.
        assert relay.of(f"/{name}") == [200, 200, 304, 304]
        # newsboat asks for gzip, so its validators are those of the pre-compressed variant.
        gzipped = urllib.request.urlopen(urllib.request.Request(url, headers={"Accept-Encoding": "gzip"}), timeout=5)
        assert gzipped.headers["Content-Encoding"] == "gzip"
        etag, last_modified = gzipped.headers["ETag"], gzipped.headers["Last-Modified"]
        data = fetch(url)
        seconds = int(datetime.strptime(last_modified, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=ZoneInfo("UTC"))
                      .timestamp())
        # A version dated ahead of the clock (a rewrite within its predecessor's second) is served with the
        # response's Date as Last-Modified (RFC 9110 §8.8.2.1), so newsboat's copy may say a second earlier.
        kept_etag, kept_seconds = reader.validators()
        assert kept_etag == etag and seconds - 1 <= kept_seconds <= seconds
        assert sorted(reader.items()) == sorted(feedparser_view(data))
        assert reader.unread() == 7

        # A new issue: the next reload gets it with a 200, and the one after is a 304 again.
        titles = ("城市亮灯 夜景璀璨", "节前市场 供应充足")
        (daemon.settings.inbox / f"{LATER}.txt").write_text(issue_text(LATER, *titles))
        wait_for(lambda: [e.title for e in feedparser.parse(fetch(url)).entries][:2] == list(titles),
                 what="the new issue in the feed")
        wait_for(lambda: (daemon.settings.public / "issues" / f"{LATER}.html").exists(), what="its page")
        statuses = len(relay.of(f"/{name}"))
        reader.reload()
        reader.reload()
        assert relay.of(f"/{name}")[statuses:] == [200, 304]
        assert sorted(reader.items()) == sorted(feedparser_view(fetch(url)))
        assert reader.unread() == 9
    finally:
        relay.close()
