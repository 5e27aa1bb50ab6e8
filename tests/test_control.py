"""The control channel (issue 9, "What was seen" 4 and 9): the operator's commands go to the running daemon over
`feedsvc.sock`, so its address and its state are used; the public /status.json shows readers no file names."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import feedparser
import pytest
from conftest import (
    FeedsvcRun,
    feedsvc,
    fetch,
    issue_text,
    publication_done,
    start_service,
    wait_for,
    wait_published,
)

from feedsvc.control import SOCKET_FILE

pytestmark = pytest.mark.slow  # `feedsvc` subprocesses

OCT4 = "2023-10-04T09:00:00+08:00"  # inside the seed's declared break (09-29 … 10-11)


def test_the_socket_is_private_and_lives_with_the_daemon(tmp_path: Path) -> None:
    sock = tmp_path / "var" / SOCKET_FILE
    with start_service(tmp_path) as service:
        info = sock.stat()
        assert stat.S_ISSOCK(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600
        assert service.stop() == 0
    assert not sock.exists()
    with start_service(tmp_path) as service:
        service.kill()  # kill -9 leaves the socket file behind: nobody answers on it
    assert sock.exists()
    result = feedsvc("build", "--data", str(tmp_path / "var"))  # works directly, under the lock
    assert result.stdout.strip() == "every feed and page written again"


def test_release_build_and_ingest_beside_the_daemon_keep_its_address_and_state(tmp_path: Path,
                                                                               seed_bytes: bytes) -> None:
    """Seen: with the daemon on its own port, `feedsvc release` rewrote every link to port 8080, and after a
    `feedsvc ingest` beside it the daemon's next publication left the backfilled issues out of index.html."""
    data, env = tmp_path / "var", {"FEEDSVC_NOW": OCT4}
    archive = tmp_path / "archive"
    archive.mkdir()
    backfill = [date(2023, 8, 28), date(2023, 8, 30)]
    for day in backfill:
        (archive / f"{day}.txt").write_text(issue_text(day, f"往期 {day.day}日要闻"))
    with start_service(tmp_path, now=OCT4) as service:
        (tmp_path / "inbox" / "seed.txt").write_bytes(seed_bytes)
        (tmp_path / "inbox" / "2023-10-04.txt").write_text(issue_text(date(2023, 10, 4), "节日特刊 假期见闻"))
        wait_published(service.url, date(2023, 9, 27), 5)
        wait_for(lambda: "2023-10-04.txt held" in feedsvc("status", "--data", str(data), env=env).stdout,
                 what="the 10-04 issue held on its suspended date")

        result = feedsvc("release", "2023-10-04", "--data", str(data), env=env)
        assert result.stdout.strip() == "released the 2023-10-04 issue: 1 items are public"
        wait_published(service.url, date(2023, 10, 4), 1)
        rss = feedparser.parse(fetch(service.url + "rss.xml")[1])
        assert rss.entries[0].title == "节日特刊 假期见闻"
        assert all(e.link.startswith(service.url) for e in rss.entries)
        assert "IssueReleased issue_date=2023-10-04 items=1" in service.output()  # the daemon did it

        ingested = feedsvc("ingest", "--data", str(data), *map(str, sorted(archive.iterdir())),
                           str(archive / "nowhere.txt"), env=env, check=False)
        assert ingested.returncode == 1
        assert ingested.stdout.strip() == "2 of 3 files changed the store; 1 failed"
        assert ingested.stderr.strip() == f"failed: {archive / 'nowhere.txt'}: no such file"
        for day in backfill:
            wait_published(service.url, day, 1)
        assert feedsvc("build", "--data", str(data), env=env).returncode == 0
        wait_for(lambda: publication_done(data), what="the build done")
        index = fetch(service.url)[1].decode()
        assert all(f"{day}.html" in index for day in backfill), "the daemon's index keeps the backfill"
        written = [p for p in (data / "public").rglob("*") if p.is_file() and p.suffix in (".xml", ".html", ".json")]
        assert not [p for p in written if "127.0.0.1:8080" in p.read_text(errors="replace")]
        status = json.loads(feedsvc("status", "--json", "--data", str(data), env=env).stdout)
        assert not [r for r in status["rejected"] if "nowhere" in r["file"]]  # an error, not a stored rejection
        assert service.stop() == 0


