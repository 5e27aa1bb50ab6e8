"""hypothesis against the parser, the publisher and the whole service.

tests/parse/test_parse.py already feeds arbitrary bytes, text and line mixes to the parser, and tests/test_feeds.py
arbitrary text to the feed renderer; here: issues in encodings we do not read and damaged issues; several items
with arbitrary text through the Publisher onto disk; and a stateful test that drops, corrects, re-drops, drops
garbage and restarts an in-process Service on real folders, checking the published feeds against a model.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import lxml.html
import pytest
from conftest import ManualClock, issue_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from lxml import etree

from feedsvc import urls
from feedsvc.config import Settings
from feedsvc.errors import ParseError
from feedsvc.model import Entry, Issue, Item, ItemKind
from feedsvc.parse import parse_issue
from feedsvc.publish import Publisher, Site
from feedsvc.service import Service
from feedsvc.text import text_of
from feedsvc.wiring import open_service

pytestmark = pytest.mark.slow  # hypothesis drives a whole service

TZ = ZoneInfo("Asia/Shanghai")
SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_90b6bc3011e581f6.txt"
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- (a) the parser: foreign encodings and damaged issues ------------------------------------------------------

CODECS = ["utf-16-le", "utf-16-be", "utf-32-le", "shift_jis", "euc_jp", "euc_kr", "big5", "cp1252", "koi8_r",
          "latin-1", "cp437", "utf-7", "hz", "iso2022_jp"]


def parsed_or_rejected(data: bytes, source: str) -> Issue | None:
    """The parser's contract: an Issue that holds together, or a ParseError with a reason, never anything else."""
    try:
        issue = parse_issue(data, source)
    except ParseError as exc:
        assert exc.source == source and exc.reason and "\n" not in exc.reason
        assert not exc.reason.startswith("internal"), exc.reason
        return None
    assert issue.items and all(item.title for item in issue.items)
    assert [item.ordinal for item in issue.items] == list(range(1, len(issue.items) + 1))
    assert len({item.id for item in issue.items}) == len(issue.items)
    return issue


@FUZZ
@given(codec=st.sampled_from(CODECS), extra=st.text(max_size=200),
       titles=st.lists(st.sampled_from(["城市更新 老街焕新", "秋粮收获 农民增收", "東京の天気 晴れ"]), min_size=1))
def test_an_issue_in_an_encoding_we_do_not_read_is_parsed_or_rejected(codec: str, extra: str,
                                                                      titles: list[str]) -> None:
    text = issue_text(date(2023, 9, 25), *titles) + extra
    parsed_or_rejected(text.encode(codec, errors="replace"), "2023-09-25.txt")


@FUZZ
@given(edits=st.lists(st.tuples(st.sampled_from(["insert", "delete", "replace", "cut"]),
                                st.floats(0, 1), st.binary(min_size=1, max_size=40)), min_size=1, max_size=6))
def test_a_damaged_issue_is_parsed_or_rejected(edits: list[tuple[str, float, bytes]]) -> None:
    """The seed issue with random bytes inserted, deleted, overwritten or the file cut short."""
    data = bytearray(SEED.read_bytes())
    for kind, where, payload in edits:
        at = int(where * len(data))
        if kind == "insert":
            data[at:at] = payload
        elif kind == "delete":
            del data[at : at + len(payload)]
        elif kind == "replace":
            data[at : at + len(payload)] = payload
        else:
            del data[at:]
    parsed_or_rejected(bytes(data), "issue.txt")


# --- (b) the publisher: arbitrary item text onto disk ---------------------------------------------------------

SITE = Site("示例日报", "每期文章", "zh-CN", "http://127.0.0.1:8080/", TZ)

item_texts = st.fixed_dictionaries({
    "title": st.text(max_size=40),
    "paragraphs": st.lists(st.text(max_size=80), max_size=3),
    "subheads": st.lists(st.text(max_size=12), max_size=2),
    "authors": st.lists(st.text(max_size=8), max_size=2),
    "section": st.none() | st.text(min_size=1, max_size=8),
    "kind": st.sampled_from(list(ItemKind)),
})


def read_xml(path: Path) -> feedparser.FeedParserDict:
    data = path.read_bytes()
    etree.fromstring(data)
    assert gzip.decompress(path.with_name(path.name + ".gz").read_bytes()) == data
    parsed = feedparser.parse(data)
    assert not parsed.bozo, (path.name, parsed.get("bozo_exception"))
    return parsed


