"""Hostile HTTP against the running daemon (tests/test_serve.py covers the server alone with a static folder).

Here the secrets are the daemon's real neighbours: its SQLite store and files next to public/ in the data
folder, and the issue files in the inbox. The server must never hand them out, however the path is spelled.
"""

from __future__ import annotations

import http.client
import os
import socket
import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from conftest import FeedsvcRun, ManualClock, raw, wait_published

from feedsvc import config
from feedsvc.config import Settings
from feedsvc.wiring import Daemon

pytestmark = pytest.mark.slow  # a daemon per test, hostile clients that stall

TZ = ZoneInfo("Asia/Shanghai")
SECRET = "SECRET-NEXT-TO-PUBLIC"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(name="daemon")
def _daemon(tmp_path: Path, seed_bytes: bytes) -> Iterator[Daemon]:
    """The daemon on 127.0.0.1:0 with the seed published, and secrets beside public/ and in the inbox."""
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    data.mkdir()
    (data / "leak.html").write_text(SECRET)
    (data / "rss.xml").write_text(SECRET)
    (inbox / "seed.txt").write_bytes(seed_bytes)
    daemon = Daemon(Settings(inbox=inbox, data=data, port=0), ManualClock(datetime(2023, 9, 28, 9, tzinfo=TZ)))
    daemon.start()
    try:
        wait_published(daemon.url, date(2023, 9, 27), 5)
        yield daemon
    finally:
        daemon.stop()


def request(port: int, target: str, method: str = "GET", body: bytes | None = None) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, target, body=body)
        response = conn.getresponse()
        return response.status, dict(response.headers), response.read()
    finally:
        conn.close()


def secrets(daemon: Daemon) -> list[bytes]:
    """Bytes that only the files outside public/ hold."""
    return [SECRET.encode(), (daemon.settings.inbox / "seed.txt").read_bytes()[:200], b"SQLite format 3", b"root:"]


def port(daemon: Daemon) -> int:
    return daemon.server.port


@pytest.mark.parametrize("target", [
    "/../leak.html", "/../rss.xml", "/items/../../leak.html", "/%2e%2e/leak.html", "/%2E%2E%2Fleak.html",
    "/.%2e/rss.xml", "/items/..%2f..%2fleak.html", "/..%5crss.xml", "/items\\..\\..\\leak.html",
    "/%252e%252e/leak.html", "/../feedsvc.sqlite", "/%2e%2e/feedsvc.sqlite", "/../../inbox/seed.txt",
    "/%2e%2e/%2e%2e/inbox/seed.txt", "//etc/passwd", "/%2fetc%2fpasswd", "/rss.xml%00", "/rss.xml%00.html",
    "/..", "/%2e%2e", "/.", "/.rss.xml.tmp", "/feedsvc.sqlite", "/rss.xml.gz/../../leak.html",
])
def test_traversal_never_reaches_the_data_folder_or_the_inbox(daemon: Daemon, target: str) -> None:
    status, _, body = request(port(daemon), target)
    assert status in (400, 403, 404), target
    assert not [s for s in secrets(daemon) if s in body]


def test_absolute_paths_and_raw_nul_bytes(daemon: Daemon) -> None:
    data = daemon.settings.data
    for target in (str(data / "leak.html"), str(data / "feedsvc.sqlite"), "/etc/passwd",
                   f"http://127.0.0.1:{port(daemon)}/../leak.html", "file:///etc/passwd", "leak.html",
                   "/rss.xml\x00", "/index.html\x00/../../leak.html"):
        reply = raw(port(daemon), b"GET " + target.encode() + b" HTTP/1.0\r\n\r\n")
        assert reply.split(b" ", 2)[1] in (b"400", b"403", b"404"), target
        assert not [s for s in secrets(daemon) if s in reply], target


