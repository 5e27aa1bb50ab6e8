"""`feedsvc withdraw DATE` (issue 9): an issue taken out on purpose leaves every feed and its pages answer 410 Gone;
deleting its file from the inbox never does that. Against a real `feedsvc run` process, read with feedparser."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import feedparser
import pytest
from conftest import (
    feedsvc,
    fetch,
    issue_text,
    publication_done,
    read_feeds,
    start_service,
    wait_for,
    wait_published,
)

pytestmark = pytest.mark.slow  # `feedsvc` subprocesses

AUGUST = date(2023, 8, 30)  # a closed month by the clock of these runs (09-28): it has archive documents
WITHDRAWN_IDS = (f"{AUGUST}-01", f"{AUGUST}-02")


def feed_documents(public: Path) -> list[str]:
    """Every feed document the site serves (main, sections, authors, archive months), as paths."""
    names = {"rss.xml", "atom.xml", "feed.json"}
    return sorted(str(p.relative_to(public)) for p in public.rglob("*")
                  if p.is_file() and (p.name in names or p.parent.name == "archive") and p.suffix != ".gz")


def drop_both(tmp_path: Path, seed_bytes: bytes, url: str) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "seed.txt").write_bytes(seed_bytes)
    (inbox / f"{AUGUST}.txt").write_text(issue_text(AUGUST, "暑期文旅 消费升温", "城市更新 老街焕新"))
    wait_published(url, date(2023, 9, 27), 5)
    wait_published(url, AUGUST, 2)
    wait_for(lambda: publication_done(tmp_path / "var"), what="the publication done")


def assert_gone(url: str) -> None:
    for path in (*(f"items/{i}.html" for i in WITHDRAWN_IDS), f"issues/{AUGUST}.html"):
        code, body = fetch(url + path)
        assert code == 410, path
        assert "withdrawn" in body.decode() and "撤回" in body.decode(), path


def test_withdraw_takes_an_issue_out_of_every_feed_and_its_pages_answer_410(tmp_path: Path,
                                                                          seed_bytes: bytes) -> None:
    public = tmp_path / "var" / "public"
    config = tmp_path / "six.toml"  # the main feed holds 6 of the 7 items: it has archive months
    config.write_text("[service]\nfeed_items = 6\n")
    with start_service(tmp_path, "--config", str(config)) as service:
        drop_both(tmp_path, seed_bytes, service.url)
        documents = feed_documents(public)
        holding = [d for d in documents if any(i in fetch(service.url + d)[1].decode() for i in WITHDRAWN_IDS)]
        assert "rss.xml" in holding and any(d.startswith("authors/") for d in holding)
        assert any("archive/2023-08" in d for d in holding)  # the month's archive held them too
        assert fetch(service.url + f"items/{WITHDRAWN_IDS[0]}.html")[0] == 200

        result = feedsvc("withdraw", str(AUGUST), "--data", str(tmp_path / "var"))
        assert result.stdout.strip().splitlines() == [
            f"withdrew the {AUGUST} issue: 2 items left the feeds, its pages answer 410 Gone"]
        wait_for(lambda: publication_done(tmp_path / "var"), what="the withdrawal published")

        for document in documents:
            code, body = fetch(service.url + document)
            # A feed no longer holds them; an archive month left with no item is gone altogether.
            assert code == 200 or (code == 404 and "archive/" in document), document
            assert not any(i in body.decode() for i in WITHDRAWN_IDS), document
        feeds = read_feeds(service.url)
        for parsed in feeds.values():
            assert len(parsed.entries) == 5 and all(str(AUGUST) not in e.id for e in parsed.entries)
        assert_gone(service.url)
        assert str(AUGUST) not in fetch(service.url)[1].decode()  # the index lists it no more
        lines = [line for line in service.output().splitlines() if str(AUGUST) in line]
        after = [line for line in lines if "Withdrawn" in line]
        assert len(after) == 1 and after[0].endswith(f"IssueWithdrawn issue_date={AUGUST} items=2"), after

        again = feedsvc("withdraw", str(AUGUST), "--data", str(tmp_path / "var"), check=False)
        assert again.returncode == 1 and again.stderr.strip().startswith(f"{AUGUST}: already withdrawn")
        assert service.stop() == 0

    with start_service(tmp_path, "--config", str(config)) as service:  # a restart: still gone, still out
        wait_for(lambda: publication_done(tmp_path / "var"), what="the start's publication")
        assert_gone(service.url)
        assert len(read_feeds(service.url)["rss.xml"].entries) == 5
        assert service.stop() == 0


def test_deleting_a_file_from_the_inbox_never_withdraws(tmp_path: Path, seed_bytes: bytes) -> None:
    with start_service(tmp_path) as service:
        drop_both(tmp_path, seed_bytes, service.url)
        (tmp_path / "inbox" / f"{AUGUST}.txt").unlink()
        (tmp_path / "inbox" / "seed.txt").unlink()
        assert service.stop() == 0
    with start_service(tmp_path) as service:  # the catch-up at start finds an empty inbox
        wait_for(lambda: publication_done(tmp_path / "var"), what="the start's publication")
        rss = feedparser.parse(fetch(service.url + "rss.xml")[1])
        assert {f"urn:feedsvc:item:{i}" for i in WITHDRAWN_IDS} <= {e.id for e in rss.entries}
        assert len(rss.entries) == 7
        assert fetch(service.url + f"items/{WITHDRAWN_IDS[0]}.html")[0] == 200
        assert "Withdrawn" not in service.output()
        assert service.stop() == 0


def test_withdraw_without_a_daemon_works_on_the_store_and_a_later_edition_brings_it_back(
        tmp_path: Path, seed_bytes: bytes) -> None:
    with start_service(tmp_path) as service:
        drop_both(tmp_path, seed_bytes, service.url)
        assert service.stop() == 0
    result = feedsvc("withdraw", str(AUGUST), "--data", str(tmp_path / "var"))  # no daemon: takes the lock
    assert result.returncode == 0 and "2 items left the feeds" in result.stdout
    assert not (tmp_path / "var" / "public" / "items" / f"{WITHDRAWN_IDS[0]}.html").exists()
    info = json.loads(feedsvc("status", "--json", "--data", str(tmp_path / "var")).stdout)
    assert [w["issue_date"] for w in info["withdrawn"]] == [str(AUGUST)]
    with start_service(tmp_path) as service:
        wait_for(lambda: publication_done(tmp_path / "var"), what="the start's publication")
        assert_gone(service.url)
        # The editor drops a corrected edition of the date: the latest act wins, the issue is back, same ids.
        corrected = issue_text(AUGUST, "暑期文旅 消费升温", "城市更新 老街焕新 (更正)")
        (tmp_path / "inbox" / f"{AUGUST}-v2.txt").write_text(corrected)
        wait_published(service.url, AUGUST, 2)
        rss = feedparser.parse(fetch(service.url + "rss.xml")[1])
        assert {f"urn:feedsvc:item:{i}" for i in WITHDRAWN_IDS} <= {e.id for e in rss.entries}
        assert fetch(service.url + f"items/{WITHDRAWN_IDS[0]}.html")[0] == 200
        assert fetch(service.url + f"issues/{AUGUST}.html")[0] == 200
        assert service.stop() == 0
