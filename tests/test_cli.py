"""The command line, run as a user runs it: the installed `feedsvc` script in a subprocess."""

from __future__ import annotations

import json
import shutil
import socket
from datetime import date
from pathlib import Path

import feedparser
import pytest
from conftest import feedsvc, issue_text, publication_done, start_service, wait_entries, wait_for

pytestmark = pytest.mark.slow  # `feedsvc` subprocesses


def test_parse_json_has_the_documented_shape(seed_path: Path) -> None:
    issue = json.loads(feedsvc("parse", "--json", str(seed_path)).stdout)
    assert issue["source"] == seed_path.name
    assert issue["encoding"] == "utf-8"
    assert issue["issue_date"] == "2023-09-27"
    assert [item["ordinal"] for item in issue["items"]] == [1, 2, 3, 4, 5]
    assert [item["kind"] for item in issue["items"]] == ["article", "article", "article", "photo", "notice"]
    assert issue["items"][0]["section"] == "权威发布"
    assert issue["items"][0]["authors"] == ["章斐然", "王震"]
    assert len(issue["items"][0]["subheads"]) == 3
    assert issue["suspension"]["resume"] == "2023-10-13"
    assert issue["suspension"]["declared_count"] == 6
    assert isinstance(issue["warnings"], list)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02\xff" * 64, "text"),
        ("今天天气很好。\n".encode(), "date"),
    ],
)

def test_parse_errors_are_one_line_naming_the_file(tmp_path: Path, content: bytes, reason: str) -> None:
    bad = tmp_path / "bad-issue.txt"
    bad.write_bytes(content)
    result = feedsvc("parse", str(bad), check=False)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "bad-issue.txt" in lines[0] and reason in lines[0].lower()
    assert "Traceback" not in result.stderr


def test_ingest_build_status_and_release(tmp_path: Path, seed_path: Path) -> None:
    data = tmp_path / "var"
    archive = tmp_path / "archive"
    archive.mkdir()
    shutil.copy(seed_path, archive)
    (archive / "2023-10-04.txt").write_text(issue_text(date(2023, 10, 4), "节日特刊 假期见闻"))
    (archive / "broken.txt").write_bytes(b"\xff\xfe\x00" * 100)
    result = feedsvc("ingest", "--data", str(data), *map(str, sorted(archive.iterdir())),
                     env={"FEEDSVC_NOW": "2023-10-04T09:00:00+08:00"}, check=False)
    assert "2 of 3" in result.stdout
    assert result.returncode == 1 and "failed: broken.txt: " in result.stderr  # listed at the end, not hidden

    info = json.loads(feedsvc("status", "--json", "--data", str(data)).stdout)
    assert info["issue_count"] == 2
    assert info["last_issue"] == "2023-09-27"  # on 09-28 the 10-04 issue has not come out yet
    assert info["next_expected"] == "2023-10-13"
    assert info["held"][0]["issue_date"] == "2023-10-04"
    assert [r["file"] for r in info["rejected"]] == ["broken.txt"]
    assert info["missing"] == []
    rss = feedparser.parse((data / "public" / "rss.xml").read_bytes())
    assert len(rss.entries) == 5 and not rss.bozo
    # The pages the feed links to are left to their first request (tests/test_backfill.py) or to `build`.
    site = "http://127.0.0.1:8080/"
    assert not (data / "public" / "issues" / "2023-09-27.html").exists()

    feedsvc("release", "2023-10-04", "--data", str(data), env={"FEEDSVC_NOW": "2023-10-04T09:00:00+08:00"})
    rss = feedparser.parse((data / "public" / "rss.xml").read_bytes())
    assert rss.entries[0].title == "节日特刊 假期见闻"

    (data / "public" / "rss.xml").unlink()
    feedsvc("build", "--data", str(data), env={"FEEDSVC_NOW": "2023-10-04T09:00:00+08:00"})
    rss = feedparser.parse((data / "public" / "rss.xml").read_bytes())
    assert len(rss.entries) == 6
    assert all((data / "public" / e.link.removeprefix(site)).is_file() for e in rss.entries)
    assert (data / "public" / "issues" / "2023-09-27.html").is_file()
    assert "next expected" in feedsvc("status", "--data", str(data)).stdout


