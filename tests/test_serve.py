"""The HTTP server against a real socket: content types, validators and 304s, gzip siblings, caching
headers, path refusal, methods, status endpoints, hostile clients and a clean stop."""

from __future__ import annotations

import gzip
import http.client
import json
import logging
import os
import socket
import threading
import time
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import feedparser
import pytest
from conftest import raw

from feedsvc.serve import ServerThread, make_app

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>示例日报</title><link>http://127.0.0.1/</link><description>d</description>
<item><title>第一条</title><link>http://127.0.0.1/items/a.html</link><guid isPermaLink="false">urn:x:a</guid></item>
</channel></rss>
"""
ATOM = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>示例日报</title><id>urn:x:feed</id>
<updated>2023-09-28T06:00:00+08:00</updated><author><name>编辑部</name></author>
<entry><title>第一条</title><id>urn:x:a</id><updated>2023-09-28T06:00:00+08:00</updated>
<link href="http://127.0.0.1/items/a.html"/></entry></feed>
"""
JSON_FEED = json.dumps({
    "version": "https://jsonfeed.org/version/1.1", "title": "示例日报",
    "items": [{"id": "urn:x:a", "title": "第一条", "content_text": "正文"}],
}, ensure_ascii=False)
SECRET = "TOP-SECRET-OUTSIDE-PUBLIC"


class Knobs:
    """What the server's callables answer; tests turn these to change behaviour between requests."""

    def __init__(self) -> None:
        self.max_ages: list[int] = []  # popped per request when non-empty, else `max_age`
        self.max_age = 300
        self.status: dict = {"issue_count": 1, "last_issue": date(2023, 9, 28), "missing": []}
        self.fail_status = False
        self.max_age_calls = 0
        self.last_modified: list[datetime | None] = []  # what each call was given

    def get_max_age(self, last_modified: datetime | None) -> int:
        self.max_age_calls += 1
        self.last_modified.append(last_modified)
        return self.max_ages.pop(0) if self.max_ages else self.max_age

    def get_status(self) -> dict:
        if self.fail_status:
            raise RuntimeError("status store unavailable")
        return self.status


def write_site(public: Path) -> None:
    """A small published folder, with .gz siblings written from the same bytes as the publisher does."""
    files = {
        "rss.xml": RSS, "atom.xml": ATOM, "feed.json": JSON_FEED,
        "index.html": "<!doctype html><title>首页</title>", "items/a.html": "<p>第一条</p>",
        "issues/2023-09-28.html": "<p>期</p>", "issues/index.html": "<p>往期</p>",
        "style.css": "body{}", "data.json": "{}", "sections/yaowen/rss.xml": RSS,
        "sections/国际/rss.xml": RSS, "notes.txt": "unpublished kind", ".rss.xml.tmp": "half written",
    }
    for name, text in files.items():
        path = public / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for name in ("rss.xml", "atom.xml", "feed.json"):
        (public / f"{name}.gz").write_bytes(gzip.compress((public / name).read_bytes(), mtime=0))


@pytest.fixture(name="knobs")
def _knobs() -> Knobs:
    """The max_age/status callables' answers, adjustable per test."""
    return Knobs()


@pytest.fixture(name="public")
def _public(tmp_path: Path) -> Path:
    """A filled public/ folder, with a secret file right next to it (outside) that must never be served."""
    public = tmp_path / "public"
    write_site(public)
    (tmp_path / "secret.html").write_text(SECRET)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "rss.xml").write_text(SECRET)
    return public


def start(public: Path, knobs: Knobs, port: int = 0) -> ServerThread:
    # max_age asked on every request, so a test sees each answer it sets at once.
    server = ServerThread(make_app(public, max_age=knobs.get_max_age, status=knobs.get_status,
                                   max_age_per_second=False), "127.0.0.1", port)
    server.start()
    return server


@pytest.fixture(name="server")
def _server(public: Path, knobs: Knobs):
    """A running server on a free loopback port, stopped after the test."""
    server = start(public, knobs)
    yield server
    server.stop()


