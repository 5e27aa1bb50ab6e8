"""What the site says about itself and serves beside the feeds: the feeds' identity (RSS <image> and <copyright>,
Atom <icon>, <logo> and <rights>, JSON Feed icon and favicon, /favicon.ico) from the settings or generated, the
HTML pages' gzip siblings, and the 404 page. Read through a running daemon, with feedparser as the reader."""

from __future__ import annotations

import gzip
import http.client
import json
import struct
import zlib
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from conftest import ManualClock, fetch, issue_text, publication_done, wait_for
from lxml import etree, html

from feedsvc.config import Settings
from feedsvc.errors import ConfigError
from feedsvc.identity import identity
from feedsvc.wiring import Daemon

pytestmark = pytest.mark.slow  # a daemon per test

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = date(2023, 9, 25)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def start(tmp_path: Path, **settings: object) -> Daemon:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / f"{MONDAY}.txt").write_text(issue_text(MONDAY, "城市更新 老街焕新", "秋粮收获 农民增收"))
    daemon = Daemon(Settings(inbox=inbox, data=tmp_path / "data", port=0, **settings),  # type: ignore[arg-type]
                    ManualClock(datetime(2023, 9, 28, 9, tzinfo=TZ)))
    daemon.start()
    wait_for(lambda: (daemon.settings.public / "issues" / f"{MONDAY}.html").exists()
             and publication_done(daemon.settings.data), what="the issue published")
    return daemon


@pytest.fixture(name="daemon")
def _daemon(tmp_path: Path) -> Iterator[Daemon]:
    daemon = start(tmp_path)
    yield daemon
    daemon.stop()


