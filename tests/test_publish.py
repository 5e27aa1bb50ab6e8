"""The publisher against a real temp folder: what it writes, what it leaves alone, and how it fails."""

from __future__ import annotations

import errno
import gzip
import os
import re
import stat
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest

from feedsvc.atomic import write_atomic
from feedsvc.feeds import clear_caches
from feedsvc.model import Entry, Item, ItemKind
from feedsvc.publish import IndexView, Publisher, Site
from feedsvc.slugs import legacy

TZ = ZoneInfo("Asia/Shanghai")
SITE = Site("示例日报", "每期文章", "zh-CN", "http://127.0.0.1:8080/", TZ)
FEED_FILES = ["atom.xml", "atom.xml.gz", "feed.json", "feed.json.gz", "rss.xml", "rss.xml.gz"]


def entry(ordinal: int, title: str, section: str | None = None, day: date = date(2023, 9, 27)) -> Entry:
    item = Item(f"{day.isoformat()}-{ordinal:02d}", ordinal, ItemKind.ARTICLE, title, section,
                paragraphs=(f"{title}的正文。",), authors=("章斐然",))
    published = datetime(day.year, day.month, day.day, 6, tzinfo=TZ)
    return Entry(item, day, published, published)


@pytest.fixture(name="public")
def _public(tmp_path: Path) -> Path:
    """An empty public/ folder inside the test's temp dir."""
    return tmp_path / "public"


@pytest.fixture(name="publisher")
def _publisher(public: Path) -> Publisher:
    """A publisher for the 127.0.0.1:8080 site writing into `public`."""
    return Publisher(public, SITE)


@pytest.fixture(name="entries")
def _entries() -> list[Entry]:
    """Two items of the 2023-09-27 issue, newest (highest ordinal) first."""
    return [entry(2, "商务部: 零售总额同比增长4.6%", "经济"), entry(1, "打造数字时代城市核心竞争力", "权威发布")]


def names(paths: list[Path], root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in paths)


def temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob(".*") if p.is_file()]


class TestFeeds:
    def test_writes_three_feeds_with_gzip_siblings(self, publisher, public, entries):
        written = publisher.publish_feeds(entries)
        assert names(written, public) == FEED_FILES
        for name in ("rss.xml", "atom.xml", "feed.json"):
            assert gzip.decompress((public / f"{name}.gz").read_bytes()) == (public / name).read_bytes()
        parsed = feedparser.parse((public / "rss.xml").read_bytes())
        assert not parsed.bozo
        assert [e.title for e in parsed.entries] == ["商务部: 零售总额同比增长4.6%", "打造数字时代城市核心竞争力"]

    def test_rebuild_of_unchanged_data_writes_nothing_and_keeps_mtimes(self, publisher, public, entries):
        """An untouched file keeps its mtime, hence the server's ETag and Last-Modified: readers get 304."""
        publisher.publish_feeds(entries)
        before = {p: p.stat().st_mtime_ns for p in public.iterdir()}
        snapshot = {p: p.read_bytes() for p in public.iterdir()}
        clear_caches()  # a real second build, as after a restart
        assert Publisher(public, SITE).publish_feeds(list(entries)) == []
        assert {p: p.stat().st_mtime_ns for p in public.iterdir()} == before
        assert {p: p.read_bytes() for p in public.iterdir()} == snapshot

    def test_a_new_item_rewrites_only_the_feeds(self, publisher, public, entries):
        publisher.publish_feeds(entries)
        publisher.publish_item(entries[0])
        page = public / "items" / "2023-09-27-02.html"
        mtime = page.stat().st_mtime_ns
        written = publisher.publish_feeds([entry(3, "七部门: 电子产品升级换代潜力巨大"), *entries])
        assert names(written, public) == FEED_FILES
        assert publisher.publish_item(entries[0]) == []
        assert page.stat().st_mtime_ns == mtime

    def test_section_feed_lives_in_its_own_folder_with_its_own_title_id_and_self_link(self, publisher, public):
        economy = [entry(2, "零售总额增长", "经济")]
        slug = publisher.section_slug("经济")
        written = publisher.publish_feeds(economy, section="经济")
        assert names(written, public) == [f"sections/{slug}/{name}" for name in FEED_FILES]
        atom = feedparser.parse((public / "sections" / slug / "atom.xml").read_bytes())
        assert not atom.bozo
        assert atom.feed.title == "示例日报 · 经济"
        assert slug == "jing-ji"
        assert atom.feed.id == f"urn:feedsvc:feed:section:{legacy('经济')}"  # the id predates readable slugs
        links = {x.rel: x.href for x in atom.feed.links}
        assert links["self"] == f"http://127.0.0.1:8080/sections/{slug}/atom.xml"
        assert links["alternate"] == "http://127.0.0.1:8080/"
        assert not (public / "rss.xml").exists()  # the main feed is a separate call

    def test_empty_store_gives_valid_empty_feeds(self, publisher, public):
        """Readers can subscribe before the first issue arrives."""
        publisher.publish_feeds([])
        for name in ("rss.xml", "atom.xml"):
            parsed = feedparser.parse((public / name).read_bytes())
            assert not parsed.bozo
            assert parsed.entries == []
        assert publisher.publish_feeds([]) == []

    def test_feed_item_links_resolve_to_written_pages(self, publisher, public, entries):
        publisher.publish_feeds(entries)
        for e in entries:
            publisher.publish_item(e)
        for link in (e.link for e in feedparser.parse((public / "atom.xml").read_bytes()).entries):
            assert link.startswith(SITE.url)
            assert (public / link.removeprefix(SITE.url)).is_file()

    def test_section_slugs_are_readable_url_safe_and_distinct(self, publisher, public):
        other = Publisher(public, SITE)
        names = ("经济", "权威发布", "评论 / 观点", "../..")
        slugs = [publisher.section_slug(s) for s in names]
        assert slugs == [other.section_slug(s) for s in names]
        assert slugs[:3] == ["jing-ji", "quan-wei-fa-bu", "ping-lun-guan-dian"]
        assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]*", s) for s in slugs)
        assert len(set(slugs)) == 4