def get(port: int, path: str, method: str = "GET", headers: dict[str, str] | None = None):
    """One request on a fresh connection: (status, headers, body). http.client sends the path verbatim."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def url(server: ServerThread, path: str) -> str:
    return f"http://127.0.0.1:{server.port}{path}"


class TestContent:
    @pytest.mark.parametrize(("path", "ctype", "expected"), [
        ("/rss.xml", "application/rss+xml; charset=utf-8", RSS),
        ("/atom.xml", "application/atom+xml; charset=utf-8", ATOM),
        ("/feed.json", "application/feed+json; charset=utf-8", JSON_FEED),
        ("/data.json", "application/json; charset=utf-8", "{}"),
        ("/", "text/html; charset=utf-8", "<!doctype html><title>首页</title>"),
        ("/index.html", "text/html; charset=utf-8", "<!doctype html><title>首页</title>"),
        ("/issues/", "text/html; charset=utf-8", "<p>往期</p>"),
        ("/items/a.html", "text/html; charset=utf-8", "<p>第一条</p>"),
        ("/issues/2023-09-28.html", "text/html; charset=utf-8", "<p>期</p>"),
        ("/style.css", "text/css; charset=utf-8", "body{}"),
        ("/sections/yaowen/rss.xml", "application/rss+xml; charset=utf-8", RSS),
        ("/sections/%E5%9B%BD%E9%99%85/rss.xml", "application/rss+xml; charset=utf-8", RSS),
    ])
    def test_published_files_have_their_type_and_bytes(self, server, path, ctype, expected):
        """Each kind of published file comes back whole, with its content type and charset."""
        status, headers, body = get(server.port, path)
        assert (status, headers["Content-Type"], body.decode()) == (200, ctype, expected)

    @pytest.mark.parametrize("name", ["rss.xml", "atom.xml", "sections/yaowen/rss.xml"])
    def test_feedparser_reads_then_gets_304(self, server, name):
        """A real reader (it asks for gzip) parses the feed, then its conditional refetch gets 304."""
        first = feedparser.parse(url(server, f"/{name}"))
        assert (first.status, first.bozo, [e.title for e in first.entries]) == (200, False, ["第一条"])
        again = feedparser.parse(url(server, f"/{name}"), etag=first.etag, modified=first.modified)
        assert (again.status, again.entries) == (304, [])

    def test_json_feed_reads_then_gets_304(self, server):
        """feedparser 6.0 has no JSON Feed support, so read it as JSON; the 304 path is the same."""
        status, headers, body = get(server.port, "/feed.json", headers={"Accept-Encoding": "gzip"})
        assert [i["title"] for i in json.loads(gzip.decompress(body))["items"]] == ["第一条"]
        again = get(server.port, "/feed.json", headers={"Accept-Encoding": "gzip", "If-None-Match": headers["ETag"]})
        assert (status, again[0]) == (200, 304)

    def test_replaced_file_is_served_fresh(self, server, public):
        """Files are looked up per request: an atomic replace shows at once and the old ETag no longer matches."""
        _, before, _ = get(server.port, "/rss.xml")
        tmp = public / ".rss.xml.new"
        tmp.write_text(RSS.replace("第一条", "第二条"), encoding="utf-8")
        os.utime(tmp, ns=(time.time_ns() + 2_000_000_000,) * 2)  # a distinct mtime whatever the fs granularity
        os.replace(tmp, public / "rss.xml")
        status, after, body = get(server.port, "/rss.xml", headers={"If-None-Match": before["ETag"]})
        assert (status, "第二条" in body.decode()) == (200, True)
        assert after["ETag"] != before["ETag"]

    def test_public_folder_missing_at_start_then_created(self, tmp_path, knobs):
        """The server may start before the first publish: 404 until the files exist, then 200."""
        public = tmp_path / "later" / "public"
        server = start(public, knobs)
        try:
            assert get(server.port, "/rss.xml")[0] == 404
            assert get(server.port, "/")[0] == 404
            write_site(public)
            assert get(server.port, "/rss.xml")[0] == 200
        finally:
            server.stop()


class TestConditional:
    def test_etag_forms_give_304(self, server):
        """If-None-Match matches alone, inside a list and in the weak form; a foreign tag gets the body."""
        _, headers, _ = get(server.port, "/rss.xml")
        etag = headers["ETag"]
        for value in (etag, f'"nope", {etag}', f"W/{etag}", "*"):
            status, _, body = get(server.port, "/rss.xml", headers={"If-None-Match": value})
            assert (value, status, body) == (value, 304, b"")
        assert get(server.port, "/rss.xml", headers={"If-None-Match": '"nope"'})[0] == 200

    def test_if_modified_since(self, server):
        """If-Modified-Since at Last-Modified gives 304; an older date gives the body."""
        _, headers, _ = get(server.port, "/atom.xml")
        assert get(server.port, "/atom.xml", headers={"If-Modified-Since": headers["Last-Modified"]})[0] == 304
        old = "Mon, 01 Jan 2001 00:00:00 GMT"
        status, _, body = get(server.port, "/atom.xml", headers={"If-Modified-Since": old})
        assert (status, body.decode()) == (200, ATOM)

    def test_gzip_sibling_and_its_own_304(self, server, public):
        """A gzip-accepting client gets the .gz sibling's bytes, with its own ETag that 304s too."""
        status, headers, body = get(server.port, "/rss.xml", headers={"Accept-Encoding": "gzip, deflate"})
        assert (status, headers["Content-Encoding"], headers["Vary"]) == (200, "gzip", "Accept-Encoding")
        assert headers["Content-Type"] == "application/rss+xml; charset=utf-8"
        assert body == (public / "rss.xml.gz").read_bytes()
        assert gzip.decompress(body).decode() == RSS
        _, plain, _ = get(server.port, "/rss.xml")
        assert plain["ETag"] != headers["ETag"] and "Content-Encoding" not in plain
        status, h304, body = get(server.port, "/rss.xml",
                                 headers={"Accept-Encoding": "gzip", "If-None-Match": headers["ETag"]})
        assert (status, body, h304["Vary"], h304["ETag"]) == (304, b"", "Accept-Encoding", headers["ETag"])

    def test_identity_variant_304_and_vary(self, server):
        """The uncompressed variant 304s on its own ETag and still says Vary (a .gz sibling exists)."""
        _, headers, _ = get(server.port, "/feed.json")
        status, h304, _ = get(server.port, "/feed.json", headers={"If-None-Match": headers["ETag"]})
        assert (status, headers["Vary"], h304["Vary"]) == (304, "Accept-Encoding", "Accept-Encoding")

    def test_head_has_headers_and_no_body(self, server):
        """HEAD carries the GET's validators and length, and no body on the wire."""
        _, got, body = get(server.port, "/rss.xml")
        reply = raw(server.port, b"HEAD /rss.xml HTTP/1.0\r\n\r\n")
        head, _, rest = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.0 200") and rest == b""
        fields = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
        assert (fields["Etag"], fields["Content-Length"]) == (got["ETag"], str(len(body)))

    def test_range_gives_206(self, server):
        """A byte range is answered with 206, Content-Range and exactly those bytes."""
        status, headers, body = get(server.port, "/rss.xml", headers={"Range": "bytes=0-9"})
        size = len(RSS.encode())
        assert (status, headers["Content-Range"], body) == (206, f"bytes 0-9/{size}", RSS.encode()[:10])