def test_symlinks_inside_public_pointing_out_are_refused(daemon: Daemon) -> None:
    public, data, inbox = daemon.settings.public, daemon.settings.data, daemon.settings.inbox
    (public / "leak.html").symlink_to(data / "leak.html")
    (public / "items" / "2099-01-01-01.html").symlink_to(data / "leak.html")
    (public / "sections" / "out").symlink_to(data, target_is_directory=True)
    (public / "inbox").symlink_to(inbox, target_is_directory=True)
    for target in ("/leak.html", "/items/2099-01-01-01.html", "/sections/out/rss.xml", "/sections/out/leak.html",
                   "/inbox/seed.txt"):
        status, _, body = request(port(daemon), target)
        assert status == 404, target
        assert not [s for s in secrets(daemon) if s in body], target
    assert request(port(daemon), "/rss.xml")[0] == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND"])
def test_methods_other_than_get_and_head_get_405(daemon: Daemon, method: str) -> None:
    before = (daemon.settings.public / "rss.xml").read_bytes()
    for target in ("/rss.xml", "/status.json", "/healthz", "/", "/items/nothing.html"):
        status, headers, _ = request(port(daemon), target, method, body=b"<rss/>")
        assert status == 405, (method, target)
        assert set(headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}
    assert (daemon.settings.public / "rss.xml").read_bytes() == before
    assert request(port(daemon), "/rss.xml", "HEAD")[0] == 200


def test_fifty_idle_connections_while_a_reader_fetches_the_feed(daemon: Daemon) -> None:
    """50 silent or half-sent connections stay open; feedparser still gets the feed and its 304 at once."""
    stalled = []
    try:
        for n in range(50):
            sock = socket.create_connection(("127.0.0.1", port(daemon)), timeout=5)
            if n % 3 == 1:
                sock.sendall(b"GET /rss.xml HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # headers never finished
            elif n % 3 == 2:
                sock.sendall(b"POST /rss.xml HTTP/1.1\r\nContent-Length: 100000\r\n\r\nabc")  # body never sent
            stalled.append(sock)
        began = time.monotonic()
        first = feedparser.parse(daemon.url + "rss.xml")
        assert (first.status, first.bozo, len(first.entries)) == (200, False, 5)
        again = feedparser.parse(daemon.url + "rss.xml", etag=first.etag, modified=first.modified)
        assert again.status == 304
        assert request(port(daemon), "/status.json")[0] == 200
        assert time.monotonic() - began < 2.0
    finally:
        for sock in stalled:
            sock.close()


def _listening(port_number: int) -> set[str]:
    """Local addresses with a listening TCP socket on `port_number`, from the kernel's tables."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port_number:  # 0A: LISTEN
                # IPv4 addresses are little-endian hex; any IPv6 listener is reported as such (none is expected).
                found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]) if len(address) == 8 else f"ipv6 {address}")
    return found


def test_binds_to_loopback_by_default(daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default everywhere is 127.0.0.1: the dataclass, the loader without a file, the shipped config; and
    the kernel shows the daemon listening on 127.0.0.1 only."""
    for name in ("FEEDSVC_HOST", "FEEDSVC_PORT"):
        monkeypatch.delenv(name, raising=False)
    assert Settings().host == "127.0.0.1"
    assert config.load(None).host == "127.0.0.1"
    assert config.load(ROOT / "config" / "feedsvc.toml").host == "127.0.0.1"
    assert daemon.settings.host == "127.0.0.1"
    assert _listening(port(daemon)) == {"127.0.0.1"}


def test_binding_elsewhere_is_explicit(tmp_path: Path) -> None:
    """`--host` (here another loopback address) is what makes the service listen anywhere else."""
    with FeedsvcRun(tmp_path / "inbox", tmp_path / "var", tmp_path / "service.log", "--host", "127.0.0.2") as proc:
        assert proc.url.startswith("http://127.0.0.2:"), proc.url
        bound = proc.port
        assert _listening(bound) == {"127.0.0.2"}
        assert request_to("127.0.0.2", bound, "/healthz") == 200
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", bound), timeout=2).close()


def request_to(host: str, port_number: int, target: str) -> int:
    conn = http.client.HTTPConnection(host, port_number, timeout=5)
    try:
        conn.request("GET", target)
        return conn.getresponse().status
    finally:
        conn.close()
