"""A site you can walk (issue 11): from `/`, following only links of the site's own pages, a reader reaches every
public issue and item page, and no withdrawn or held one; a drop rewrites only the pages that list it."""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest
from archive_corpus import HELD_DAY, TZ, Paper, build, issue_text
from conftest import ManualClock, fetch

from feedsvc.config import Settings
from feedsvc.history import month_name
from feedsvc.serve import ServerThread, make_app
from feedsvc.wiring import open_service

pytestmark = pytest.mark.slow  # a 210-issue archive

LIMIT = 20_000  # pages: far more than the run has (about 1,900), so a link loop fails instead of running on


@pytest.fixture(name="paper", scope="module")
def _paper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Paper]:
    yield from build(tmp_path_factory.mktemp("site"))


def crawl(start: str) -> dict[str, bytes]:
    """Every page reachable from `start` through <a href> links to HTML pages of the same site, breadth first:
    {url: body}. Fails on a link that does not answer 200 (a withdrawn item's page, a missing month)."""
    site = urlsplit(start).netloc
    pages: dict[str, bytes] = {}
    seen, queue = {start}, deque([start])
    while queue:
        url = queue.popleft()
        status, body = fetch(url)
        assert status == 200, f"{url} answers {status}"
        pages[url] = body
        for href in lxml.html.fromstring(body).xpath("//a/@href"):
            target = urljoin(url, href).split("#")[0]
            parts = urlsplit(target)
            # Pages only: feeds and OPML are for readers, and their links lead back to these pages.
            if parts.netloc != site or not (parts.path.endswith((".html", "/"))) or target in seen:
                continue
            seen.add(target)
            queue.append(target)
            assert len(seen) < LIMIT, "the crawl does not end"
    return pages


def item_page(url: str, feed_id: str) -> str:
    return f"{url}items/{feed_id.removeprefix('urn:feedsvc:item:')}.html"


def test_every_public_issue_and_item_is_reachable_from_the_home_page(paper: Paper) -> None:
    pages = crawl(paper.url)
    public_days = [day for day in paper.days if day != HELD_DAY]
    issue_pages = {f"{paper.url}issues/{day.isoformat()}.html" for day in public_days}
    assert issue_pages <= set(pages), sorted(issue_pages - set(pages))[:5]
    items = {item_page(paper.url, key) for key in paper.public_ids}
    assert items <= set(pages), sorted(items - set(pages))[:5]
    # Withdrawn and held items are linked nowhere (a link to one would have failed the crawl with 404 or 410).
    assert not {item_page(paper.url, key) for key in paper.withdrawn | paper.held} & set(pages)
    assert f"{paper.url}issues/{HELD_DAY.isoformat()}.html" not in pages
    # Every section and every author has its page, and every month its archive page.
    assert {f"{paper.url}sections/{slug}/" for slug in ("yao-wen", "jing-ji")} <= set(pages)
    months = {month_name(day) for day in public_days}
    assert len(months) >= 8
    assert {f"{paper.url}archive/{month}.html" for month in months} <= set(pages)
    for author in paper.authors:
        slug = paper.service.publication.slugs.author(author)
        assert f"{paper.url}authors/{slug}/" in pages
    linked = {href for body in pages.values() for href in lxml.html.fromstring(body).xpath("//a/@href")}
    assert not {item_page(paper.url, key) for key in paper.withdrawn | paper.held} & linked


def test_issue_pages_chain_from_the_first_issue_to_the_last(paper: Paper) -> None:
    """Previous/next links walk every public issue in date order, skipping the held one."""
    public_days = [day for day in paper.days if day != HELD_DAY]
    url: str | None = f"{paper.url}issues/{public_days[0].isoformat()}.html"
    walked = []
    while url:
        status, body = fetch(url)
        assert status == 200, url
        walked.append(url)
        assert len(walked) <= len(public_days)
        after = lxml.html.fromstring(body).xpath("//a[@rel='next']/@href")
        url = after[0] if after else None
    assert walked == [f"{paper.url}issues/{day.isoformat()}.html" for day in public_days]


def test_section_and_author_pages_list_their_items_newest_first(paper: Paper) -> None:
    for folder, name, expected in (("sections", "经济", paper.sections["经济"]),
                                   ("authors", sorted(paper.authors)[0], paper.authors[sorted(paper.authors)[0]])):
        slugs = paper.service.publication.slugs
        front = f"{paper.url}{folder}/{slugs.section(name) if folder == 'sections' else slugs.author(name)}/"
        status, body = fetch(front)
        assert status == 200
        doc = lxml.html.fromstring(body)
        dates = [re.match(r"\d{4}-\d{2}-\d{2}", h)[0] for h in doc.xpath("//main/h2/a/text()")]
        assert dates == sorted(dates, reverse=True) and dates
        if folder == "sections":  # the page names its section once, not on every item
            assert doc.xpath("//p[@class='byline']/a[contains(@href, '/sections/')]") == []
            assert doc.xpath("//p[@class='byline']/a[contains(@href, '/authors/')]")
        listed = crawl_scope(front)
        assert listed == {item_page(paper.url, key) for key in expected}