class TestCaching:
    def test_max_age_is_asked_per_request(self, server, knobs):
        """The calendar's answer may change between requests; each response carries the current one."""
        knobs.max_ages = [60, 86400]
        first = get(server.port, "/rss.xml")[1]["Cache-Control"]
        second = get(server.port, "/rss.xml")[1]["Cache-Control"]
        shared = "s-maxage=30, stale-while-revalidate=30, stale-if-error=86400"
        assert (first, second) == (f"public, max-age=60, {shared}", f"public, max-age=86400, {shared}")

    def test_shared_caches_never_keep_longer_than_readers(self, server, knobs):
        """s-maxage is at most 30 s, and never more than the readers' max-age (5 s before a release: 5)."""
        knobs.max_ages = [5, 0]
        assert get(server.port, "/rss.xml")[1]["Cache-Control"] == (
            "public, max-age=5, s-maxage=5, stale-while-revalidate=30, stale-if-error=86400")
        assert get(server.port, "/rss.xml")[1]["Cache-Control"] == (
            "public, max-age=0, s-maxage=0, stale-while-revalidate=30, stale-if-error=86400")

    @pytest.mark.parametrize("conditional", [False, True])
    def test_max_age_is_asked_about_the_served_files_last_modified(self, server, knobs, public, conditional):
        """The freshness rule depends on how long the file has been quiet: it gets the file's Last-Modified."""
        mtime = 1_695_772_800  # 2023-09-27 00:00 UTC
        for name in ("rss.xml", "rss.xml.gz"):
            if (public / name).exists():
                os.utime(public / name, (mtime, mtime))
        headers = {"If-None-Match": get(server.port, "/rss.xml")[1]["ETag"]} if conditional else {}
        knobs.last_modified.clear()
        status, got, _ = get(server.port, "/rss.xml", headers=headers)
        assert status == (304 if conditional else 200)
        assert knobs.last_modified == [datetime.fromtimestamp(mtime, UTC)]
        assert parsedate_to_datetime(got["Last-Modified"]) == knobs.last_modified[0]

    @pytest.mark.parametrize("conditional", [False, True])
    def test_expires_is_date_plus_max_age(self, server, knobs, conditional):
        """Expires = Date + max-age to the second, on 200s and on 304s alike."""
        knobs.max_age = 7 * 86400
        headers = {}
        if conditional:
            headers["If-None-Match"] = get(server.port, "/atom.xml")[1]["ETag"]
        status, got, _ = get(server.port, "/atom.xml", headers=headers)
        assert status == (304 if conditional else 200)
        assert got["Cache-Control"] == (
            "public, max-age=604800, s-maxage=30, stale-while-revalidate=30, stale-if-error=86400")
        delta = parsedate_to_datetime(got["Expires"]) - parsedate_to_datetime(got["Date"])
        assert delta.total_seconds() == 604800

    def test_not_found_is_not_cached(self, server, knobs):
        """A 404 (e.g. before the first publish) must not be cached for the calendar's long max-age."""
        knobs.max_age = 86400
        status, headers, _ = get(server.port, "/items/missing.html")
        assert status == 404 and "max-age" not in headers.get("Cache-Control", "")
        assert "Expires" not in headers


