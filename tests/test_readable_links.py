"""A feed never links an item page that a reader cannot read yet.

The main feeds are written first (they are what readers wait for), the item pages just after; a reader quick
enough to follow a link in between gets the page written on request (ondemand.py). Here a reader polls the feed
while issues are dropped and follows every new link the moment it appears.
"""

from __future__ import annotations

import http.client
import threading
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
from conftest import start_service, wait_for

from bench.corpus import write

NOW = "2024-03-01T12:00:00+08:00"  # after every generated issue's release


class Reader(threading.Thread):
    """Polls /rss.xml over one keep-alive connection; GETs each item link the moment it first appears."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.answers: dict[str, int] = {}  # item path → status of its first GET
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def get(self, conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            while not self.stop.is_set():
                status, body = self.get(conn, "/rss.xml")
                if status != 200:
                    continue
                for entry in feedparser.parse(body).entries:
                    path = urlsplit(entry.link).path
                    if path not in self.answers:
                        self.answers[path] = self.get(conn, path)[0]
        except BaseException as exc:  # seen by the test, not lost in the thread
            self.error = exc
        finally:
            conn.close()


def test_every_linked_item_page_answers_the_moment_the_feed_links_it(tmp_path: Path) -> None:
    drops = write(tmp_path / "issues", 12, date(2024, 1, 1))
    with start_service(tmp_path, now=NOW) as service:
        reader = Reader(service.port)
        reader.start()
        try:
            for n, issue in enumerate(drops):
                (tmp_path / "inbox" / issue.name).write_bytes(issue.read_bytes())  # as cp writes
                prefix = f"/items/{issue.stem}-"
                wait_for(lambda p=prefix: any(path.startswith(p) for path in list(reader.answers)) or reader.error,
                         what=f"the reader follows the links of drop {n + 1}")
        finally:
            reader.stop.set()
            reader.join(10)
        assert reader.error is None, reader.error
        linked = {path for path in reader.answers if path.startswith("/items/")}
        assert len(linked) >= 12
        assert {path: status for path, status in reader.answers.items() if status != 200} == {}