@FUZZ
@given(texts=st.lists(item_texts, min_size=1, max_size=4))
def test_any_item_text_gives_files_that_readers_parse(texts: list[dict]) -> None:
    """Entries with arbitrary text through the Publisher: the main and section RSS/Atom parse in lxml and in
    feedparser without bozo, with every id, and every item page is HTML that lxml reads."""
    day = date(2023, 9, 27)
    published = datetime(2023, 9, 27, 6, tzinfo=TZ)
    entries = [Entry(Item(f"{day}-{n:02d}", n, t["kind"], t["title"], t["section"], tuple(t["subheads"]),
                          tuple(t["paragraphs"]), tuple(t["authors"])), day, published, published)
               for n, t in enumerate(texts, 1)]
    public = Path(tempfile.mkdtemp(prefix="feedsvc-fuzz-public-"))
    try:
        publisher = Publisher(public, SITE)
        publisher.publish_feeds(entries)
        ids = [urls.entry_urn(e.item.id) for e in entries]
        for name in ("rss.xml", "atom.xml"):
            assert [e.id for e in read_xml(public / name).entries] == ids
        for section in {e.item.section for e in entries if e.item.section}:
            mine = [e for e in entries if e.item.section == section]
            publisher.publish_feeds(mine, section=section)
            folder = public / urls.section_path(publisher.section_slug(section))
            for name in ("rss.xml", "atom.xml"):
                assert [e.id for e in read_xml(folder / name).entries] == [urls.entry_urn(e.item.id) for e in mine]
        for entry in entries:
            publisher.publish_item(entry)
            page = lxml.html.fromstring((public / urls.item_path(entry.item.id)).read_bytes())
            assert text_of(entry.item).title in page.text_content()
    finally:
        shutil.rmtree(public)


# --- (c) the service against a model ---------------------------------------------------------------------------

TITLES = ["城市更新 老街焕新", "秋粮收获 农民增收", "科技创新 企业发力", "文化惠民 书香满城", "交通提速 地铁延伸",
          "生态保护 湿地重生", "城市更新 老街焕然一新", "秋粮收获 农民再增收"]  # the last two: reworded headlines
DAYS = [date(2023, 9, 4) + timedelta(days=n) for n in range(5)]
GARBAGE = [b"", b" \n\t\n", b"\x00\xff\xfe" * 50, "今天天气很好。\n".encode(), "2023年9月4日 星期一 第1版\n".encode(),
           issue_text(DAYS[0], "城市更新 老街焕新").encode("utf-16-le")]
NOW = datetime(2023, 9, 28, 9, tzinfo=TZ)


