"""RFC 5005 archived feeds and JSON Feed paging, read back the way feed readers do: feedparser over loopback HTTP,
following prev-archive (or next_url) from the subscription feed and merging entries by id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import feedparser
import pytest
from archive_corpus import CORRECTION, Paper, build
from conftest import fetch
from lxml import etree

pytestmark = [
    pytest.mark.slow,  # a 210-issue archive
    pytest.mark.filterwarnings("ignore:To avoid breaking:DeprecationWarning"),  # RSS: no updated
]

FH = "http://purl.org/syndication/history/1.0"
ATOM = "http://www.w3.org/2005/Atom"


@pytest.fixture(name="paper", scope="module")
def _paper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Paper]:
    yield from build(tmp_path_factory.mktemp("archive"))


def _rel(parsed: Any, rel: str) -> str | None:
    return next((link["href"] for link in parsed.feed.get("links", []) if link.get("rel") == rel), None)


def _changed(entry: Any) -> Any:
    return entry.get("updated_parsed") or entry.get("published_parsed")  # RSS items have only pubDate


def walk_xml(url: str) -> tuple[dict[str, Any], list[str], list[bytes]]:
    """Follow prev-archive from the subscription document at `url`: (entries merged by id, newest change wins;
    the documents' URLs in walking order; their bodies). Fails on an entry listed twice in one document."""
    merged: dict[str, Any] = {}
    seen: list[str] = []
    bodies: list[bytes] = []
    while url:
        assert url not in seen, f"the chain loops at {url}"
        assert len(seen) < 100, "the chain does not end"
        status, body = fetch(url)
        assert status == 200, url
        parsed = feedparser.parse(body)
        assert not parsed.bozo, (url, parsed.get("bozo_exception"))
        ids = [entry.id for entry in parsed.entries]
        assert len(ids) == len(set(ids)), f"{url} lists an entry twice"
        for entry in parsed.entries:
            old = merged.get(entry.id)
            if old is None or _changed(entry) >= _changed(old):
                merged[entry.id] = entry
        seen.append(url)
        bodies.append(body)
        url = _rel(parsed, "prev-archive") or ""
    return merged, seen, bodies


@pytest.mark.parametrize("name", ["rss.xml", "atom.xml"])
def test_the_archive_chain_gives_every_public_item_once(paper: Paper, name: str) -> None:
    merged, documents, _ = walk_xml(paper.url + name)
    assert set(merged) == set(paper.public_ids)
    assert not set(merged) & (paper.withdrawn | paper.held)
    assert len(documents) >= 1 + 8  # the subscription document, then one per month
    assert len({d.rsplit("/", 1)[-1].split(".")[0] for d in documents[1:]}) == len(documents) - 1
    for key, title in paper.public_ids.items():
        assert merged[key].title == title
    assert any(CORRECTION in entry.title for entry in merged.values())


def test_a_section_chain_gives_exactly_the_section(paper: Paper) -> None:
    section = "经济"
    slug = paper.service.publication.publisher.section_slug(section)
    for name in ("rss.xml", "atom.xml"):
        merged, documents, _ = walk_xml(f"{paper.url}sections/{slug}/{name}")
        assert set(merged) == paper.sections[section]
        assert len(documents) > 8
        assert not set(merged) & paper.withdrawn


def test_an_author_chain_gives_exactly_the_authors_items(paper: Paper) -> None:
    author = sorted(paper.authors)[0]
    slug = paper.service.publication.publisher.author_slug(author)
    merged, documents, _ = walk_xml(f"{paper.url}authors/{slug}/atom.xml")
    assert set(merged) == paper.authors[author]
    assert len(documents) > 8


def test_archive_documents_are_marked_and_linked_both_ways(paper: Paper) -> None:
    """fh:archive on every archive document, current to the subscription feed, next-archive back up the chain."""
    for name, suffix in (("rss.xml", ".xml"), ("atom.xml", ".atom")):
        _, documents, bodies = walk_xml(paper.url + name)
        months = documents[1:]
        assert all(m.endswith(suffix) and "/archive/" in m for m in months)
        assert etree.fromstring(bodies[0]).find(f".//{{{FH}}}archive") is None
        for n, body in enumerate(bodies[1:]):
            root = etree.fromstring(body)
            assert root.find(f".//{{{FH}}}archive") is not None
            links = {link.get("rel"): link.get("href") for link in root.iter(f"{{{ATOM}}}link")}
            assert links["current"] == paper.url + name
            assert links.get("next-archive") == (months[n - 1] if n else None)
            assert links["self"] == months[n]


@pytest.mark.parametrize("section", [None, "经济"])
def test_json_feed_next_url_reads_back_to_the_first_issue(paper: Paper, section: str | None) -> None:
    """The main feed's and a section's: next_url from feed.json through the month pages gives every item once."""
    slugs = paper.service.publication.slugs
    folder = f"sections/{slugs.section(section)}/" if section else ""
    expected = paper.sections[section] if section else set(paper.public_ids)
    url: str | None = paper.url + folder + "feed.json"
    merged: dict[str, dict[str, Any]] = {}
    pages = 0
    while url:
        status, body = fetch(url)
        assert status == 200, url
        document = json.loads(body)
        assert document["version"] == "https://jsonfeed.org/version/1.1"
        ids = [item["id"] for item in document["items"]]
        assert len(ids) == len(set(ids)), f"{url} lists an item twice"
        for item in document["items"]:
            merged.setdefault(item["id"], item)  # newest page first: the first copy seen is the newest
        pages += 1
        assert pages < 100
        url = document.get("next_url")
    assert set(merged) == expected
    assert {merged[key]["title"] for key in merged} == {paper.public_ids[key] for key in expected}
    assert not set(merged) & (paper.withdrawn | paper.held)
    assert pages > 8


def test_archive_documents_are_served_as_feeds_with_a_long_life(paper: Paper) -> None:
    """Closed months cache for a day (a reader revalidates with the ETag); the subscription feed does not."""
    import urllib.request

    _, documents, _ = walk_xml(paper.url + "atom.xml")
    with urllib.request.urlopen(documents[-1], timeout=5) as response:
        assert response.headers["Content-Type"].startswith("application/atom+xml")
        assert "max-age=86400" in response.headers["Cache-Control"]
        assert response.headers["ETag"]
    with urllib.request.urlopen(paper.url + "atom.xml", timeout=5) as response:
        assert "max-age=60" in response.headers["Cache-Control"]


def test_a_drop_rewrites_only_its_month(paper: Paper, tmp_path: Path) -> None:
    """Archive documents of other months keep their bytes (and so their ETags) when an issue arrives."""
    archive = paper.settings.public / "archive"
    before = {path.name: path.stat().st_mtime_ns for path in archive.iterdir()}
    assert len(before) > 8 * 6
    # A late corrected edition of an issue in the newest month.
    newest = paper.days[-1]
    from archive_corpus import issue_text

    path = paper.settings.inbox / f"{newest.isoformat()}-late.txt"
    path.write_text(issue_text(newest, corrected=True), encoding="utf-8")
    paper.service.ingest(path)
    after = {path.name: path.stat().st_mtime_ns for path in archive.iterdir()}
    changed = {name for name in after if before.get(name) != after[name]}
    month = newest.strftime("%Y-%m")
    assert changed and all(name.startswith(month) for name in changed), changed


def test_months_at_the_ends_of_the_calendar() -> None:
    """A stored 9999-12-31 issue (taken before the date window existed) has a month like any other."""
    from datetime import UTC, date, datetime

    from feedsvc import history

    assert history.month_end(date(9999, 12, 1)) == date(9999, 12, 31)
    assert history.month_end(date(2024, 2, 1)) == date(2024, 2, 29)
    now = datetime(2024, 3, 5, tzinfo=UTC)
    assert history.closed_month_max_age("archive/9999-12.atom", now) is None
    assert history.closed_month_max_age("sections/x/archive/2024-02.xml", now) == history.CLOSED_MONTH_MAX_AGE
    assert history.closed_month_max_age("archive/2024-03.xml", now) is None  # still open
    assert history.closed_month_max_age("archive/2024-13.xml", now) is None


def test_a_feed_holding_its_whole_history_is_complete_until_it_outgrows_it(tmp_path: Path) -> None:
    """RFC 5005 §2: while the subscription document lists every public item, it says fh:complete and links no
    archive, and no archive files are written (most authors' feeds, a young paper's); one issue more than it
    holds, and its whole archive is linked from it (months not written yet are written on request), giving back
    every item."""
    from datetime import datetime

    from archive_corpus import TZ, issue_text
    from conftest import ManualClock

    from feedsvc.config import Settings
    from feedsvc.serve import ServerThread, make_app
    from feedsvc.wiring import open_service

    public = tmp_path / "data" / "public"
    services = []  # the service, once open: it writes the archive months asked for
    server = ServerThread(make_app(public, max_age=lambda _m: 60, status=dict,
                                   on_request=lambda path: services[0].write_on_request(path)), "127.0.0.1", 0)
    server.start()
    try:
        settings = Settings(inbox=tmp_path / "inbox", data=tmp_path / "data", feed_items=4,
                            base_url=f"http://127.0.0.1:{server.port}/")
        settings.inbox.mkdir()
        days = [date(2023, 1, 30), date(2023, 2, 1)]  # four items each, in two months
        service = open_service(settings, ManualClock(datetime(2023, 2, 2, 12, tzinfo=TZ)))
        services.append(service)
        try:
            for n, day in enumerate(days):
                path = settings.inbox / f"{day.isoformat()}.txt"
                path.write_text(issue_text(day), encoding="utf-8")
                service.ingest(path)
                rss = etree.fromstring(fetch(settings.site_url + "rss.xml")[1])
                if n == 0:
                    assert rss.find(f".//{{{FH}}}complete") is not None
                    assert _rel(feedparser.parse(fetch(settings.site_url + "atom.xml")[1]), "prev-archive") is None
                    assert not (public / "archive").exists()
            assert rss.find(f".//{{{FH}}}complete") is None
            merged, documents, _ = walk_xml(settings.site_url + "atom.xml")
            assert len(merged) == 8 and len(documents) == 3  # the feed, then February and January
        finally:
            service.close()
    finally:
        server.stop()
