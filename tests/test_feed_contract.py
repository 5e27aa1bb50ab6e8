"""What readers are told: skip hints, ttl, freshness headers, ids that return, distinct updated, authors.

Through the real service (parser, SQLite store, publisher on disk) and, for the headers, the running daemon.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from conftest import ManualClock, fetch, issue_text, wait_for
from lxml import etree

from feedsvc.config import Settings
from feedsvc.service import Service
from feedsvc.wiring import Daemon, open_service

pytestmark = pytest.mark.slow  # a daemon per test

TZ = ZoneInfo("Asia/Shanghai")
SEED_DATE = date(2023, 9, 27)
RESUME = datetime(2023, 10, 13, 6, tzinfo=TZ)  # the seed's notice: the paper resumes on 10-13


@pytest.fixture(name="clock")
def _clock() -> ManualClock:
    return ManualClock(datetime(2023, 9, 28, 9, 0, tzinfo=TZ))


@pytest.fixture(name="service")
def _service(settings: Settings, clock: ManualClock) -> Iterator[Service]:
    service = open_service(settings, clock)
    yield service
    service.close()


def drop(settings: Settings, name: str, content: str | bytes, mtime: float) -> Path:
    path = settings.inbox / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    os.utime(path, (mtime, mtime))
    return path


def channel(settings: Settings) -> etree._Element:
    return etree.fromstring((settings.public / "rss.xml").read_bytes()).find("channel")


# --- 1. skipDays / skipHours ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("weekdays", "release"), [((0, 2, 4), clock_time(6)), ((1, 5), clock_time(23, 30)),
                                                   ((0, 1, 2, 3, 4), clock_time(7, 15))])
def test_skip_hints_never_name_the_gmt_day_or_hour_of_a_release(tmp_path: Path, weekdays: tuple[int, ...],
                                                                release: clock_time, seed_bytes: bytes) -> None:
    """The RSS profile reads skipDays/skipHours in GMT: 06:00+08:00 on Monday is Sunday 22:00 GMT."""
    settings = Settings(inbox=tmp_path, data=tmp_path / "data", base_url="http://feeds.example/",
                        weekdays=weekdays, release_time=release)
    service = open_service(settings, ManualClock(datetime(2023, 9, 28, 9, tzinfo=TZ)))
    try:
        service.ingest(drop(settings, "seed.txt", seed_bytes, 1_000))
        rss = channel(settings)
        skipped_days = {d.text for d in rss.findall("skipDays/day")}
        skipped_hours = {int(h.text or "") for h in rss.findall("skipHours/hour")}
        start = date(2023, 10, 16)
        for n in range(14):
            day = start + timedelta(days=n)
            if service.paper.calendar.is_expected(day):
                at = service.paper.calendar.release_at(day).astimezone(UTC)
                assert at.strftime("%A") not in skipped_days, f"{day}: released on a skipped GMT day"
                assert at.hour not in skipped_hours, f"{day}: released in a skipped GMT hour"
    finally:
        service.close()


# --- 2. ttl -------------------------------------------------------------------------------------------------------

def test_ttl_is_at_most_an_hour_or_absent(service: Service, settings: Settings, seed_bytes: bytes,
                                          clock: ManualClock) -> None:
    """A reader counts ttl from its own fetch: a long one measured on a Sunday would miss Monday's issue."""
    service.ingest(drop(settings, "seed.txt", seed_bytes, 1_000))
    for name in ("rss.xml",):
        ttl = channel(settings).findtext("ttl")
        assert ttl is None or int(ttl) <= 60, f"{name}: ttl {ttl}"


# --- 3. freshness headers --------------------------------------------------------------------------------------

def max_age_of(headers: dict[str, str]) -> int:
    match = re.search(r"(?:^|[ ,])max-age=(\d+)", headers["Cache-Control"])
    assert match, headers["Cache-Control"]
    return int(match[1])


def head(url: str) -> dict[str, str]:
    with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=5) as response:
        return dict(response.headers)


@pytest.fixture(name="daemon")
def _daemon(tmp_path: Path, seed_bytes: bytes, clock: ManualClock) -> Iterator[Daemon]:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "seed.txt").write_bytes(seed_bytes)
    daemon = Daemon(Settings(inbox=inbox, data=tmp_path / "data", port=0, max_age_cap_days=30), clock)
    daemon.start()
    try:
        wait_for(lambda: (daemon.settings.public / "issues" / f"{SEED_DATE}.html").exists(), what="seed published")
        yield daemon
    finally:
        daemon.stop()


