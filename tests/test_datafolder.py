"""One writer per data folder (issue 9, "What was seen" 4 and 6): the lock, who holds it, and the inbox kept apart."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CLI_NOW, feedsvc, start_service, wait_for

from feedsvc import datafolder
from feedsvc.errors import ConfigError

pytestmark = pytest.mark.slow  # `feedsvc` subprocesses


def test_a_second_lock_is_refused_naming_the_holder(tmp_path: Path) -> None:
    data = tmp_path / "var"
    assert datafolder.holder(data) is None
    with datafolder.acquire(data, "feedsvc run"):
        found = datafolder.holder(data)
        assert found is not None and found.pid == os.getpid() and found.command == "feedsvc run"
        with pytest.raises(datafolder.DataFolderBusy) as busy:
            datafolder.acquire(data, "feedsvc build")
        message = str(busy.value)
        assert str(data) in message and f"process {os.getpid()} (feedsvc run" in message
        assert "\n" not in message
    assert datafolder.holder(data) is None
    datafolder.acquire(data, "feedsvc build").release()  # free again


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    data = tmp_path / "var"
    code = ("import sys, time; from pathlib import Path; from feedsvc import datafolder;"
            "datafolder.acquire(Path(sys.argv[1]), 'feedsvc run'); time.sleep(60)")
    with subprocess.Popen([sys.executable, "-c", code, str(data)]) as child:
        try:
            # Held with its owner not yet written is Holder(pid=None): wait for the name, not just the lock.
            found = wait_for(lambda: (h := datafolder.holder(data)) and h.pid and h, what="the child holds the lock")
            assert found.pid == child.pid
        finally:
            child.kill()
    assert datafolder.holder(data) is None
    datafolder.acquire(data, "feedsvc run").release()


def test_a_second_run_on_the_same_data_folder_exits_at_once(tmp_path: Path) -> None:
    """Seen: a second `feedsvc run` on the same data folder started happily and the two overwrote each other."""
    (tmp_path / "inbox2").mkdir()
    with start_service(tmp_path) as service:
        first = service.proc
        began = time.monotonic()
        second = subprocess.run(
            [sys.executable, "-m", "feedsvc", "run", "--inbox", str(tmp_path / "inbox2"), "--data",
             str(tmp_path / "var"), "--port", "0"],
            capture_output=True, text=True, timeout=30, env={**os.environ, "FEEDSVC_NOW": CLI_NOW})
        assert second.returncode != 0
        assert time.monotonic() - began < 10
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, second.stderr
        assert str(tmp_path / "var") in lines[0] and f"process {first.pid} (feedsvc run" in lines[0]
        assert first.poll() is None  # the first one keeps serving
        assert service.stop() == 0


@pytest.mark.parametrize(("inbox", "data", "word"), [
    ("shared", "shared", "also the data folder"),
    ("var/inbox", "var", "inside the data folder"),
    ("papers", "papers/var", "contains the data folder"),
])
def test_an_inbox_overlapping_the_data_folder_is_refused_at_start(tmp_path: Path, inbox: str, data: str,
                                                                   word: str) -> None:
    """Seen: `--inbox X --data X` was accepted, and the service rejected its own database files in a loop."""
    (tmp_path / inbox).mkdir(parents=True, exist_ok=True)
    result = feedsvc("run", "--inbox", str(tmp_path / inbox), "--data", str(tmp_path / data), "--port", "0",
                     check=False)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and word in lines[0] and "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / data / "feedsvc.sqlite").exists()


def test_a_symlinked_inbox_into_the_data_folder_is_seen_through(tmp_path: Path) -> None:
    (tmp_path / "var" / "in").mkdir(parents=True)
    (tmp_path / "inbox").symlink_to(tmp_path / "var" / "in")
    with pytest.raises(ConfigError, match="inside the data folder"):
        datafolder.check_apart(tmp_path / "inbox", tmp_path / "var")
    datafolder.check_apart(tmp_path / "elsewhere", tmp_path / "var")  # apart: no error


def test_build_beside_a_running_daemon_is_handed_to_it_not_interleaved(tmp_path: Path) -> None:
    """A second writer must not rewrite the daemon's site with another address: the daemon does the build."""
    with start_service(tmp_path) as service:
        result = feedsvc("build", "--data", str(tmp_path / "var"))
        assert result.stdout.strip() == "every feed and page written again"
        holder = datafolder.holder(tmp_path / "var")
        assert holder is not None and holder.pid == service.proc.pid  # nobody else took the lock meanwhile
        assert service.stop() == 0
