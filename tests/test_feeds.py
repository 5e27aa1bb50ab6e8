"""Feed rendering: RSS 2.0 and Atom 1.0 (feedgen) and JSON Feed 1.1, read back with feedparser and lxml.

Every expectation is written by hand from the entries built here, never produced by the code under test.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from feedsvc.feeds import FeedMeta, clear_caches, render_xml
from feedsvc.jsonfeed import render_json
from feedsvc.model import Entry, Item, ItemKind
from feedsvc.text import text_of

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Asia/Shanghai")
SITE = "http://127.0.0.1:8080/"
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "dc": "http://purl.org/dc/elements/1.1/",
    "content": "http://purl.org/rss/1.0/modules/content/",
}


def make_entry(
    day: date,
    ordinal: int,
    title: str,
    *,
    kind: ItemKind = ItemKind.ARTICLE,
    section: str | None = None,
    subheads: tuple[str, ...] = (),
    paragraphs: tuple[str, ...] = ("正文。",),
    authors: tuple[str, ...] = (),
    updated_hour: int = 6,
    subhead_at: tuple[int, ...] = (),
) -> Entry:
    item = Item(f"{day.isoformat()}-{ordinal:02d}", ordinal, kind, title, section, subheads, paragraphs, authors,
                subhead_at=subhead_at)
    published = datetime(day.year, day.month, day.day, 6, 0, tzinfo=TZ)
    return Entry(item, day, published, published.replace(hour=updated_hour))


@pytest.fixture(name="meta")
def _meta() -> FeedMeta:
    """The main feed of a site served at 127.0.0.1:8080."""
    return FeedMeta(
        title="示例日报",
        description="每期文章",
        language="zh-CN",
        site_url=SITE,
        feed_url=SITE,
        feed_id="urn:feedsvc:feed",
        timezone=TZ,
    )


@pytest.fixture(name="entries")
def _entries() -> list[Entry]:
    """Three items of two issues, newest first, as the store hands them over."""
    return [
        make_entry(date(2023, 9, 27), 5, "休刊通知", kind=ItemKind.NOTICE,
                   paragraphs=("本报9月29日休刊。", "10月13日正常出版。")),
        make_entry(date(2023, 9, 27), 1, "打造数字时代城市核心竞争力 192城沪上共话", section="权威发布",
                   subheads=("数字经济蓬勃发展",), subhead_at=(1,),
                   paragraphs=("党的二十大报告提出,提高城市规划水平。", "发展数字经济是战略选择。"),
                   authors=("章斐然", "王震"), updated_hour=9),
        make_entry(date(2023, 9, 25), 2, "商务部: 零售总额同比增长4.6%", section="经济", authors=("孙红丽",)),
    ]


def shanghai(y: int, m: int, d: int, h: int) -> datetime:
    return datetime(y, m, d, h, tzinfo=TZ)


class TestRss:
    def test_feedparser_reads_items_newest_first_with_ids_links_and_dates(self, meta, entries):
        """Readers dedupe on the guid, so it is the URN of the stored id, never a URL or title."""
        rss, _ = render_xml(meta, entries)
        parsed = feedparser.parse(rss)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert parsed.version == "rss20"
        assert [e.title for e in parsed.entries] == [
            "休刊通知", "打造数字时代城市核心竞争力 192城沪上共话", "商务部: 零售总额同比增长4.6%"]
        assert [e.id for e in parsed.entries] == [
            "urn:feedsvc:item:2023-09-27-05", "urn:feedsvc:item:2023-09-27-01", "urn:feedsvc:item:2023-09-25-02"]
        assert parsed.entries[1].link == "http://127.0.0.1:8080/items/2023-09-27-01.html"
        published = datetime(*parsed.entries[1].published_parsed[:6], tzinfo=UTC)
        assert published == shanghai(2023, 9, 27, 6)
        assert parsed.feed.language == "zh-CN"

    def test_channel_link_is_the_site_and_self_link_is_the_feed(self, meta, entries):
        """feedgen makes the last link the channel <link>; readers open it as the site's home."""
        rss, _ = render_xml(meta, entries)
        channel = etree.fromstring(rss).find("channel")
        assert channel.findtext("link") == "http://127.0.0.1:8080/"
        self_links = channel.findall("atom:link", NS)
        assert [(x.get("rel"), x.get("href"), x.get("type")) for x in self_links] == [
            ("self", "http://127.0.0.1:8080/rss.xml", "application/rss+xml")]

    def test_guid_is_not_a_permalink(self, meta, entries):
        rss, _ = render_xml(meta, entries)
        guids = etree.fromstring(rss).findall("channel/item/guid")
        assert [g.get("isPermaLink") for g in guids] == ["false", "false", "false"]

    def test_name_only_authors_become_one_joined_dc_creator(self, meta, entries):
        """RSS <author> needs an e-mail, so without the dc extension the byline would vanish; of several
        dc:creators sfeed shows the first and newsboat the last, so two authors are one joined byline."""
        rss, _ = render_xml(meta, entries)
        items = etree.fromstring(rss).findall("channel/item")
        assert [c.text for c in items[1].findall("dc:creator", NS)] == ["章斐然、王震"]
        assert items[0].findall("dc:creator", NS) == []
        assert feedparser.parse(rss).entries[2].author == "孙红丽"

    def test_full_text_is_content_encoded_and_lede_is_description(self, meta, entries):
        rss, _ = render_xml(meta, entries)
        item = etree.fromstring(rss).findall("channel/item")[1]
        encoded = item.findtext("content:encoded", namespaces=NS)
        assert encoded == ("<p>党的二十大报告提出,提高城市规划水平。</p>\n<h3>数字经济蓬勃发展</h3>\n"
                           "<p>发展数字经济是战略选择。</p>")
        assert item.findtext("description") == "党的二十大报告提出,提高城市规划水平。"
        assert b"CDATA" not in rss

    def test_sections_are_categories(self, meta, entries):
        parsed = feedparser.parse(render_xml(meta, entries)[0])
        assert [[t.term for t in e.get("tags", [])] for e in parsed.entries] == [[], ["权威发布"], ["经济"]]

    def test_no_ttl_and_no_skip_hints(self, meta, entries):
        """Freshness is per request (Cache-Control, Expires); a static ttl or skip hint would be wrong."""
        channel = etree.fromstring(render_xml(meta, entries)[0]).find("channel")
        assert channel.find("ttl") is None
        assert channel.find("skipDays") is None
        assert channel.find("skipHours") is None

    def test_last_build_date_is_the_newest_update_not_the_clock(self, meta, entries):
        channel = etree.fromstring(render_xml(meta, entries)[0]).find("channel")
        # Item -01 corrected at 09:00, plus its sequence number (1) in seconds.
        assert channel.findtext("lastBuildDate") == "Wed, 27 Sep 2023 09:00:01 +0800"