def test_release_of_an_unknown_date_is_a_clear_error(tmp_path: Path) -> None:
    result = feedsvc("release", "2023-10-04", "--data", str(tmp_path / "var"), check=False)
    assert result.returncode != 0 and "2023-10-04" in result.stderr and "Traceback" not in result.stderr


def test_bad_config_names_the_key(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[paper]\nweekdays = ["mon", "funday"]\n')
    result = feedsvc("status", "--config", str(config), "--data", str(tmp_path), check=False)
    assert result.returncode != 0 and "paper.weekdays" in result.stderr and "Traceback" not in result.stderr


def test_sigterm_stops_the_service_cleanly(tmp_path: Path, seed_bytes: bytes) -> None:
    with start_service(tmp_path) as service:
        (tmp_path / "inbox" / "seed.txt").write_bytes(seed_bytes)
        wait_entries(service.url, 5)
        assert service.stop() == 0


def test_kill_9_then_restart_loses_nothing(tmp_path: Path, seed_bytes: bytes) -> None:
    inbox, data = tmp_path / "inbox", tmp_path / "var"
    with start_service(tmp_path) as service:
        (inbox / "seed.txt").write_bytes(seed_bytes)
        wait_entries(service.url, 5)
        (inbox / "2023-09-25.txt").write_text(issue_text(date(2023, 9, 25), "周一要闻 城市更新"))
        service.kill()
    with start_service(tmp_path) as service:
        parsed = wait_entries(service.url, 6)
        wait_for(lambda: publication_done(data), what="the publication done")
        titles = [e.title for e in parsed.entries]
        assert len(titles) == len(set(titles)) == 6
        assert not [p for p in data.rglob(".*") if p.is_file()], "temp files left behind"
        assert service.stop() == 0


def test_commands_read_the_config_named_by_feedsvc_config(tmp_path: Path, seed_path: Path) -> None:
    config = tmp_path / "paper.toml"
    config.write_text(f'[paper]\ntitle = "测试晚报"\n[service]\ndata = "{tmp_path / "var"}"\n')
    feedsvc("ingest", str(seed_path), env={"FEEDSVC_CONFIG": str(config)})
    assert feedparser.parse((tmp_path / "var" / "public" / "rss.xml").read_bytes()).feed.title == "测试晚报"


def test_a_port_in_use_is_a_one_line_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = feedsvc("run", "--inbox", str(tmp_path / "inbox"), "--data", str(tmp_path / "var"),
                         "--port", str(port), check=False)
    assert result.returncode != 0 and "cannot start" in result.stderr and "Traceback" not in result.stderr


def test_flags_are_validated_like_the_config_file(tmp_path: Path) -> None:
    """Each error names where the value came from: the environment variable, or the flag."""
    result = feedsvc("status", "--data", str(tmp_path), check=False, env={"FEEDSVC_PORT": "70000"})
    assert result.returncode != 0 and "FEEDSVC_PORT" in result.stderr
    result = feedsvc("run", "--data", str(tmp_path), "--port", "70000", check=False)
    assert result.returncode != 0 and "--port" in result.stderr and "Traceback" not in result.stderr


def test_json_logs_carry_each_events_fields(tmp_path: Path, seed_bytes: bytes) -> None:
    """`--log-format json`: one JSON object a line, events with their fields, for log shippers."""
    with start_service(tmp_path, "--log-format", "json") as service:
        (tmp_path / "inbox" / "seed.txt").write_bytes(seed_bytes)
        wait_entries(service.url, 5)
        assert service.stop() == 0
    records = [json.loads(line) for line in service.output().splitlines() if line.strip()]
    received = [r for r in records if r.get("event") == "IssueReceived"]
    assert received and received[0]["issue_date"] == "2023-09-27" and received[0]["file"] == "seed.txt"
