"""Readable slugs for sections and authors: pinyin, stable, collision-safe, and the old hash URLs redirected."""

from __future__ import annotations

import http.client
import re
import shutil
from pathlib import Path

import feedparser
import pytest
from conftest import SEEDS, fetch, publication_done, start_service, wait_for

from feedsvc.slugs import Slugs, legacy, reading
from feedsvc.store import Store

SEED_SECTION = "权威发布"  # the seed issue's one column tag
SEED_AUTHOR = "章斐然"


@pytest.fixture(name="database")
def _database(tmp_path: Path) -> Path:
    path = tmp_path / "feedsvc.sqlite"
    Store(path).close()  # the schema, as the service makes it
    return path


@pytest.mark.parametrize(("name", "slug"), [
    ("经济", "jing-ji"),
    ("章斐然", "zhang-fei-ran"),
    ("评论 / 观点", "ping-lun-guan-dian"),
    ("NBA 专栏", "nba-zhuan-lan"),
    ("Ｆ１赛车", "f1-sai-che"),  # full-width Latin and digits read as ASCII
    ("Zoë 访谈", "zoe-fang-tan"),
    ("吕梁", "lv-liang"),
])
def test_a_slug_reads_as_the_name_sounds(name: str, slug: str) -> None:
    assert reading(name) == slug


def test_a_name_with_nothing_to_read_keeps_its_hash() -> None:
    assert reading("★ ☆") == legacy("★ ☆")
    assert re.fullmatch(r"[0-9a-f]{12}", reading("★ ☆"))


def test_a_long_name_is_cut_at_a_syllable() -> None:
    slug = reading("中华人民共和国国家发展和改革委员会新闻发布会特别报道专栏")
    assert len(slug) <= 60 and not slug.endswith("-")
    assert slug.startswith("zhong-hua-ren-min-gong-he-guo")


def test_names_that_read_alike_get_distinct_slugs_kept_across_reopening(database: Path) -> None:
    slugs = Slugs(database)
    assert reading("张伟") == reading("章伟") == "zhang-wei"
    assert [slugs.author("张伟"), slugs.author("章伟"), slugs.author("张卫")] == ["zhang-wei", "zhang-wei-2",
                                                                                 "zhang-wei-3"]
    assert slugs.section("张伟") == "zhang-wei"  # sections and authors live in different folders
    slugs.close()
    again = Slugs(database)  # a rebuild, another process: asked in another order, the same answers
    assert [again.author("张卫"), again.author("章伟"), again.author("张伟")] == ["zhang-wei-3", "zhang-wei-2",
                                                                               "zhang-wei"]
    again.close()


def test_two_processes_agree_on_a_new_name(database: Path) -> None:
    first, second = Slugs(database), Slugs(database)
    assert first.author("张伟") == "zhang-wei"
    assert second.author("章伟") == "zhang-wei-2"  # second read the table before choosing
    assert first.author("章伟") == "zhang-wei-2"
    assert second.author("张伟") == "zhang-wei"
    first.close()
    second.close()


def test_a_reading_that_is_another_names_suffixed_slug_is_not_given_twice(database: Path) -> None:
    slugs = Slugs(database)
    assert slugs.section("经济") == "jing-ji"
    assert slugs.section("京籍") == "jing-ji-2"
    assert slugs.section("经济2") == "jing-ji-2-2"  # its own reading, jing-ji-2, is taken
    slugs.close()


def test_old_urls_are_known_only_for_names_that_have_a_new_one(database: Path) -> None:
    slugs = Slugs(database)
    slug = slugs.section("经济")
    assert slugs.moved(f"/sections/{legacy('经济')}/rss.xml") == f"/sections/{slug}/rss.xml"
    assert slugs.moved(f"/sections/{legacy('经济')}") == f"/sections/{slug}/"
    assert slugs.moved(f"/authors/{legacy('经济')}/rss.xml") is None  # a section, not an author
    assert slugs.moved("/sections/0123456789ab/rss.xml") is None
    assert slugs.moved("/sections/jing-ji/rss.xml") is None
    slugs.close()


def _get(port: int, path: str) -> tuple[int, str | None]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status, response.getheader("Location")
    finally:
        conn.close()


@pytest.mark.slow
def test_the_old_hash_urls_answer_with_a_permanent_redirect(tmp_path: Path) -> None:
    """Readers subscribed to /sections/<hash>/rss.xml (and authors') are sent, 301, to the readable URL, which
    serves the same feed; the feed's id did not change."""
    (tmp_path / "inbox").mkdir()
    shutil.copy(SEEDS / "000_90b6bc3011e581f6.txt", tmp_path / "inbox" / "seed.txt")
    with start_service(tmp_path) as service:
        wait_for(lambda: publication_done(tmp_path / "var"), what="the seed published")
        for folder, name, slug in (("sections", SEED_SECTION, "quan-wei-fa-bu"),
                                   ("authors", SEED_AUTHOR, "zhang-fei-ran")):
            for file in ("rss.xml", "atom.xml", "feed.json"):
                assert _get(service.port, f"/{folder}/{legacy(name)}/{file}?x=1") == (
                    301, f"/{folder}/{slug}/{file}?x=1")
            status, body = fetch(f"{service.url}{folder}/{legacy(name)}/atom.xml")  # urllib follows the 301
            assert status == 200
            atom = feedparser.parse(body)
            assert atom.feed.id == f"urn:feedsvc:feed:{folder[:-1]}:{legacy(name)}"
            assert {link.rel: link.href for link in atom.feed.links}["self"] == f"{service.url}{folder}/{slug}/atom.xml"
        assert _get(service.port, f"/sections/{legacy('没有的栏目')}/rss.xml")[0] == 404
        service.stop()