class ServiceMachine(RuleBasedStateMachine):
    """Drops files into the inbox of an in-process Service (ingesting each as the watcher would) and restarts it.

    Model: the titles of the edition in force of each issue; each item in the feed has its page, and no other
    item has one. Every new file is dated later than all before it, except a stale edition, dated before the one
    in force (the catch-up rule: the newest mtime wins); content identical to the edition in force changes nothing,
    and an earlier edition dropped again (a revert) is in force again.
    """

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="feedsvc-fuzz-"))
        (self.root / "inbox").mkdir()
        self.settings = Settings(inbox=self.root / "inbox", data=self.root / "data",
                                 base_url="http://feeds.example/")
        self.service = self._start()
        self.clock_ns = 1_690_000_000 * 10**9
        self.files = 0
        self.editions: dict[date, tuple[str, ...]] = {}  # the model
        self.in_force_ns: dict[date, int] = {}
        self.seen: set[bytes] = set()  # every content dropped, whatever became of it
        self.in_force: dict[date, bytes] = {}  # the content of the edition in force of each issue
        self.issues: dict[bytes, tuple[date, tuple[str, ...]]] = {}  # every issue content dropped: its date, titles
        self.ids: dict[date, dict[str, str]] = {}  # ids in the feed at the last check, per issue and title

    def _start(self) -> Service:
        service = open_service(self.settings, ManualClock(NOW))
        service.recover()
        return service

    def _drop(self, data: bytes, mtime_ns: int | None = None) -> Path:
        self.files += 1
        self.clock_ns += 10**9
        path = self.settings.inbox / f"f{self.files:03d}.txt"
        path.write_bytes(data)
        stamp = self.clock_ns if mtime_ns is None else mtime_ns
        os.utime(path, ns=(stamp, stamp))
        return path

    def _edition(self, day: date, titles: list[str], mtime_ns: int | None = None) -> None:
        data = issue_text(day, *titles).encode()
        path = self._drop(data, mtime_ns)
        self.service.ingest(path)
        self._expect(data, day, tuple(titles), path.stat().st_mtime_ns)

    def _expect(self, data: bytes, day: date, titles: tuple[str, ...], stamp: int) -> bool:
        """Update the model for an issue file just ingested; returns whether it changed the edition in force."""
        self.seen.add(data)
        self.issues[data] = (day, titles)
        if data != self.in_force.get(day) and stamp > self.in_force_ns.get(day, 0):
            self.editions[day], self.in_force_ns[day], self.in_force[day] = titles, stamp, data
            return True
        return False

    def teardown(self) -> None:
        self.service.close()
        shutil.rmtree(self.root)

    @rule(data=st.data(), titles=st.lists(st.sampled_from(TITLES), min_size=1, max_size=3, unique=True))
    def drop_a_new_issue(self, data: st.DataObject, titles: list[str]) -> None:
        new = [d for d in DAYS if d not in self.editions]
        if new:
            self._edition(data.draw(st.sampled_from(new)), titles)

    @precondition(lambda self: self.editions)
    @rule(data=st.data(), titles=st.lists(st.sampled_from(TITLES), min_size=1, max_size=3, unique=True))
    def drop_a_corrected_edition(self, data: st.DataObject, titles: list[str]) -> None:
        self._edition(data.draw(st.sampled_from(sorted(self.editions))), titles)

    @precondition(lambda self: self.editions)
    @rule(data=st.data(), titles=st.lists(st.sampled_from(TITLES), min_size=1, max_size=3, unique=True))
    def drop_a_stale_edition(self, data: st.DataObject, titles: list[str]) -> None:
        day = data.draw(st.sampled_from(sorted(self.editions)))
        self._edition(day, titles, mtime_ns=self.in_force_ns[day] - 10**9 // 2)

    @precondition(lambda self: self.seen)
    @rule(data=st.data())
    def redrop_the_same_content_under_another_name(self, data: st.DataObject) -> None:
        content = data.draw(st.sampled_from(sorted(self.seen)))
        path = self._drop(content)
        changed = self.service.ingest(path)
        if content in self.issues:
            expected = self._expect(content, *self.issues[content], path.stat().st_mtime_ns)
            assert changed == expected
        else:
            assert not changed

    @rule(garbage=st.sampled_from(GARBAGE) | st.binary(max_size=300))
    def drop_garbage(self, garbage: bytes) -> None:
        path = self._drop(garbage)
        assert not self.service.ingest(path)
        if garbage not in self.seen:
            assert path.name in {r.file for r in self.service.store.rejected()}
        self.seen.add(garbage)

    @rule()
    def restart(self) -> None:
        """Close and start again on the same folders, then the watcher's catch-up scan: every file, by name."""
        self.service.close()
        self.service = self._start()
        for path in sorted(self.settings.inbox.iterdir()):
            assert not self.service.ingest(path), f"{path.name} changed the store at catch-up"

    @invariant()
    def published_feeds_match_the_model(self) -> None:
        expected = [title for day in sorted(self.editions, reverse=True) for title in self.editions[day]]
        ids: dict[date, dict[str, str]] = {}
        for name in ("rss.xml", "atom.xml"):
            data = (self.settings.public / name).read_bytes()
            etree.fromstring(data)
            parsed = feedparser.parse(data)
            assert not parsed.bozo, (name, parsed.get("bozo_exception"))
            assert [e.title for e in parsed.entries] == expected, name
            assert len({e.id for e in parsed.entries}) == len(parsed.entries), f"{name}: duplicated ids"
            for entry in parsed.entries:
                day = date.fromisoformat(entry.id.rsplit(":", 1)[1][:10])
                ids.setdefault(day, {})[entry.title] = entry.id
        pages = {p.stem for p in (self.settings.public / "items").glob("*.html")}
        assert pages == {i.rsplit(":", 1)[1] for titles in ids.values() for i in titles.values()}, \
            "item pages are not exactly those of the items in the feed"
        for day, titles in ids.items():
            before = self.ids.get(day, {})
            kept = {title: (before[title], titles[title]) for title in titles if title in before}
            assert all(old == new for old, new in kept.values()), f"{day}: a kept item changed its id: {kept}"
        self.ids = ids


TestServiceMachine = ServiceMachine.TestCase
TestServiceMachine.settings = settings(max_examples=25, stateful_step_count=15, deadline=None,
                                       suppress_health_check=[HealthCheck.too_slow])
