"""Photos from the inbox: DATE-N.jpg|jpeg|png|webp attached to the issue's N-th photo item, in every format."""

from __future__ import annotations

import json
import urllib.request
import zlib
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from conftest import ManualClock, fetch, issue_text, wait_for
from lxml import etree, html

from feedsvc.config import Settings
from feedsvc.media import Image, parse_name, photo_numbers
from feedsvc.model import Entry, Item, ItemKind
from feedsvc.wiring import Daemon

pytestmark = pytest.mark.slow  # a daemon per test

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2023, 9, 25)
ATOM = {"a": "http://www.w3.org/2005/Atom"}
PHOTOS = (("城市夜景 灯火璀璨", "9月24日晚,市民在滨江步道观赏夜景。", "张华 摄"),
          ("秋收时节 稻谷飘香", "农民在田间收割水稻。", "李强 摄"))


def png(width: int = 2, height: int = 2, seed: int = 0) -> bytes:
    """A valid PNG built by hand (no imaging library in the tests either)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    rows = b"".join(b"\x00" + bytes([seed % 256, 90, 160]) * width for _ in range(height))
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 200 + b"\xff\xd9"


def photo_issue(day: date) -> str:
    """An article, two captioned photos, another article: photo items 1 and 2 are ordinals 2 and 3."""
    text = issue_text(day, "城市更新 老街焕新")
    for title, caption, credit in PHOTOS:
        text += f"\n{title}\n\n{caption}\n\n{credit}\n"
    return text


@pytest.fixture(name="daemon")
def _daemon(tmp_path: Path) -> Iterator[Daemon]:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    daemon = Daemon(Settings(inbox=inbox, data=tmp_path / "data", port=0),
                    ManualClock(datetime(2023, 9, 28, 9, tzinfo=TZ)))
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()


def enclosures(daemon: Daemon) -> dict[str, list[tuple[str, str, str]]]:
    """(url, length, type) of every enclosure, per format."""
    rss = etree.fromstring(fetch(daemon.url + "rss.xml")[1])
    atom = etree.fromstring(fetch(daemon.url + "atom.xml")[1])
    doc = json.loads(fetch(daemon.url + "feed.json")[1])
    return {
        "rss": [(e.get("url"), e.get("length"), e.get("type")) for e in rss.iter("enclosure")],
        "atom": [(e.get("href"), e.get("length"), e.get("type"))
                 for e in atom.iterfind("a:entry/a:link[@rel='enclosure']", ATOM)],
        "json": [(a["url"], str(a["size_in_bytes"]), a["mime_type"]) for i in doc["items"]
                 for a in i.get("attachments", [])],
    }


def test_an_issue_and_its_two_images_reach_every_format_and_the_page(daemon: Daemon) -> None:
    inbox, public = daemon.settings.inbox, daemon.settings.public
    first, second = png(seed=1), JPEG
    (inbox / f"{DAY}-1.png").write_bytes(first)  # before its issue: kept, not rejected
    wait_for(lambda: (daemon.settings.data / "media" / f"{DAY}-1.png").exists(), what="the first image kept")
    assert not (public / "media" / f"{DAY}-1.png").exists(), "not public before its item is"
    (inbox / f"{DAY}.txt").write_text(photo_issue(DAY))
    wait_for(lambda: (public / "issues" / f"{DAY}.html").exists(), what="the issue published")
    (inbox / f"{DAY}-2.jpg").write_bytes(second)  # after its issue: attached all the same
    url1, url2 = daemon.url + f"media/{DAY}-1.png", daemon.url + f"media/{DAY}-2.jpg"
    expected = [(url1, str(len(first)), "image/png"), (url2, str(len(second)), "image/jpeg")]
    # All three formats in one reading: one that fetched rss.xml before the publication and feed.json after it
    # holds the old RSS and Atom beside the new JSON Feed.
    want = {"rss": expected, "atom": expected, "json": expected}
    wait_for(lambda: enclosures(daemon) == want, what="both enclosures in every format")

    parsed = feedparser.parse(fetch(daemon.url + "atom.xml")[1])
    photos = [e for e in parsed.entries if e.title in {p[0] for p in PHOTOS}]
    assert [[t.term for t in e.tags] for e in photos] == [["图片"], ["图片"]]
    assert all("图片" not in [t.term for t in e.get("tags", [])] for e in parsed.entries if e not in photos)
    doc = json.loads(fetch(daemon.url + "feed.json")[1])
    assert [i.get("image") for i in doc["items"] if i["title"] in {p[0] for p in PHOTOS}] == [url1, url2]

    for url, data, kind in ((url1, first, "image/png"), (url2, second, "image/jpeg")):
        with urllib.request.urlopen(url, timeout=5) as response:
            assert (response.status, response.headers["Content-Type"], response.read()) == (200, kind, data)
    page = html.fromstring(fetch(photos[0].link)[1])
    [img] = page.iter("img")
    assert (img.get("src"), img.get("alt")) == (url1, PHOTOS[0][1])
    assert sorted(p.name for p in inbox.iterdir()) == [f"{DAY}-1.png", f"{DAY}-2.jpg", f"{DAY}.txt"]
    assert daemon.service.status()["rejected"] == []


def test_images_that_cannot_be_used_are_warned_about_never_rejected(daemon: Daemon,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    inbox = daemon.settings.inbox
    (inbox / f"{DAY}.txt").write_text(photo_issue(DAY))
    wait_for(lambda: (daemon.settings.public / "issues" / f"{DAY}.html").exists(), what="the issue published")
    with caplog.at_level("WARNING"):
        (inbox / f"{DAY}-1.jpg").write_bytes(png())  # PNG bytes under a .jpg name
        (inbox / "holiday.webp").write_bytes(b"RIFF\x00\x00\x00\x00WEBPVP8 ")  # not DATE-N
        wait_for(lambda: len([r for r in caplog.records if "not attached" in r.getMessage()]) == 2,
                 what="two warnings")
    messages = [r.getMessage() for r in caplog.records if "not attached" in r.getMessage()]
    assert any(f"{DAY}-1.jpg" in m and "image/jpeg" in m for m in messages)
    assert any("holiday.webp" in m and "DATE-N" in m for m in messages)
    assert daemon.service.status()["rejected"] == []
    assert not (daemon.settings.public / "media").exists()


def test_the_size_limit_is_configurable(tmp_path: Path) -> None:
    from feedsvc.media import MediaShelf

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / f"{DAY}-1.png").write_bytes(png(64, 64))
    shelf = MediaShelf(tmp_path / "media", tmp_path / "public", max_bytes=100)
    with pytest.raises(Exception, match="over the 100-byte limit"):
        shelf.take(inbox / f"{DAY}-1.png", inbox)
    assert MediaShelf(tmp_path / "media", tmp_path / "public", 10_000_000).take(inbox / f"{DAY}-1.png", inbox)


def test_photo_items_are_numbered_in_page_order() -> None:
    def entry(ordinal: int, kind: ItemKind) -> Entry:
        when = datetime(2023, 9, 25, 6, tzinfo=TZ)
        return Entry(Item(f"2023-09-25-{ordinal:02d}", ordinal, kind, "t"), DAY, when, when)

    entries = [entry(4, ItemKind.PHOTO), entry(1, ItemKind.ARTICLE), entry(2, ItemKind.PHOTO)]
    assert photo_numbers(entries) == {"2023-09-25-02": 1, "2023-09-25-04": 2}


@pytest.mark.parametrize(("name", "parsed"), [
    ("2023-09-25-1.jpg", (DAY, 1, "jpg")), ("2023-09-25-12.JPEG", (DAY, 12, "jpeg")),
    ("2023-09-25-2.webp", (DAY, 2, "webp")), ("2023-09-25-0.png", None), ("2023-02-30-1.png", None),
    ("2023-09-25.png", None), ("photo.jpg", None), ("2023-09-25-1.gif", None),
])
def test_image_names(name: str, parsed: tuple[date, int, str] | None) -> None:
    assert parse_name(name) == parsed
    if parsed:
        assert Image(*parsed, 1).name == name.lower()
