"""HTML pages, parsed back with lxml.html: autodiscovery, escaping, links, the break notice, determinism."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import lxml.html
import pytest

from feedsvc.model import Entry, Item, ItemKind
from feedsvc.pages import Pages

TZ = ZoneInfo("Asia/Shanghai")
URL = "http://127.0.0.1:8080/"
MAIN_FEEDS = [
    ("application/rss+xml", "http://127.0.0.1:8080/rss.xml"),
    ("application/atom+xml", "http://127.0.0.1:8080/atom.xml"),
    ("application/feed+json", "http://127.0.0.1:8080/feed.json"),
]


@pytest.fixture(name="pages")
def _pages() -> Pages:
    """Pages of the 示例日报 site served at 127.0.0.1:8080."""
    return Pages("示例日报", "每期文章与休刊通知", URL, "zh-CN", TZ)


@pytest.fixture(name="article")
def _article() -> Entry:
    """An article with a hostile title, a subhead between paragraphs and a later correction."""
    item = Item("2023-09-27-01", 1, ItemKind.ARTICLE, "城市<script>alert(1)</script>竞争力", "权威发布",
                subheads=("数字经济蓬勃发展",), subhead_at=(1,),
                paragraphs=("第一段 <b>不是标签</b>。", "第二段。"), authors=("章斐然", "王震"))
    return Entry(item, date(2023, 9, 27), datetime(2023, 9, 27, 6, tzinfo=TZ), datetime(2023, 9, 28, 9, 30, tzinfo=TZ))


def alternates(doc: lxml.html.HtmlElement) -> list[tuple[str, str]]:
    return [(x.get("type"), x.get("href")) for x in doc.xpath("//head/link[@rel='alternate']")]


class TestItemPage:
    def test_title_is_escaped_and_no_script_element_exists(self, pages, article):
        raw = pages.item(article, "abc123abc123").decode()
        assert "<script>" not in raw
        assert "城市&lt;script&gt;alert(1)&lt;/script&gt;竞争力" in raw
        doc = lxml.html.fromstring(raw)
        assert doc.xpath("//script") == []
        assert doc.xpath("string(//h1)") == "城市<script>alert(1)</script>竞争力"

    def test_head_has_language_charset_and_autodiscovery(self, pages, article):
        doc = lxml.html.fromstring(pages.item(article, "abc123abc123"))
        assert doc.get("lang") == "zh-CN"
        assert doc.xpath("//head/meta/@charset") == ["utf-8"]
        assert alternates(doc) == [*MAIN_FEEDS,
            ("application/rss+xml", "http://127.0.0.1:8080/sections/abc123abc123/rss.xml"),
            ("application/atom+xml", "http://127.0.0.1:8080/sections/abc123abc123/atom.xml"),
            ("application/feed+json", "http://127.0.0.1:8080/sections/abc123abc123/feed.json")]

    def test_body_authors_dates_and_links_back(self, pages, article):
        doc = lxml.html.fromstring(pages.item(article, None))
        body = [(el.tag, el.text_content()) for el in doc.xpath("//article/h3 | //article/p[not(@class)]")]
        assert body == [("p", "第一段 <b>不是标签</b>。"), ("h3", "数字经济蓬勃发展"), ("p", "第二段。")]
        meta = " ".join(doc.xpath("//p[@class='meta']//text()"))
        assert "权威发布" in meta and "章斐然、王震" in meta
        times = doc.xpath("//time/@datetime")
        assert times == ["2023-09-27T06:00:00+08:00", "2023-09-28T09:30:00+08:00"]
        hrefs = doc.xpath("//main//a/@href")
        assert "http://127.0.0.1:8080/issues/2023-09-27.html" in hrefs
        assert URL in hrefs
        assert alternates(doc) == MAIN_FEEDS  # no section slug given: main feeds only

    def test_links_its_section_and_authors_pages(self, pages, article):
        doc = lxml.html.fromstring(pages.item(article, "quan-wei-fa-bu", None,
                                              [("章斐然", "zhang-fei-ran"), ("王震", "wang-zhen")]))
        meta = [(a.get("href"), a.text_content()) for a in doc.xpath("//article/p[@class='meta'][1]/a")]
        assert meta == [(URL + "sections/quan-wei-fa-bu/", "权威发布"), (URL + "authors/zhang-fei-ran/", "章斐然"),
                        (URL + "authors/wang-zhen/", "王震")]


class TestIssuePage:
    def test_lists_headlines_in_page_order_with_links(self, pages, article):
        second = Entry(Item("2023-09-27-02", 2, ItemKind.PHOTO, "秋粮收获忙", None, authors=("徐速绘",)),
                       article.issue_date, article.published, article.published)
        doc = lxml.html.fromstring(pages.issue(date(2023, 9, 27), [second, article]))
        titles = [(a.get("href"), a.text_content())
                  for a in doc.xpath("//ul[contains(@class, 'items')]//a[@class='title']")]
        assert titles == [("http://127.0.0.1:8080/items/2023-09-27-01.html", "城市<script>alert(1)</script>竞争力"),
                          ("http://127.0.0.1:8080/items/2023-09-27-02.html", "秋粮收获忙")]
        first = doc.xpath("//ul[contains(@class, 'items')]/li")[0]
        bylines = [(a.get("href"), a.text_content()) for a in first.xpath(".//p[@class='byline']/a")]
        assert bylines == [(URL + "sections/quan-wei-fa-bu/", "权威发布"), (URL + "authors/zhang-fei-ran/", "章斐然"),
                           (URL + "authors/wang-zhen/", "王震")]
        assert first.xpath("string(.//p[@class='lede'])") == "第一段 <b>不是标签</b>。"
        assert alternates(doc) == MAIN_FEEDS
        assert "2023-09-27" in doc.xpath("string(//h1)")

    def test_links_the_issues_before_and_after_and_its_month(self, pages, article):
        doc = lxml.html.fromstring(pages.issue(date(2023, 9, 27), [article],
                                               neighbours=(date(2023, 9, 25), date(2023, 10, 13))))
        assert doc.xpath("//a[@rel='prev']/@href") == [URL + "issues/2023-09-25.html"]
        assert doc.xpath("//a[@rel='next']/@href") == [URL + "issues/2023-10-13.html"]
        first = lxml.html.fromstring(pages.issue(date(2023, 9, 27), [article]))
        assert first.xpath("//a[@rel='prev' or @rel='next']") == []


class TestIndex:
    def test_subscribe_links_latest_issues_and_next_expected(self, pages):
        doc = lxml.html.fromstring(pages.index(
            [(date(2023, 9, 27), 5), (date(2023, 9, 25), 4)], [("权威发布", "0123456789ab")],
            date(2023, 10, 13), None, None))
        assert alternates(doc) == MAIN_FEEDS
        assert doc.xpath("string(//title)") == "示例日报"
        feed_hrefs = doc.xpath("//ul[@class='feeds']//a/@href")
        assert feed_hrefs == [href for _, href in MAIN_FEEDS] + [
            "http://127.0.0.1:8080/sections/0123456789ab/rss.xml",
            "http://127.0.0.1:8080/sections/0123456789ab/atom.xml",
            "http://127.0.0.1:8080/sections/0123456789ab/feed.json"]
        issues = [(a.get("href"), a.text_content()) for a in doc.xpath("//ul[@class='issues']//a")]
        assert issues == [("http://127.0.0.1:8080/issues/2023-09-27.html", "2023-09-27(星期三)"),
                          ("http://127.0.0.1:8080/issues/2023-09-25.html", "2023-09-25(星期一)")]
        text = doc.text_content()
        assert "2023-10-13" in text
        assert "休刊中" not in text

    def test_a_declared_break_is_shown_with_resume_date_and_reason(self, pages):
        doc = lxml.html.fromstring(pages.index(
            [(date(2023, 9, 27), 5)], [], date(2023, 10, 13), date(2023, 10, 13), "休刊通知 of 2023-09-27"))
        notice = doc.xpath("string(//p[@class='break'])")
        assert "休刊中" in notice
        assert "resumes 2023-10-13" in notice
        assert "休刊通知 of 2023-09-27" in notice

    def test_the_latest_issue_is_shown_by_its_headlines_and_the_archive_is_linked(self, pages, article):
        doc = lxml.html.fromstring(pages.index([(date(2023, 9, 27), 1)], [("权威发布", "quan-wei-fa-bu")],
                                               None, None, None, latest=[article]))
        latest = doc.xpath("//ul[contains(@class, 'latest')]/li")
        assert [li.xpath("string(a[@class='title'])") for li in latest] == ["城市<script>alert(1)</script>竞争力"]
        assert latest[0].xpath("string(p[@class='lede'])") == "第一段 <b>不是标签</b>。"
        assert "章斐然" in latest[0].xpath("string(p[@class='byline'])")
        hrefs = doc.xpath("//a/@href")
        assert URL + "archive/" in hrefs and URL + "archive/2023-09.html" in hrefs
        assert URL + "sections/quan-wei-fa-bu/" in hrefs

    def test_no_issues_yet(self, pages):
        doc = lxml.html.fromstring(pages.index([], [], None, None, None))
        assert doc.xpath("//ul[@class='issues']") == []
        assert "No issues yet" in doc.text_content()

    def test_section_names_are_escaped(self, pages):
        raw = pages.index([], [("<img src=x onerror=alert(1)>", "0123456789ab")], None, None, None).decode()
        assert "<img" not in raw
        assert "&lt;img src=x onerror=alert(1)&gt;" in raw


def test_pages_are_deterministic_across_instances(article):
    """No build time or random order in a page: an unchanged page keeps its bytes, its ETag and its mtime."""
    one = Pages("示例日报", "d", URL, "zh-CN", TZ)
    two = Pages("示例日报", "d", URL, "zh-CN", TZ)
    assert one.item(article, "abc123abc123") == two.item(article, "abc123abc123")
    assert one.index([(date(2023, 9, 27), 5)], [("经济", "0123456789ab")], date(2023, 10, 13), None, None) == \
        two.index([(date(2023, 9, 27), 5)], [("经济", "0123456789ab")], date(2023, 10, 13), None, None)