class TestRefusal:
    @pytest.mark.parametrize("path", [
        "/missing.html", "/items/missing.html", "/notes.txt", "/rss.xml.gz", "/feed.json.gz",
        "/.rss.xml.tmp", "/items", "/sections/", "/rss.xml/",
    ])
    def test_unpublished_names_are_404(self, server, path):
        """Missing files, unknown extensions, direct .gz, hidden temp files and bare folders are not served."""
        assert get(server.port, path)[0] == 404

    @pytest.mark.parametrize("path", [
        "/../secret.html", "/items/../../secret.html", "/%2e%2e/secret.html", "/%2E%2E/secret.html",
        "/items/%2e%2e%2f%2e%2e%2fsecret.html", "/..%2fsecret.html", "/.%2e/secret.html",
        "/items/..%5c..%5csecret.html", "/items\\..\\..\\secret.html", "//etc/passwd",
        "/%2fetc%2fpasswd", "/%2Fetc/passwd", "/index.html%00.css", "/rss.xml%00", "/%ff.html",
        "/./index.html", "/items//a.html", "/%252e%252e/secret.html", "/.env.html",
        "/items/../index.html", "/items/%2e%2e/index.html",  # in-bounds, but ".." is refused outright
    ])
    def test_traversal_forms_are_refused(self, server, public, path):
        """Every escape attempt gets a 4xx and never the bytes of a file outside public/."""
        secret_path = str(public.parent / "secret.html").lstrip("/")
        for target in (path, path.replace("etc/passwd", secret_path).replace("etc%2fpasswd", secret_path)):
            status, _, body = get(server.port, target)
            assert status in (400, 403, 404), target
            assert SECRET.encode() not in body and b"root:" not in body

    def test_raw_nul_and_absolute_targets(self, server, public):
        """Targets http.client would refuse to send: raw NUL and an absolute file path."""
        for target in (b"/index.html\x00.css", str(public.parent / "secret.html").encode(), b"secret.html"):
            reply = raw(server.port, b"GET " + target + b" HTTP/1.0\r\n\r\n")
            assert reply.split(b" ", 2)[1] in (b"400", b"403", b"404"), target
            assert SECRET.encode() not in reply

    def test_symlinks_out_of_public_are_refused(self, server, public):
        """Links to a file or a folder outside public/ are 404; a link within public/ is fine."""
        (public / "leak.html").symlink_to(public.parent / "secret.html")
        (public / "sections" / "out").symlink_to(public.parent / "outside", target_is_directory=True)
        (public / "alias.html").symlink_to(public / "index.html")
        for path in ("/leak.html", "/sections/out/rss.xml"):
            status, _, body = get(server.port, path)
            assert (path, status, SECRET.encode() in body) == (path, 404, False)
        assert get(server.port, "/alias.html")[0] == 200

    def test_gz_symlink_out_is_not_followed(self, server, public):
        """A .gz sibling that is a symlink is ignored, so gzip clients cannot be led outside either."""
        (public.parent / "secret.gz").write_bytes(gzip.compress(SECRET.encode()))
        (public / "data.json.gz").symlink_to(public.parent / "secret.gz")
        status, headers, body = get(server.port, "/data.json", headers={"Accept-Encoding": "gzip"})
        assert (status, headers.get("Content-Encoding"), body) == (200, None, b"{}")

    @pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
    @pytest.mark.parametrize("path", ["/rss.xml", "/status.json", "/nothing.html"])
    def test_other_methods_get_405_with_allow(self, server, method, path):
        """Only GET and HEAD exist; the 405 says so in Allow."""
        status, headers, _ = get(server.port, path, method=method)
        assert status == 405
        assert set(headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}