class TestAtom:
    def test_feedparser_reads_ids_authors_content_and_dates(self, meta, entries):
        _, atom = render_xml(meta, entries)
        parsed = feedparser.parse(atom)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert parsed.version == "atom10"
        assert parsed.feed.id == "urn:feedsvc:feed"
        assert [e.id for e in parsed.entries] == [
            "urn:feedsvc:item:2023-09-27-05", "urn:feedsvc:item:2023-09-27-01", "urn:feedsvc:item:2023-09-25-02"]
        article = parsed.entries[1]
        assert [a.name for a in article.authors] == ["章斐然、王震"]
        assert article.content[0].type == "text/html"
        assert "<h3>数字经济蓬勃发展</h3>" in article.content[0].value
        assert article.summary == "党的二十大报告提出,提高城市规划水平。"
        assert article.link == "http://127.0.0.1:8080/items/2023-09-27-01.html"
        assert datetime(*article.updated_parsed[:6], tzinfo=UTC) == shanghai(2023, 9, 27, 9) + timedelta(seconds=1)
        assert datetime(*article.published_parsed[:6], tzinfo=UTC) == shanghai(2023, 9, 27, 6)
        assert [t.term for t in article.tags] == ["权威发布"]

    def test_dates_carry_the_site_zone(self, meta, entries):
        root = etree.fromstring(render_xml(meta, entries)[1])
        assert root.findtext("atom:updated", namespaces=NS) == "2023-09-27T09:00:01+08:00"
        first = root.find("atom:entry", NS)
        assert first.findtext("atom:published", namespaces=NS) == "2023-09-27T06:00:00+08:00"

    def test_feed_links_self_and_site(self, meta, entries):
        root = etree.fromstring(render_xml(meta, entries)[1])
        links = {x.get("rel"): x.get("href") for x in root.findall("atom:link", NS)}
        assert links == {"self": "http://127.0.0.1:8080/atom.xml", "alternate": "http://127.0.0.1:8080/"}
        assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-CN"

    def test_content_is_html_without_cdata(self, meta, entries):
        root = etree.fromstring(render_xml(meta, entries)[1])
        content = root.find("atom:entry/atom:content", NS)
        assert content.get("type") == "html"
        assert content.text == "<p>本报9月29日休刊。</p>\n<p>10月13日正常出版。</p>"