def get(daemon: Daemon, path: str, method: str = "GET", **headers: str) -> tuple[int, http.client.HTTPMessage, bytes]:
    port = int(daemon.url.rstrip("/").rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, headers=headers)
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG, after checking its signature, every chunk's CRC and that its image inflates to
    the rows its header promises (RFC 2083): what a reader needs to draw it."""
    assert data.startswith(PNG_SIGNATURE)
    at, chunks = 8, {}
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        assert struct.unpack(">I", data[at + 8 + length:at + 12 + length])[0] == zlib.crc32(kind + body)
        chunks[kind] = chunks.get(kind, b"") + body
        at += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    assert depth == 8 and len(zlib.decompress(chunks[b"IDAT"])) == height * (1 + width * channels)
    assert b"IEND" in chunks
    return width, height


def test_every_format_names_icon_logo_and_rights_that_are_served(daemon: Daemon) -> None:
    url = daemon.url
    rss, atom = (feedparser.parse(fetch(url + name)[1]) for name in ("rss.xml", "atom.xml"))
    document = json.loads(fetch(url + "feed.json")[1])
    assert not rss.bozo and not atom.bozo
    channel = etree.fromstring(fetch(url + "rss.xml")[1]).find("channel")
    image = channel.find("image")
    # The validator's rule: the image's title and link are the channel's.
    assert image.findtext("title") == channel.findtext("title") and image.findtext("link") == channel.findtext("link")
    assert rss.feed.image.href == atom.feed.logo == document["icon"] == url + "logo.png"
    assert atom.feed.icon == document["favicon"] == url + "icon.png"
    assert rss.feed.rights == atom.feed.rights == "© 示例日报"
    for image_url, size in ((url + "logo.png", 256), (url + "icon.png", 64)):
        status, headers, body = get(daemon, image_url.removeprefix(url[:-1]))
        assert status == 200 and headers["Content-Type"] == "image/png"
        assert png_size(body) == (size, size)
    # An author's feeds say the same (a section's are made by the same code).
    feed = next((daemon.settings.public / "authors").iterdir()) / "atom.xml"
    parsed = feedparser.parse(feed.read_bytes())
    assert (parsed.feed.icon, parsed.feed.logo, parsed.feed.rights) == (atom.feed.icon, atom.feed.logo,
                                                                            atom.feed.rights)


def test_favicon_ico_holds_the_icon_and_pages_link_it(daemon: Daemon) -> None:
    status, headers, body = get(daemon, "/favicon.ico")
    assert status == 200 and headers["Content-Type"] == "image/vnd.microsoft.icon"
    reserved, kind, count = struct.unpack("<HHH", body[:6])
    assert (reserved, kind, count) == (0, 1, 1)
    width, height, _, _, _, _, length, offset = struct.unpack("<BBBBHHII", body[6:22])
    assert png_size(body[offset:offset + length]) == (width, height) == (64, 64)
    assert body[offset:offset + length] == fetch(daemon.url + "icon.png")[1]
    page = html.fromstring(fetch(daemon.url)[1])
    icons = dict(zip(page.xpath("//link[@rel='icon']/@type"), page.xpath("//link[@rel='icon']/@href"), strict=True))
    assert icons == {"image/svg+xml": daemon.url + "icon.svg", "image/png": daemon.url + "icon.png"}
    status, headers, svg = get(daemon, "/icon.svg")
    assert status == 200 and headers["Content-Type"] == "image/svg+xml"
    assert etree.fromstring(svg).findtext("{http://www.w3.org/2000/svg}text") == "示"  # the paper's first character


def test_configured_icon_logo_and_copyright(tmp_path: Path) -> None:
    icon = _solid_png(32)
    (tmp_path / "mark.png").write_bytes(icon)
    (tmp_path / "masthead.gif").write_bytes(b"GIF89a" + bytes(20))
    daemon = start(tmp_path, icon=str(tmp_path / "mark.png"), logo=str(tmp_path / "masthead.gif"),
                   copyright="© 2023 示例日报社 版权所有")
    try:
        atom = feedparser.parse(fetch(daemon.url + "atom.xml")[1])
        assert atom.feed.icon == daemon.url + "icon.png" and atom.feed.logo == daemon.url + "logo.gif"
        assert atom.feed.rights == "© 2023 示例日报社 版权所有"
        assert fetch(daemon.url + "icon.png")[1] == icon and fetch(daemon.url + "logo.gif")[1].startswith(b"GIF89a")
        favicon = get(daemon, "/favicon.ico")[2]
        assert favicon.endswith(icon)
        page = html.fromstring(fetch(daemon.url)[1])
        assert page.xpath("//link[@rel='icon']/@href") == [daemon.url + "icon.png"]  # no generated monogram
    finally:
        daemon.stop()


def _solid_png(size: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = (b"\x00" + b"\x10\x20\x30" * size) * size
    return PNG_SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_icons_by_url_are_named_as_given(tmp_path: Path) -> None:
    named = identity("示例日报", "http://h/", icon="https://cdn.example/i.png", logo="https://cdn.example/l.png")
    assert (named.icon, named.logo) == ("https://cdn.example/i.png", "https://cdn.example/l.png")
    assert [name for name, _ in named.files] == ["favicon.ico"]  # still served, generated


@pytest.mark.parametrize(("content", "reason"), [(None, "cannot read"), (b"<svg/>", "not a PNG, JPEG or GIF")])
def test_an_unusable_icon_file_is_a_one_line_error_naming_it(tmp_path: Path, content: bytes | None,
                                                             reason: str) -> None:
    path = tmp_path / "icon.png"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        identity("示例日报", "http://h/", icon=str(path))
    assert caught.value.key == "paper.icon" and str(path) in caught.value.reason and reason in caught.value.reason


def test_pages_have_gzip_siblings_served_like_the_feeds(daemon: Daemon) -> None:
    public = daemon.settings.public
    item = next((public / "items").glob("*.html"))
    for page in (public / "index.html", public / "issues" / f"{MONDAY}.html", item, public / "404.html"):
        assert gzip.decompress(page.with_name(page.name + ".gz").read_bytes()) == page.read_bytes(), page
    path = "/" + item.relative_to(public).as_posix()
    status, headers, body = get(daemon, path, **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip" and headers["Content-Type"].startswith("text/html")
    assert gzip.decompress(body) == item.read_bytes()
    status, headers, body = get(daemon, path, **{"Accept-Encoding": "gzip;q=0, identity"})
    assert status == 200 and "Content-Encoding" not in headers and body == item.read_bytes()
    etag = get(daemon, path, **{"Accept-Encoding": "gzip"})[1]["ETag"]
    assert get(daemon, path, **{"Accept-Encoding": "gzip", "If-None-Match": etag})[0] == 304


def test_a_withdrawn_items_page_and_its_gzip_sibling_go(daemon: Daemon) -> None:
    public = daemon.settings.public
    page = public / "items" / f"{MONDAY}-02.html"
    assert page.exists() and page.with_name(page.name + ".gz").exists()
    (daemon.settings.inbox / f"{MONDAY}-fixed.txt").write_text(issue_text(MONDAY, "城市更新 老街焕新"))
    wait_for(lambda: not page.exists() and publication_done(daemon.settings.data), what="the correction published")
    assert not page.with_name(page.name + ".gz").exists()
    assert get(daemon, f"/items/{MONDAY}-02.html", **{"Accept-Encoding": "gzip"})[0] == 404


@pytest.mark.parametrize("path", ["/items/2023-09-25-99.html", "/nothing-here.html", "/%2e%2e/etc.html",
                                  "/sections/nope/rss.xml"])
def test_not_found_is_an_html_page_with_status_404(daemon: Daemon, path: str) -> None:
    status, headers, body = get(daemon, path)
    assert status == 404 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert body == (daemon.settings.public / "404.html").read_bytes()
    page = html.fromstring(body)
    assert "Not found" in page.findtext(".//h1") and daemon.url in page.xpath("//a/@href")
    assert "Link" not in headers and "max-age" not in headers.get("Cache-Control", "")
    status, headers, body = get(daemon, path, "HEAD")
    assert status == 404 and body == b""