class TestEndpoints:
    def test_status_json(self, server, knobs):
        """status() is served as JSON (dates as ISO strings), never cached."""
        status, headers, body = get(server.port, "/status.json")
        assert (status, headers["Content-Type"], headers["Cache-Control"]) == (
            200, "application/json; charset=utf-8", "no-cache")
        assert json.loads(body) == {"issue_count": 1, "last_issue": "2023-09-28", "missing": []}

    def test_healthz(self, server):
        status, headers, body = get(server.port, "/healthz")
        assert (status, headers["Content-Type"].split(";")[0], body) == (200, "text/plain", b"ok")

    def test_failing_status_gives_500_and_server_goes_on(self, server, knobs):
        """A handler exception is a 500 for that request only."""
        knobs.fail_status = True
        assert get(server.port, "/status.json")[0] == 500
        assert get(server.port, "/rss.xml")[0] == 200
        knobs.fail_status = False
        assert get(server.port, "/status.json")[0] == 200


class TestRobustness:
    @pytest.mark.parametrize("line", [
        b"GARBAGE\r\n\r\n", b"GET /a b c HTTP/1.1\r\n\r\n", b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 20, b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n",
    ])
    def test_malformed_requests_get_400(self, server, line):
        """Garbage, TLS on the plain port and absurd lines get a 4xx, and the next client is served."""
        reply = raw(server.port, line)
        assert reply.startswith(b"HTTP/1.") and reply.split(b" ", 2)[1] in (b"400", b"414", b"431")
        assert get(server.port, "/rss.xml")[0] == 200

    def test_client_errors_log_at_debug_server_errors_at_error(self, server, knobs, caplog):
        """A scanner's junk is not an ERROR traceback in the service log; a failing handler still is."""
        caplog.set_level(logging.DEBUG, logger="feedsvc.serve")
        raw(server.port, b"GET /a b c HTTP/1.1\r\n\r\n")
        junk = [r for r in caplog.records if r.name.startswith("feedsvc.serve")]
        assert junk and {r.levelno for r in junk} == {logging.DEBUG}
        caplog.clear()
        knobs.fail_status = True
        assert get(server.port, "/status.json")[0] == 500
        assert logging.ERROR in {r.levelno for r in caplog.records if r.name.startswith("feedsvc.serve")}

    def test_idle_and_half_open_connections_do_not_block_others(self, server):
        """50 clients that connect and stall (silent, or half a request line) cannot starve a real reader."""
        stalled = []
        try:
            for n in range(50):
                sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
                if n % 2:
                    sock.sendall(b"GET /rss.x")
                stalled.append(sock)
            began = time.monotonic()
            status, _, body = get(server.port, "/rss.xml")
            assert (status, body.decode()) == (200, RSS)
            assert time.monotonic() - began < 1.0
        finally:
            for sock in stalled:
                sock.close()

    def test_keepalive_serves_many_requests_on_one_connection(self, server):
        """A poller reusing its connection gets 304 after 304 without reconnecting."""
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        try:
            conn.request("GET", "/rss.xml")
            resp = conn.getresponse()
            resp.read()
            etag = resp.headers["ETag"]
            statuses = set()
            for _ in range(50):
                conn.request("GET", "/rss.xml", headers={"If-None-Match": etag})
                resp = conn.getresponse()
                resp.read()
                statuses.add(resp.status)
            assert statuses == {304}
        finally:
            conn.close()


