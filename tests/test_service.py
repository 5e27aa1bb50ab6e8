"""The service in-process: real parser, real SQLite file, real publisher on disk, a clock the tests move."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from conftest import ManualClock, issue_text

from feedsvc.config import Settings
from feedsvc.service import Service
from feedsvc.wiring import open_service

pytestmark = pytest.mark.slow  # a full service (store, publisher) per test

TZ = ZoneInfo("Asia/Shanghai")
SEED_TITLES = [
    "打造数字时代城市核心竞争力 192城沪上共话",
    "商务部: 8月社会消费品 零售总额同比增长4.6%",
    "七部门: 电子产品 升级换代潜力巨大",
    "山东新泰: 秋粮收获忙",
    "休刊通知",
]


@pytest.fixture(name="clock")
def _clock() -> ManualClock:
    """The day after the seed issue: 2023-09-28 09:00 in Shanghai."""
    return ManualClock(datetime(2023, 9, 28, 9, 0, tzinfo=TZ))


@pytest.fixture(name="service")
def _service(settings: Settings, clock: ManualClock):
    """A service on the temporary folders; closed after the test."""
    service = open_service(settings, clock)
    yield service
    service.close()


def drop(settings: Settings, name: str, content: str | bytes, mtime: float | None = None) -> Path:
    path = settings.inbox / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def feed(settings: Settings, name: str = "rss.xml") -> feedparser.FeedParserDict:
    parsed = feedparser.parse((settings.public / name).read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def titles(settings: Settings, name: str = "rss.xml") -> list[str]:
    return [e.title for e in feed(settings, name).entries]


def test_empty_store_serves_valid_empty_feeds(service: Service, settings: Settings) -> None:
    service.recover()
    for name in ("rss.xml", "atom.xml"):
        assert feed(settings, name).entries == []
    assert (settings.public / "feed.json").exists()
    assert (settings.public / "index.html").exists()


def test_seed_issue_reaches_every_feed(service: Service, settings: Settings, seed_path: Path) -> None:
    shutil.copy(seed_path, settings.inbox)
    assert service.ingest(settings.inbox / seed_path.name)
    for name in ("rss.xml", "atom.xml"):
        assert titles(settings, name) == SEED_TITLES
    assert [e["title"] for e in json.loads((settings.public / "feed.json").read_text())["items"]] == SEED_TITLES
    first = feed(settings).entries[0]
    assert first.link.startswith("http://feeds.example/items/")
    page = settings.public / first.link.removeprefix("http://feeds.example/")
    assert page.exists()
    assert (settings.public / "issues" / "2023-09-27.html").exists()


def test_same_content_under_another_name_changes_nothing(service: Service, settings: Settings,
                                                         seed_bytes: bytes) -> None:
    service.ingest(drop(settings, "a.txt", seed_bytes))
    before = {p: p.read_bytes() for p in settings.public.rglob("*") if p.is_file()}
    assert not service.ingest(drop(settings, "b.txt", seed_bytes))
    after = {p: p.read_bytes() for p in settings.public.rglob("*") if p.is_file()}
    assert before == after
    assert service.status()["issue_count"] == 1


def test_corrected_edition_updates_in_place(service: Service, settings: Settings, seed_bytes: bytes,
                                            clock: ManualClock) -> None:
    service.ingest(drop(settings, "first.txt", seed_bytes, mtime=1_000))
    ids = [e.id for e in feed(settings).entries]
    text = seed_bytes.decode()
    photo = text[text.index("山东新泰: 秋粮收获忙") : text.index("休刊通知")]
    corrected = text.replace("3.79万亿元", "3.80万亿元").replace(photo, "")
    clock.advance(hours=1)
    assert service.ingest(drop(settings, "second.txt", corrected, mtime=2_000))
    entries = feed(settings, "atom.xml").entries  # Atom carries <updated>; RSS has only pubDate
    assert [e.title for e in entries] == [t for t in SEED_TITLES if t != "山东新泰: 秋粮收获忙"]
    assert [e.id for e in entries] == [i for n, i in enumerate(ids) if n != 3]
    changed = next(e for e in entries if e.title == SEED_TITLES[1])
    unchanged = next(e for e in entries if e.title == SEED_TITLES[2])
    assert "3.80万亿元" in changed.content[0].value
    assert changed.updated_parsed != unchanged.updated_parsed
    assert service.status()["issue_count"] == 1


def test_older_file_for_the_same_date_is_not_the_edition_in_force(service: Service, settings: Settings,
                                                                  seed_bytes: bytes) -> None:
    service.ingest(drop(settings, "new.txt", seed_bytes, mtime=2_000))
    older = seed_bytes.decode().replace("3.79万亿元", "9.99万亿元")
    assert not service.ingest(drop(settings, "old.txt", older, mtime=1_000))
    assert "9.99" not in (settings.public / "rss.xml").read_text()


def test_garbage_is_rejected_with_its_reason_and_feeds_stay(service: Service, settings: Settings,
                                                             seed_bytes: bytes) -> None:
    service.ingest(drop(settings, "seed.txt", seed_bytes))
    before = (settings.public / "rss.xml").read_bytes()
    assert not service.ingest(drop(settings, "junk.bin", bytes(range(256)) * 40))
    assert not service.ingest(drop(settings, "empty.txt", b""))
    rejected = {r["file"]: r["reason"] for r in service.status()["rejected"]}
    assert set(rejected) == {"junk.bin", "empty.txt"}
    assert all(reason for reason in rejected.values())
    assert (settings.public / "rss.xml").read_bytes() == before
    assert sorted(p.name for p in settings.inbox.iterdir()) == ["empty.txt", "junk.bin", "seed.txt"]


def test_issue_on_a_declared_suspension_date_is_held_until_released(service: Service, settings: Settings,
                                                                     seed_bytes: bytes, clock: ManualClock) -> None:
    service.ingest(drop(settings, "seed.txt", seed_bytes))
    clock.now = datetime(2023, 10, 4, 9, tzinfo=TZ)  # the paper appeared on a suspended date after all
    service.ingest(drop(settings, "2023-10-04.txt", issue_text(date(2023, 10, 4), "节日特刊 假期见闻")))
    held = service.status()["held"]
    assert held == [{"file": "2023-10-04.txt", "issue_date": "2023-10-04",
                     "reason": "2023-10-04 is a declared suspension date (休刊通知 of 2023-09-27)"}]
    assert "节日特刊 假期见闻" not in titles(settings)
    service.release(date(2023, 10, 4))
    assert titles(settings)[0] == "节日特刊 假期见闻"
    assert service.status()["held"] == []


def test_future_issue_waits_for_its_release_time_across_a_restart(settings: Settings, clock: ManualClock,
                                                                  seed_bytes: bytes) -> None:
    service = open_service(settings, clock)
    service.ingest(drop(settings, "seed.txt", seed_bytes))
    service.ingest(drop(settings, "2023-10-13.txt", issue_text(date(2023, 10, 13), "复刊首期 城市新貌")))
    assert "复刊首期 城市新貌" not in titles(settings)
    assert service.status()["held"][0]["issue_date"] == "2023-10-13"
    assert not (settings.public / "issues" / "2023-10-13.html").exists()
    service.close()

    clock.now = datetime(2023, 10, 13, 5, 59, tzinfo=TZ)
    service = open_service(settings, clock)
    service.recover()
    assert "复刊首期 城市新貌" not in titles(settings)
    clock.now = datetime(2023, 10, 13, 6, 0, tzinfo=TZ)
    service.release_due()
    assert titles(settings)[0] == "复刊首期 城市新貌"
    assert (settings.public / "issues" / "2023-10-13.html").exists()
    service.close()


def test_release_that_fell_due_while_down_is_published_at_start(settings: Settings, clock: ManualClock) -> None:
    service = open_service(settings, clock)
    service.ingest(drop(settings, "2023-10-13.txt", issue_text(date(2023, 10, 13), "复刊首期 城市新貌")))
    service.close()
    clock.now = datetime(2023, 10, 14, 9, 0, tzinfo=TZ)
    service = open_service(settings, clock)
    service.recover()
    assert titles(settings) == ["复刊首期 城市新貌"]
    service.close()


def test_no_missing_warning_during_the_suspension(service: Service, settings: Settings, seed_bytes: bytes,
                                                  clock: ManualClock) -> None:
    service.ingest(drop(settings, "seed.txt", seed_bytes))
    start = clock.now
    for hours in range(0, 15 * 24, 5):  # 09-28 through 10-13 08:00, before the resume issue's grace ends
        clock.now = start + timedelta(hours=hours)
        assert service.check_missing() == [], clock.now
    assert service.status()["missing"] == []


def test_an_expected_issue_that_does_not_arrive_warns_exactly_once(service: Service, settings: Settings,
                                                                   seed_bytes: bytes, clock: ManualClock,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    service.ingest(drop(settings, "seed.txt", seed_bytes))
    service.ingest(drop(settings, "2023-10-13.txt", issue_text(date(2023, 10, 13), "复刊首期 城市新貌")))
    clock.now = datetime(2023, 10, 16, 7, 59, tzinfo=TZ)
    assert service.check_missing() == []  # grace period not over
    clock.now = datetime(2023, 10, 16, 8, 0, tzinfo=TZ)
    with caplog.at_level("WARNING"):
        assert service.check_missing() == [date(2023, 10, 16)]
        clock.advance(hours=3)
        assert service.check_missing() == []
    assert [r for r in caplog.records if "IssueMissing" in r.getMessage()] != []
    assert len([r for r in caplog.records if "IssueMissing" in r.getMessage()]) == 1
    assert service.status()["missing"] == ["2023-10-16"]


def test_status_during_the_suspension(service: Service, settings: Settings, seed_bytes: bytes) -> None:
    service.ingest(drop(settings, "seed.txt", seed_bytes))
    info = service.status()
    assert info["issue_count"] == 1
    assert info["last_issue"] == "2023-09-27"
    assert info["next_expected"] == "2023-10-13"
    assert info["on_break_until"] == "2023-10-13"
    assert info["notices"][0]["suspends"][0] == "2023-09-29"
    assert info["missing"] == [] and info["held"] == [] and info["rejected"] == []


def test_freshness_right_after_the_issue_is_short(service: Service, settings: Settings, seed_bytes: bytes) -> None:
    """The feed just changed: readers come back within minutes, whatever the break ahead (no ttl in the feed)."""
    service.ingest(drop(settings, "seed.txt", seed_bytes))
    assert "<ttl>" not in (settings.public / "rss.xml").read_text()
    assert 300 <= service.status()["max_age_s"] <= 600


def test_rebuild_is_byte_identical(service: Service, settings: Settings, seed_bytes: bytes) -> None:
    service.ingest(drop(settings, "seed.txt", seed_bytes))
    before = {p: p.read_bytes() for p in settings.public.rglob("*") if p.is_file()}
    service.publish(everything=True)
    after = {p: p.read_bytes() for p in settings.public.rglob("*") if p.is_file()}
    assert before == after


def test_no_missing_issue_before_the_service_began_watching(service: Service, clock: ManualClock) -> None:
    """A first start on 2023-09-28 is no news that the 09-27 issue went missing; the next expected one is."""
    assert service.check_missing() == []
    clock.now = datetime(2023, 9, 29, 8, 0, tzinfo=TZ)
    assert service.check_missing() == [date(2023, 9, 29)]


def test_cache_hints_reach_the_resume_release_when_the_cap_allows(tmp_path: Path, clock: ManualClock,
                                                                  seed_bytes: bytes) -> None:
    """A feed quiet for a month, a day before the resume release: max-age runs exactly to it."""
    settings = Settings(inbox=tmp_path, data=tmp_path / "data", base_url="http://feeds.example/", max_age_cap_days=30)
    service = open_service(settings, clock)
    service.ingest(drop(settings, "seed.txt", seed_bytes))
    clock.now = datetime(2023, 10, 12, 6, tzinfo=TZ)
    month_ago = datetime.now(UTC) - timedelta(days=30)
    assert service.max_age(month_ago) == 24 * 3600
    service.close()


def test_a_year_crossing_notice_through_the_service(service: Service, settings: Settings,
                                                    clock: ManualClock) -> None:
    """A notice of Friday 2024-12-27 suspends Monday 12-30 and Wednesday 1 January; the paper resumes 1-3."""
    notice = "元旦期间，本报12月30日(星期一)、1月1日(星期三)休刊两期，1月3日(星期五)正常出版。"
    clock.now = datetime(2024, 12, 27, 9, tzinfo=TZ)  # within a year of the issue date (sanity.py)
    service.ingest(drop(settings, "2024-12-27.txt", issue_text(date(2024, 12, 27), "岁末年终 盘点", notice=notice)))
    clock.now = datetime(2024, 12, 28, 9, tzinfo=TZ)
    info = service.status()
    assert info["notices"][0]["suspends"] == ["2024-12-30", "2025-01-01"]
    assert info["next_expected"] == "2025-01-03"
    assert info["on_break_until"] == "2025-01-03"
    clock.now = datetime(2025, 1, 1, 9, tzinfo=TZ)
    service.ingest(drop(settings, "2025-01-01.txt", issue_text(date(2025, 1, 1), "新年特刊")))
    assert service.status()["held"][0]["issue_date"] == "2025-01-01"
    assert "新年特刊" not in titles(settings)
    clock.now = datetime(2025, 1, 3, 7, 59, tzinfo=TZ)
    assert service.check_missing() == []  # 12-30 and 1-1 were suspended: nothing is missing yet
    clock.now = datetime(2025, 1, 3, 8, 0, tzinfo=TZ)
    assert service.check_missing() == [date(2025, 1, 3)]  # the resume issue itself is expected


def test_a_range_notice_through_the_service(service: Service, settings: Settings, clock: ManualClock) -> None:
    """`1月22日(星期一)至1月26日(星期五)休刊三期` covers Mon, Wed and Fri of that week on a Mon/Wed/Fri paper."""
    notice = "因春节放假，本报1月22日(星期一)至1月26日(星期五)休刊三期，1月29日(星期一)恢复出版。"
    clock.now = datetime(2024, 1, 19, 9, tzinfo=TZ)
    service.ingest(drop(settings, "2024-01-19.txt", issue_text(date(2024, 1, 19), "年货市场 供应充足", notice=notice)))
    info = service.status()
    assert info["notices"][0]["suspends"] == ["2024-01-22", "2024-01-24", "2024-01-26"]
    assert info["next_expected"] == "2024-01-29"
    for day in (22, 24, 26):
        clock.now = datetime(2024, 1, day, 9, tzinfo=TZ)
        assert service.check_missing() == []
    rss = (settings.public / "rss.xml").read_text()
    assert "年货市场 供应充足" in rss and "休刊通知" in rss


def test_a_release_taken_along_by_another_publication_gets_its_pages(service: Service, settings: Settings,
                                                                     seed_bytes: bytes, clock: ManualClock) -> None:
    """A drop published after a held issue's release time, before its job ran, publishes that issue whole."""
    service.ingest(drop(settings, "seed.txt", seed_bytes))
    service.ingest(drop(settings, "2023-10-13.txt", issue_text(date(2023, 10, 13), "复刊首期 城市新貌")))
    clock.now = datetime(2023, 10, 13, 7, tzinfo=TZ)
    service.ingest(drop(settings, "2023-10-16.txt", issue_text(date(2023, 10, 16), "下周预告")))  # not due yet
    assert titles(settings)[0] == "复刊首期 城市新貌"
    assert (settings.public / "issues" / "2023-10-13.html").exists()
    links = [e.link for e in feed(settings).entries if e.title == "复刊首期 城市新貌"]
    assert links and (settings.public / links[0].removeprefix("http://feeds.example/")).exists()


def test_an_item_that_leaves_its_section_leaves_the_section_feed(service: Service, settings: Settings,
                                                                 seed_bytes: bytes, clock: ManualClock) -> None:
    service.ingest(drop(settings, "first.txt", seed_bytes, mtime=1_000))
    slug = service.publication.publisher.section_slug("权威发布")
    section_feed = f"sections/{slug}/rss.xml"
    assert titles(settings, section_feed) == [SEED_TITLES[0]]
    corrected = seed_bytes.decode().replace("\n权威发布\n", "\n")
    clock.advance(hours=1)
    assert service.ingest(drop(settings, "second.txt", corrected, mtime=2_000))
    assert titles(settings, section_feed) == []
    assert titles(settings)[0] == SEED_TITLES[0]