class TestJsonFeed:
    def test_top_level_and_item_fields(self, meta, entries):
        doc = json.loads(render_json(meta, entries))
        assert doc["version"] == "https://jsonfeed.org/version/1.1"
        assert doc["title"] == "示例日报"
        assert doc["home_page_url"] == "http://127.0.0.1:8080/"
        assert doc["feed_url"] == "http://127.0.0.1:8080/feed.json"
        assert doc["language"] == "zh-CN"
        article = doc["items"][1]
        assert article == {
            "id": "urn:feedsvc:item:2023-09-27-01",
            "url": "http://127.0.0.1:8080/items/2023-09-27-01.html",
            "title": "打造数字时代城市核心竞争力 192城沪上共话",
            "content_html": "<p>党的二十大报告提出,提高城市规划水平。</p>\n<h3>数字经济蓬勃发展</h3>\n"
                            "<p>发展数字经济是战略选择。</p>",
            "summary": "党的二十大报告提出,提高城市规划水平。",
            "date_published": "2023-09-27T06:00:00+08:00",
            "date_modified": "2023-09-27T09:00:01+08:00",  # + its sequence number in seconds
            "authors": [{"name": "章斐然"}, {"name": "王震"}],
            "tags": ["权威发布"],
        }
        assert "authors" not in doc["items"][0] and "tags" not in doc["items"][0]

    def test_items_keep_order_and_dates_are_rfc3339_with_offset(self, meta, entries):
        """feedparser 6.0 cannot read JSON Feed, so the spec's rules are checked directly."""
        items = json.loads(render_json(meta, entries))["items"]
        assert [i["id"] for i in items] == [
            "urn:feedsvc:item:2023-09-27-05", "urn:feedsvc:item:2023-09-27-01", "urn:feedsvc:item:2023-09-25-02"]
        for item in items:
            for key in ("date_published", "date_modified"):
                assert datetime.fromisoformat(item[key]).utcoffset() is not None


class TestDeterminism:
    def test_rebuild_gives_identical_bytes(self, meta, entries):
        """Fresh equal values (not the same objects) must give the same bytes: no clock, no set order."""
        first = (*render_xml(meta, entries), render_json(meta, entries))
        clear_caches()
        copies = [Entry(Item(**e.item.__dict__), e.issue_date, e.published, e.updated) for e in entries]
        again = (*render_xml(meta, copies), render_json(meta, copies))
        assert first == again

    @pytest.mark.slow
    def test_same_bytes_under_other_hash_seeds(self):
        """Nothing set-shaped may follow PYTHONHASHSEED; fresh processes prove it."""
        child = (
            "import hashlib, sys\n"
            "sys.path.insert(0, 'tests')\n"
            "from test_feeds import build_inputs\n"
            "from feedsvc.feeds import render_xml\n"
            "from feedsvc.jsonfeed import render_json\n"
            "m, es = build_inputs()\n"
            "rss, atom = render_xml(m, es)\n"
            "print(hashlib.sha256(rss + atom + render_json(m, es)).hexdigest())\n"
        )
        meta, entries = build_inputs()
        rss, atom = render_xml(meta, entries)
        here = hashlib.sha256(rss + atom + render_json(meta, entries)).hexdigest()
        for seed in ("1", "2"):
            out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True,
                                 env={**os.environ, "PYTHONHASHSEED": seed}, cwd=ROOT)
            assert out.stdout.strip() == here

    def test_empty_feed_is_valid_and_byte_stable(self, meta):
        """A reader can subscribe before the first issue; the feed date is a constant, not the build time."""
        rss, atom = render_xml(meta, [])
        for data, version in ((rss, "rss20"), (atom, "atom10")):
            parsed = feedparser.parse(data)
            assert not parsed.bozo, parsed.get("bozo_exception")
            assert parsed.version == version
            assert parsed.entries == []
        assert etree.fromstring(rss).find("channel").findtext("lastBuildDate") == "Thu, 01 Jan 1970 08:00:00 +0800"
        assert json.loads(render_json(meta, []))["items"] == []
        clear_caches()
        assert render_xml(meta, []) == (rss, atom)


def build_inputs() -> tuple[FeedMeta, list[Entry]]:
    """The inputs of the cross-process test, rebuilt identically in the child process."""
    meta = FeedMeta("示例日报", "每期文章", "zh-CN", SITE, SITE, "urn:feedsvc:feed", TZ)
    return meta, [
        make_entry(date(2023, 9, 27), 1, "标题一", section="权威发布", authors=("章斐然", "王震")),
        make_entry(date(2023, 9, 25), 2, "标题二", section="经济", authors=("孙红丽",)),
    ]