def test_max_age_grows_with_quiet_and_never_passes_the_resume_release(daemon: Daemon, clock: ManualClock) -> None:
    """Right after a change ≤ 10 minutes; three quiet days into the break ≥ 1 day, never past the 10-13 release."""
    public = daemon.settings.public
    for path in ("rss.xml", "atom.xml", "feed.json", f"issues/{SEED_DATE}.html"):
        headers = head(daemon.url + path)
        assert max_age_of(headers) <= 600, path
        assert max_age_of(headers) >= 300, path
    info = json.loads(fetch(daemon.url + "status.json")[1])
    assert 300 <= info["max_age_s"] <= 600

    # Three quiet days later (the service's clock and the files' age agree).
    clock.advance(days=3)
    quiet = time.time() - 3 * 86400
    for path in public.rglob("*"):
        if path.is_file():
            os.utime(path, (quiet, quiet))
    for path in ("rss.xml", "atom.xml", f"issues/{SEED_DATE}.html"):
        headers = head(daemon.url + path)
        age = max_age_of(headers)
        assert age >= 86400, path
        assert clock.now + timedelta(seconds=age) <= RESUME, path
        date_header = datetime.strptime(headers["Date"], "%a, %d %b %Y %H:%M:%S GMT")
        expires = datetime.strptime(headers["Expires"], "%a, %d %b %Y %H:%M:%S GMT")
        assert expires - date_header == timedelta(seconds=age), "Expires follows the same rule"
    info = json.loads(fetch(daemon.url + "status.json")[1])
    assert info["max_age_s"] >= 86400


# --- 4. an item that returns keeps its id -------------------------------------------------------------------

def test_a_restored_story_keeps_its_id(service: Service, settings: Settings, clock: ManualClock) -> None:
    titles = ("城市更新 老街焕新", "秋粮收获 农民增收", "节前市场 供应充足")
    day = date(2023, 9, 25)
    clock.now = datetime(2023, 9, 25, 9, tzinfo=TZ)
    service.ingest(drop(settings, "a.txt", issue_text(day, *titles), 1_000))
    first = {e.title: e.id for e in feedparser.parse((settings.public / "atom.xml").read_bytes()).entries}
    clock.advance(hours=1)
    service.ingest(drop(settings, "b.txt", issue_text(day, titles[0], titles[2]), 2_000))
    assert titles[1] not in {e.title for e in feedparser.parse((settings.public / "atom.xml").read_bytes()).entries}
    clock.advance(hours=1)
    # The third edition restores the story (and adds one, so it is not the first file again).
    service.ingest(drop(settings, "c.txt", issue_text(day, *titles, "读者来信 回音"), 3_000))
    again = feedparser.parse((settings.public / "atom.xml").read_bytes()).entries
    assert {e.title: e.id for e in again if e.title in titles} == first
    assert len(again) == len({e.id for e in again}) == 4
    restored = first[titles[1]].rsplit(":", 1)[1]
    assert (settings.public / "items" / f"{restored}.html").exists(), "its page is back"


# --- 5. distinct atom:updated ------------------------------------------------------------------------------------

def test_every_item_of_an_issue_has_its_own_updated_and_keeps_the_release_as_published(
        service: Service, settings: Settings, seed_bytes: bytes) -> None:
    service.ingest(drop(settings, "seed.txt", seed_bytes, 1_000))
    atom = etree.fromstring((settings.public / "atom.xml").read_bytes())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    updated = [e.findtext("a:updated", namespaces=ns) for e in atom.findall("a:entry", ns)]
    published = {e.findtext("a:published", namespaces=ns) for e in atom.findall("a:entry", ns)}
    assert len(updated) == 5 and len(set(updated)) == 5
    assert published == {"2023-09-27T06:00:00+08:00"}
    data = json.loads((settings.public / "feed.json").read_bytes())
    assert len({item["date_modified"] for item in data["items"]}) == 5
    before = (settings.public / "atom.xml").read_bytes()
    service.publish(everything=True)
    assert (settings.public / "atom.xml").read_bytes() == before


# --- 6. two authors -----------------------------------------------------------------------------------------------

def test_both_authors_are_shown_by_a_reader_that_shows_one(service: Service, settings: Settings,
                                                           seed_bytes: bytes) -> None:
    """The seed's first article is by 章斐然 and 王震: a single-author reader shows the joined byline."""
    service.ingest(drop(settings, "seed.txt", seed_bytes, 1_000))
    for name in ("rss.xml", "atom.xml"):
        entry = feedparser.parse((settings.public / name).read_bytes()).entries[0]
        assert entry.author == "章斐然、王震", name
    item = json.loads((settings.public / "feed.json").read_bytes())["items"][0]
    assert item["authors"] == [{"name": "章斐然"}, {"name": "王震"}]