class TestPages:
    def test_each_page_is_written_once_then_left_alone(self, publisher, public, entries):
        view = IndexView([(date(2023, 9, 27), 2)], ["权威发布", "经济"], date(2023, 10, 13), None, None)
        first = publisher.publish_index(view) + publisher.publish_issue(date(2023, 9, 27), entries)
        first += [p for e in entries for p in publisher.publish_item(e)]
        pages = ("404.html", "index.html", "issues/2023-09-27.html", "items/2023-09-27-01.html",
                 "items/2023-09-27-02.html")
        assert names(first, public) == sorted(["feeds.opml", "feeds.opml.gz", *pages, *(p + ".gz" for p in pages)])
        clear_caches()
        again = publisher.publish_index(view) + publisher.publish_issue(date(2023, 9, 27), list(entries))
        again += [p for e in entries for p in publisher.publish_item(e)]
        assert again == []

    def test_remove_item_deletes_its_page_once(self, publisher, public, entries):
        publisher.publish_item(entries[0])
        page = public / "items" / "2023-09-27-02.html"
        assert publisher.remove_item("2023-09-27-02") == [page.with_name(page.name + ".gz"), page]
        assert not page.exists() and not page.with_name(page.name + ".gz").exists()
        assert publisher.remove_item("2023-09-27-02") == []

    @pytest.mark.parametrize("bad", ["../index", "a/b", ".hidden", ""])
    def test_item_ids_that_could_escape_the_folder_are_refused(self, publisher, bad):
        with pytest.raises(ValueError, match="not file- and URL-safe"):
            publisher.remove_item(bad)


class TestAtomicity:
    def test_files_are_world_readable_and_no_temp_file_is_left(self, publisher, public, entries):
        publisher.publish_feeds(entries)
        publisher.publish_item(entries[0])
        for path in public.rglob("*"):
            if path.is_file():
                assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
        assert temp_files(public) == []

    @pytest.mark.parametrize("failing", ["replace", "fsync"])
    def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(self, public, monkeypatch, failing):
        target = public / "rss.xml"
        assert write_atomic(target, b"old")

        def disk_full(*args: object) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(os, failing, disk_full)
        with pytest.raises(OSError, match="No space left"):
            write_atomic(target, b"new")
        monkeypatch.undo()
        assert target.read_bytes() == b"old"
        assert temp_files(public) == []

    def test_gzip_sibling_is_never_older_than_the_plain_feed(self, publisher, public, entries, monkeypatch):
        """If the plain write fails after the .gz one, gzip clients already see the new feed and the next
        publish repairs the plain file."""
        publisher.publish_feeds(entries)
        old_rss = (public / "rss.xml").read_bytes()
        real_replace = os.replace
        calls = []

        def fail_second(src: object, dst: object) -> None:
            calls.append(Path(str(dst)).name)
            if len(calls) == 2:
                raise OSError(errno.ENOSPC, "No space left on device")
            real_replace(src, dst)

        newer = [entry(3, "新的一条"), *entries]
        monkeypatch.setattr(os, "replace", fail_second)
        with pytest.raises(OSError):
            publisher.publish_feeds(newer)
        monkeypatch.undo()
        assert calls == ["rss.xml.gz", "rss.xml"]
        assert (public / "rss.xml").read_bytes() == old_rss
        assert b"\xe6\x96\xb0\xe7\x9a\x84" in gzip.decompress((public / "rss.xml.gz").read_bytes())  # "新的"
        assert temp_files(public) == []
        repaired = publisher.publish_feeds(newer)
        assert names(repaired, public) == ["atom.xml", "atom.xml.gz", "feed.json", "feed.json.gz", "rss.xml"]

    def test_a_stale_gzip_sibling_is_repaired_even_when_the_plain_file_is_current(self, publisher, public, entries):
        publisher.publish_feeds(entries)
        (public / "rss.xml.gz").write_bytes(gzip.compress(b"stale"))
        assert names(publisher.publish_feeds(entries), public) == ["rss.xml.gz"]

    def test_temp_files_of_a_killed_process_are_swept_at_start(self, public):
        """Old leftovers go; a fresh temp file may be another process's write in flight and stays."""
        (public / "items").mkdir(parents=True)
        leftover = public / "items" / ".a.html.x1y2.tmp"
        leftover.write_bytes(b"half")
        an_hour_ago = time.time() - 3600
        os.utime(leftover, (an_hour_ago, an_hour_ago))
        in_flight = public / ".rss.xml.k3j4.tmp"
        in_flight.write_bytes(b"writing")
        keep = public / "items" / "a.html"
        keep.write_bytes(b"page")
        os.utime(keep, (an_hour_ago, an_hour_ago))
        Publisher(public, SITE)
        assert not leftover.exists()
        assert in_flight.exists()
        assert keep.read_bytes() == b"page"