def test_public_status_shows_no_file_names_the_operators_status_does(tmp_path: Path, seed_bytes: bytes) -> None:
    """Seen: /status.json on the public port listed every rejected file and symlink target (a path under
    /root/.ssh)."""
    secret = tmp_path / "private" / ".ssh" / "id_rsa"
    secret.parent.mkdir(parents=True)
    secret.write_text("key")
    with start_service(tmp_path) as service:
        inbox = tmp_path / "inbox"
        (inbox / "seed.txt").write_bytes(seed_bytes)
        (inbox / "薪酬名单-机密.txt").write_bytes(b"\x00\xff" * 200)
        (inbox / "leak.txt").symlink_to(secret)
        wait_published(service.url, date(2023, 9, 27), 5)

        def operator_sees_both() -> dict | None:
            info = json.loads(feedsvc("status", "--json", "--data", str(tmp_path / "var")).stdout)
            rejected = {r["file"] for r in info["rejected"]}
            return info if {"薪酬名单-机密.txt", "leak.txt"} <= rejected else None

        info = wait_for(operator_sees_both, what="both files rejected in the operator's status")
        assert {"薪酬名单-机密.txt", "leak.txt"} <= {f["file"] for f in info["files"]}
        assert "薪酬名单-机密.txt" in feedsvc("status", "--data", str(tmp_path / "var")).stdout

        code, body = fetch(service.url + "status.json")
        assert code == 200
        text = body.decode()
        public = json.loads(text)
        for leak in ("薪酬名单", "leak.txt", ".ssh", "id_rsa", str(tmp_path), "seed.txt"):
            assert leak not in text and json.dumps(leak)[1:-1] not in text, leak
        assert not {"files", "rejected", "held", "notices", "withdrawn"} & set(public)
        assert public["issue_count"] == 1 and public["last_issue"] == "2023-09-27"
        assert public["next_expected"] == "2023-10-13" and public["missing"] == [] and public["max_age_s"] > 0
        assert service.stop() == 0
    assert os.path.islink(tmp_path / "inbox" / "leak.txt")  # the inbox is left as it was


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root, to run a command as another user")
def test_another_user_is_told_in_one_line_whose_channel_it_is(tmp_path: Path) -> None:
    """The daemon runs as its own user (systemd's feedsvc); an operator who is neither it nor root may not use its
    socket, and is told so in one line, not a traceback."""
    try:
        subprocess.run([sys.executable, "-c", "import feedsvc"], user=65534, check=True, timeout=60,
                       capture_output=True)
    except (PermissionError, subprocess.CalledProcessError):
        pytest.skip("this Python or feedsvc cannot be run by user nobody here")
    base = Path(tempfile.mkdtemp(prefix="feedsvc-other-user-"))
    try:
        base.chmod(0o755)
        (base / "inbox").mkdir()
        with FeedsvcRun(base / "inbox", base / "var", tmp_path / "service.log") as service:
            result = subprocess.run([sys.executable, "-m", "feedsvc", "status", "--data", str(base / "var")],
                                    capture_output=True, text=True, timeout=60, user=65534,
                                    env={"PATH": os.environ["PATH"], "HOME": "/"})
            lines = result.stderr.strip().splitlines()
            assert result.returncode == 1 and len(lines) == 1, result.stderr
            assert "runs as another user" in lines[0] and str(base / "var" / SOCKET_FILE) in lines[0]
            assert service.stop() == 0
    finally:
        shutil.rmtree(base)