class TestText:
    def test_control_characters_are_stripped_everywhere(self, meta):
        """A NUL or vertical tab from a text dump would make lxml refuse the whole feed."""
        entry = make_entry(date(2023, 9, 27), 1, "标\x00题\x0b一\ufffe", section="要\x1f闻",
                           paragraphs=("正\x08文\x0c。",), authors=("章\x00斐然",))
        rss, atom = render_xml(meta, [entry])
        for data in (rss, atom):
            parsed = feedparser.parse(data)
            assert not parsed.bozo, parsed.get("bozo_exception")
            assert parsed.entries[0].title == "标题一"
            assert parsed.entries[0].author == "章斐然"
            assert [t.term for t in parsed.entries[0].tags] == ["要闻"]
            etree.fromstring(data)
        assert json.loads(render_json(meta, [entry]))["items"][0]["content_html"] == "<p>正文。</p>"

    def test_markup_in_text_is_escaped_in_content(self):
        text = text_of(make_entry(date(2023, 9, 27), 1, "t", paragraphs=("a <script>alert(1)</script> & b",)).item)
        assert text.html == "<p>a &lt;script&gt;alert(1)&lt;/script&gt; &amp; b</p>"

    def test_subheads_stand_before_the_paragraph_they_preceded(self):
        item = make_entry(date(2023, 9, 27), 1, "t", subheads=("甲", "乙", "丙"), subhead_at=(0, 1, 2),
                          paragraphs=("一。", "二。")).item
        assert text_of(item).blocks == (("h3", "甲"), ("p", "一。"), ("h3", "乙"), ("p", "二。"), ("h3", "丙"))

    def test_subheads_without_positions_lead_the_body(self):
        item = make_entry(date(2023, 9, 27), 1, "t", subheads=("甲", "乙"), paragraphs=("一。", "二。")).item
        assert text_of(item).blocks == (("h3", "甲"), ("h3", "乙"), ("p", "一。"), ("p", "二。"))

    @pytest.mark.parametrize("stop", ["\u3002", "\uff01", "\uff1f", "!"])  # 。!? in full width, ! in half
    def test_lede_is_cut_at_a_sentence_end_near_120_characters(self, stop):
        paragraph = f"这是一句话{stop}" * 30  # 6 characters per sentence, 180 in all
        text = text_of(make_entry(date(2023, 9, 27), 1, "t", paragraphs=(paragraph,)).item)
        assert text.lede == f"这是一句话{stop}" * 20

    def test_lede_without_a_sentence_end_is_cut_with_an_ellipsis(self):
        text = text_of(make_entry(date(2023, 9, 27), 1, "t", paragraphs=("字" * 300,)).item)
        assert text.lede == "字" * 120 + "…"

    def test_an_item_without_body_or_title_still_has_content(self, meta):
        """A photo may come with no caption; Atom needs content or a link, RSS a title or description."""
        entry = make_entry(date(2023, 9, 27), 4, " \x00 ", kind=ItemKind.PHOTO, paragraphs=())
        for data in render_xml(meta, [entry]):
            parsed = feedparser.parse(data)
            assert not parsed.bozo
            assert parsed.entries[0].title == "(无标题)"


@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=st.text(),
    paragraphs=st.lists(st.text(), max_size=4),
    subheads=st.lists(st.text(max_size=20), max_size=2),
    authors=st.lists(st.text(max_size=12), max_size=3),
    section=st.none() | st.text(max_size=10),
)
def test_any_text_gives_feeds_that_parse(title, paragraphs, subheads, authors, section):
    """Whatever the parser lets through, RSS and Atom stay well-formed and readable, and ids survive."""
    meta = FeedMeta("示例日报", "每期文章", "zh-CN", SITE, SITE, "urn:feedsvc:feed", TZ)
    entry = make_entry(date(2023, 9, 27), 1, title, section=section, subheads=tuple(subheads),
                       paragraphs=tuple(paragraphs), authors=tuple(authors))
    rss, atom = render_xml(meta, [entry])
    for data in (rss, atom):
        etree.fromstring(data)
        parsed = feedparser.parse(data)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert [e.id for e in parsed.entries] == ["urn:feedsvc:item:2023-09-27-01"]
    assert json.loads(render_json(meta, [entry]))["items"][0]["title"] == text_of(entry.item).title