def crawl_scope(front: str) -> set[str]:
    """The item pages listed by a section's or author's front page and its month pages (reached by its months
    list), and nothing else of the site."""
    status, body = fetch(front + "archive/")
    assert status == 200
    items: set[str] = set()
    months = lxml.html.fromstring(body).xpath("//ul[@class='months']//a/@href")
    assert months
    for month in months:
        status, page = fetch(month)
        assert status == 200, month
        items.update(lxml.html.fromstring(page).xpath("//a[@class='title']/@href"))
    return items


def test_a_drop_rewrites_only_the_pages_that_list_it(paper: Paper) -> None:
    """A new issue in the newest month: its items, its issue page and the one before it, the month's pages and
    documents, the front pages and feeds of its sections and authors, the home page. No other month, issue or
    section is touched."""
    public = paper.settings.public
    before = {p: p.stat().st_mtime_ns for p in public.rglob("*") if p.is_file()}
    last = paper.days[-1]
    day = last + timedelta(days=2 if last.weekday() in (0, 2) else 3)
    path = paper.settings.inbox / f"{day.isoformat()}.txt"
    path.write_text(issue_text(day), encoding="utf-8")
    paper.service.clock.advance(days=5)  # the ManualClock: the issue is due
    paper.service.ingest(path)
    after = {p: p.stat().st_mtime_ns for p in public.rglob("*") if p.is_file()}
    changed = {str(p.relative_to(public)) for p in after if before.get(p) != after[p]}
    slugs = paper.service.publication.slugs
    folders = {"", *(f"sections/{slugs.section(s)}/" for s in ("要闻", "经济"))}
    entries = paper.service.store.issue_entries(day)
    folders |= {f"authors/{slugs.author(a)}/" for e in entries for a in e.item.authors}
    allowed = re.compile("|".join([
        rf"items/{day.isoformat()}-\d+\.html(\.gz)?", rf"issues/({day.isoformat()}|{last.isoformat()})\.html(\.gz)?",
        r"index\.html(\.gz)?", r"feeds\.opml(\.gz)?",
        *(re.escape(folder) + r"(rss\.xml|atom\.xml|feed\.json|index\.html)(\.gz)?" for folder in folders),
        *(re.escape(folder) + r"archive/(\d{4}-\d{2}|index)\.(xml|atom|json|html)(\.gz)?" for folder in folders),
    ]))
    assert {name for name in changed if not allowed.fullmatch(name)} == set()
    # In each feed's archive, the drop's month and at most the month before it (when the drop began a month).
    months: dict[str, set[str]] = {}
    for name in changed:
        if found := re.fullmatch(r"(.*)archive/(\d{4}-\d{2})\..*", name):
            months.setdefault(found[1], set()).add(found[2])
    assert months[""] <= {month_name(day), month_name(last)}
    assert all(month_name(day) in found and len(found) <= 2 for found in months.values()), months
    assert f"issues/{last.isoformat()}.html" in changed  # its "next" link
    assert os.path.exists(public / "issues" / f"{day.isoformat()}.html")


def test_a_young_paper_links_no_archive_it_does_not_have(tmp_path: Path) -> None:
    """Feeds that hold every item have no archive (RFC 5005 §2, archive.py): then neither the home page nor a
    section's page links one, and every issue and item is still reached."""
    public = tmp_path / "data" / "public"
    server = ServerThread(make_app(public, max_age=lambda _m: 60, status=dict), "127.0.0.1", 0)
    server.start()
    settings = Settings(inbox=tmp_path / "inbox", data=tmp_path / "data", base_url=f"http://127.0.0.1:{server.port}/")
    settings.inbox.mkdir()
    days = [date(2023, 9, 25), date(2023, 9, 27), date(2023, 10, 13)]
    service = open_service(settings, ManualClock(datetime(2023, 10, 14, 9, tzinfo=TZ)))
    try:
        for day in days:
            path = settings.inbox / f"{day.isoformat()}.txt"
            path.write_text(issue_text(day), encoding="utf-8")
            service.ingest(path)
        pages = crawl(settings.site_url)
        assert not (public / "archive").exists()
        assert {f"{settings.site_url}issues/{day.isoformat()}.html" for day in days} <= set(pages)
        items = {f"{settings.site_url}items/{e.item.id}.html" for day in days for e in service.store.issue_entries(day)}
        assert len(items) >= 12 and items <= set(pages)
        assert f"{settings.site_url}sections/jing-ji/" in pages
        assert not [url for url in pages if "/archive/" in url]
        # An issue withdrawn on purpose (its pages answer 410) is linked nowhere: its neighbours link each other.
        gone = {f"{settings.site_url}items/{e.item.id}.html" for e in service.store.issue_entries(days[1])}
        service.withdraw(days[1])
        pages = crawl(settings.site_url)
        assert f"{settings.site_url}issues/{days[1].isoformat()}.html" not in pages
        assert not gone & set(pages) and (items - gone) <= set(pages)
        first = lxml.html.fromstring(pages[f"{settings.site_url}issues/{days[0].isoformat()}.html"])
        assert first.xpath("//a[@rel='next']/@href") == [f"{settings.site_url}issues/{days[2].isoformat()}.html"]
    finally:
        server.stop()
        service.close()
