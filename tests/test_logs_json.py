"""`--log-format json` (README "Logs for machines"): every line the service writes is one JSON object, whatever
happens: events, rejections of files with line breaks in their names, warnings, a start that fails, and
tracebacks of uncaught exceptions in any thread."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import CLI_NOW, FeedsvcRun, feedsvc, issue_text, wait_for, wait_published

pytestmark = pytest.mark.slow


def records(text: str) -> list[dict]:
    """Each line (as str.splitlines() cuts them, the strictest reader) as one JSON object."""
    lines = text.splitlines()
    assert lines
    out = []
    for line in lines:
        record = json.loads(line)
        assert isinstance(record, dict), line
        assert {"time", "level", "logger", "message"} <= record.keys(), line
        out.append(record)
    return out


def test_a_service_day_in_json(tmp_path: Path, seed_path: Path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    day = date(2023, 9, 25)
    (inbox / f"{day}.txt").write_text(issue_text(day, "城市更新"), encoding="utf-8")
    odd = "note\n IssueReleased issue_date=forged\u2028x\x85y.txt"  # line breaks of every kind in a name
    (inbox / odd).write_text("没有日期\n", encoding="utf-8")
    with FeedsvcRun(inbox, tmp_path / "data", tmp_path / "service.log", "--log-format", "json",
                    env={"FEEDSVC_NOW": CLI_NOW}) as service:
        wait_published(service.url, day, 1)
        (inbox / "2023-09-27.txt").write_bytes(seed_path.read_bytes())
        (inbox / "2023-09-27-1.png").write_bytes(b"not a png")  # a photo that cannot be used: a warning
        wait_published(service.url, date(2023, 9, 27), 5)
        wait_for(lambda: "2023-09-27-1.png" in service.output(), 10, "the photo refused")
        assert service.stop() == 0
    logged = records((tmp_path / "service.log").read_text(encoding="utf-8"))
    by_event = {}
    for record in logged:
        by_event.setdefault(record.get("event"), []).append(record)
    rejected = by_event["IssueRejected"]
    assert [r["file"] for r in rejected] == [odd] and rejected[0]["level"] == "warning"
    assert "no issue date" in rejected[0]["reason"]
    released = {r["issue_date"]: r["items"] for r in by_event["IssueReleased"]}
    assert released == {"2023-09-25": 1, "2023-09-27": 5}  # the forged line in the name made none
    assert len(by_event["ItemPublished"]) == 6
    assert all(r["logger"] == "feedsvc" and r["level"] == "info" for r in by_event["ItemPublished"])
    assert any("2023-09-27-1.png" in r["message"] and r["level"] == "warning" for r in logged)
    assert logged[-1]["message"] == "stopped"


def test_tracebacks_and_warnings_are_one_line_each(tmp_path: Path):
    program = (
        "import threading, warnings\n"
        "from feedsvc import logs\n"
        "logs.setup('json')\n"
        "thread = threading.Thread(target=lambda: 1 / 0, name='worker')\n"
        "thread.start(); thread.join()\n"
        "warnings.warn('careful\\nnow')\n"
        "raise RuntimeError('boom\\nsecond line')\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and result.stdout == ""
    thread, warning, main = records(result.stderr)
    assert thread["level"] == "critical" and "worker" in thread["message"]
    assert "Traceback" in thread["exception"] and "ZeroDivisionError" in thread["exception"]
    assert warning["logger"] == "py.warnings" and "careful\nnow" in warning["message"]
    assert main["level"] == "critical" and main["exception"].rstrip().endswith("RuntimeError: boom\nsecond line")


def test_a_start_that_fails_says_so_in_json(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        (tmp_path / "inbox").mkdir()
        result = feedsvc("run", "--inbox", str(tmp_path / "inbox"), "--data", str(tmp_path / "data"),
                         "--port", str(port), "--log-format", "json", check=False)
    assert result.returncode == 1
    (record,) = records(result.stderr)
    assert record["level"] == "error" and record["message"].startswith("cannot start:")