class TestLifecycle:
    def test_port_in_use_raises_in_caller(self, server, public, knobs):
        """start() reports the bind error in the calling thread."""
        with pytest.raises(OSError):
            start(public, knobs, port=server.port)

    def test_stop_frees_the_port(self, public, knobs):
        """After stop() nothing listens any more and the port can be bound again."""
        server = start(public, knobs)
        port = server.port
        assert port > 0 and get(port, "/healthz")[0] == 200
        began = time.monotonic()
        server.stop()
        assert time.monotonic() - began < 2.0
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2)
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT leftovers are fine
            probe.bind(("127.0.0.1", port))
        server.stop()  # a second stop is harmless

    def test_stop_with_stalled_clients_is_prompt(self, public, knobs):
        """Idle keep-alive and half-sent requests do not hold stop() up."""
        server = start(public, knobs)
        socks = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(5)]
        socks[0].sendall(b"GET /rss")
        # A request on a later connection is answered only after the server took in the five (accepted in order):
        # stop() is about connections it holds, not ones still in the listen queue as it closes.
        assert get(server.port, "/healthz")[0] == 200
        try:
            began = time.monotonic()
            server.stop(timeout=5.0)
            assert time.monotonic() - began < 2.0
        finally:
            for sock in socks:
                sock.close()

    @pytest.mark.slow
    def test_stop_finishes_an_in_flight_response(self, public, knobs):
        """A response already being sent completes: stop() is graceful."""
        size = 16 * 1024 * 1024  # larger than the socket buffers, so it is still being sent at stop()
        (public / "big.html").write_bytes(b"x" * size)
        server = start(public, knobs)
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            sock.sendall(b"GET /big.html HTTP/1.0\r\n\r\n")
            received = sock.recv(65536)  # the response has started; the rest waits in the server
            stopper = threading.Thread(target=server.stop, kwargs={"timeout": 10.0})
            stopper.start()
            while chunk := sock.recv(1 << 20):
                received += chunk
            stopper.join(15)
        head, _, body = received.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.0 200") and len(body) == size
        assert not stopper.is_alive()
