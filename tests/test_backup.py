"""`feedsvc backup` while the service runs, `feedsvc restore` into a new data folder: the same feeds and pages, byte
for byte; a restore refused while a service holds the data folder."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import CLI_NOW, FeedsvcRun, feedsvc, issue_text, wait_for, wait_published

JPEG = b"\xff\xd8\xff\xe0" + bytes(200)

pytestmark = pytest.mark.slow


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(name="running")
def _running(tmp_path: Path, seed_path: Path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    day = date(2023, 9, 25)
    (inbox / f"{day}.txt").write_text(issue_text(day, "城市更新", "秋收"), encoding="utf-8")
    shutil.copy(seed_path, inbox / "2023-09-27.txt")
    (inbox / "2023-09-27-1.jpg").write_bytes(JPEG)  # the seed issue's photo
    with FeedsvcRun(inbox, tmp_path / "data", tmp_path / "service.log", env={"FEEDSVC_NOW": CLI_NOW}) as service:
        wait_published(service.url, date(2023, 9, 27), 5)
        wait_for(lambda: (tmp_path / "data" / "public" / "media" / "2023-09-27-1.jpg").exists(), what="photo out")
        yield service


def test_backup_while_running_then_restore_gives_the_same_site(running: FeedsvcRun, tmp_path: Path):
    data, saved = tmp_path / "data", tmp_path / "backups" / "first"
    result = feedsvc("backup", str(saved), "--data", str(data))
    assert "schema version" in result.stdout
    assert sorted(p.name for p in saved.iterdir()) == ["feedsvc.sqlite", "media"]
    assert running.proc.poll() is None  # the service ran on, untouched
    with contextlib.closing(sqlite3.connect(saved / "feedsvc.sqlite")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM items").fetchone()[0] == 7
    assert running.stop() == 0
    site = tree(data / "public")

    restored = tmp_path / "restored"
    # The same settings as the service (its links name its port), as README "Backup and restore" says.
    feedsvc("restore", str(saved), "--data", str(restored), env={"FEEDSVC_PORT": str(running.port)})
    assert tree(restored / "public") == site
    for name in ("rss.xml", "atom.xml", "feed.json", "media/2023-09-27-1.jpg"):
        assert name in site


def test_restore_is_refused_while_the_service_runs(running: FeedsvcRun, tmp_path: Path):
    data, saved = tmp_path / "data", tmp_path / "saved"
    feedsvc("backup", str(saved), "--data", str(data))
    before = (data / "public" / "rss.xml").read_bytes()
    result = feedsvc("restore", str(saved), "--data", str(data), check=False)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"process {running.proc.pid} (feedsvc run" in lines[0], result.stderr
    assert running.proc.poll() is None
    assert (data / "public" / "rss.xml").read_bytes() == before


def test_backup_refuses_an_existing_folder_and_restore_a_folder_that_is_no_backup(tmp_path: Path):
    (tmp_path / "dest").mkdir()
    (tmp_path / "data").mkdir()
    sqlite3.connect(tmp_path / "data" / "feedsvc.sqlite").close()
    result = feedsvc("backup", str(tmp_path / "dest"), "--data", str(tmp_path / "data"), check=False)
    assert result.returncode != 0 and "already exists" in result.stderr
    result = feedsvc("restore", str(tmp_path / "dest"), "--data", str(tmp_path / "new"), check=False)
    assert result.returncode != 0 and "not a feedsvc backup" in result.stderr
    assert not (tmp_path / "new" / "feedsvc.sqlite").exists()
