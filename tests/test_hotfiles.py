"""The serving fast path (feedsvc/hotfiles.py) answers exactly as ServedFile does: two real servers on the same
public/ folder, one with the fast path and one without, get the same requests and must give the same status,
headers and body; the fast server's counter shows which requests it answered itself."""

from __future__ import annotations

import gzip
import http.client
import os
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from test_serve import write_site

from feedsvc.hotfiles import HotFiles
from feedsvc.serve import ServerThread, make_app

HUB = '<http://127.0.0.1/websub>; rel="hub"'
GONE = "items/a.html"  # withdrawn: 410 from both servers


def links(relative: str) -> str | None:
    return HUB if relative.endswith("rss.xml") else None


@pytest.fixture(name="pair")
def _pair(tmp_path: Path) -> Iterator[tuple[ServerThread, ServerThread, HotFiles, Path]]:
    """(server without the fast path, server with it, its HotFiles, public/) on the same files."""
    public = tmp_path / "public"
    write_site(public)
    hot = HotFiles()
    servers = [ServerThread(make_app(public, max_age=lambda _lm: 600, status=dict, links=links, gone=GONE.__eq__,
                                     fast=fast), "127.0.0.1", 0) for fast in (False, hot)]
    for server in servers:
        server.start()
    yield servers[0], servers[1], hot, public
    for server in servers:
        server.stop()


def ask(port: int, path: str, method: str = "GET", headers: dict[str, str] | None = None):
    """(status, headers as a sorted list without Date and Expires, Expires - Date in seconds, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    got = resp.getheaders()
    dated = {name: parsedate_to_datetime(value) for name, value in got if name in ("Date", "Expires")}
    lifetime = (dated["Expires"] - dated["Date"]).total_seconds() if len(dated) == 2 else None
    return resp.status, sorted((n, v) for n, v in got if n not in ("Date", "Expires")), lifetime, body


def etag_of(port: int, path: str, coding: str = "") -> str:
    headers = {"Accept-Encoding": coding} if coding else {}
    return dict(ask(port, path, headers=headers)[1])["Etag"]


def requests(port: int) -> list[tuple[str, str, dict[str, str]]]:
    """Requests the fast path must answer (a reader's polls, first fetches, HEADs), on files of several kinds."""
    cases = []
    for path in ("/rss.xml", "/feed.json", "/", "/issues/2023-09-28.html", "/sections/yaowen/rss.xml"):
        plain, zipped = etag_of(port, path), etag_of(port, path, "gzip")
        for method in ("GET", "HEAD"):
            for headers in ({}, {"Accept-Encoding": "gzip, deflate"}, {"Accept-Encoding": "gzip;q=0, br"},
                            {"If-None-Match": plain}, {"If-None-Match": f'W/{plain}'},
                            {"If-None-Match": zipped, "Accept-Encoding": "gzip"},
                            {"If-None-Match": zipped},  # the gzip variant's tag for the identity one: a 200
                            {"If-None-Match": f'"other", {plain}'}, {"If-None-Match": "*"},
                            {"If-None-Match": plain, "If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"},
                            # a 200 not datable after the reader's copy: no Last-Modified (announce_last_modified)
                            {"If-None-Match": '"old"', "If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}):
                cases.append((path, method, headers))
    return cases


def test_fast_path_answers_as_served_file(pair):
    slow, fast, hot, _public = pair
    cases = requests(slow.port)
    statuses = set()
    for path, method, headers in cases:
        before = hot.answered
        want, got = ask(slow.port, path, method, headers), ask(fast.port, path, method, headers)
        assert hot.answered == before + 1, (path, method, headers)  # the fast path answered it, not ServedFile
        assert got == want, (path, method, headers)
        statuses.add(want[0])
    assert statuses == {200, 304}


def test_replaced_file_is_read_again(pair):
    slow, fast, hot, public = pair
    first = ask(fast.port, "/rss.xml", headers={"Accept-Encoding": "gzip"})
    text = (public / "rss.xml").read_text(encoding="utf-8").replace("第一条", "更正后的第一条")
    for name, data in (("rss.xml.gz", gzip.compress(text.encode(), mtime=0)), ("rss.xml", text.encode())):
        (public / f".{name}.tmp").write_bytes(data)
        os.replace(public / f".{name}.tmp", public / name)  # as the publisher replaces a file
    for headers in ({}, {"Accept-Encoding": "gzip"}, {"If-None-Match": dict(first[1])["Etag"]}):
        want, got = ask(slow.port, "/rss.xml", headers=headers), ask(fast.port, "/rss.xml", headers=headers)
        assert got == want
        assert want[0] == 200
    zipped = ask(fast.port, "/rss.xml", headers={"Accept-Encoding": "gzip"})[3]
    assert "更正后的第一条" in gzip.decompress(zipped).decode()
    assert hot.answered == 5  # every request above but the slow server's


@pytest.mark.parametrize("headers", [
    {"Range": "bytes=0-9"},
    {"Range": "bytes=0-9", "If-Range": '"stale-tag"'},
    {"If-Match": '"stale-tag"'},
    {"If-Unmodified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"},
    {"If-Modified-Since": "Thu, 01 Jan 2099 00:00:00 GMT"},
])
def test_unusual_requests_are_left_to_served_file(pair, headers):
    slow, fast, hot, _public = pair
    want, got = ask(slow.port, "/rss.xml", headers=headers), ask(fast.port, "/rss.xml", headers=headers)
    assert got == want
    assert hot.answered == 0


def test_missing_and_large_files_are_left_to_served_file(tmp_path, pair):
    slow, fast, hot, public = pair
    for path, status in (("/items/none.html", 404), ("/sections/none/rss.xml", 404), ("/" + GONE, 410)):
        assert ask(fast.port, path) == ask(slow.port, path)
        assert ask(fast.port, path)[0] == status
    small = HotFiles(largest=100)
    app_port = ServerThread(make_app(public, max_age=lambda _lm: 600, status=dict, links=links, fast=small),
                            "127.0.0.1", 0)
    app_port.start()
    try:
        assert (public / "rss.xml").stat().st_size > 100
        assert ask(app_port.port, "/rss.xml") == ask(slow.port, "/rss.xml")
        assert small.answered == 0  # the body was too large for memory: sendfile's path
        etag = etag_of(slow.port, "/rss.xml")
        assert ask(app_port.port, "/rss.xml", headers={"If-None-Match": etag})[0] == 304
        assert small.answered == 1  # a 304 needs no body
    finally:
        app_port.stop()
    assert hot.answered == 0


def test_bodies_kept_within_budget(tmp_path):
    files = {}
    for n in range(5):
        files[n] = tmp_path / f"{n}.html"
        files[n].write_bytes(bytes([65 + n]) * 400)
    hot = HotFiles(budget=1000, largest=500)
    for n in range(5):
        assert hot._body(str(files[n]), files[n].stat()) == bytes([65 + n]) * 400
    assert hot._used <= 1000
    assert list(hot._bodies) == [str(files[3]), str(files[4])]  # the least recently served went first
