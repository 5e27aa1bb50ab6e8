"""`make run` on a fresh copy of the repository: it serves the sample issue, takes a drop into the inbox the README
names, and leaves `git status` clean (everything it wrote is under the ignored var/)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import CLI_NOW, fetch, issue_text, wait_for, wait_published

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(sys.prefix)

pytestmark = pytest.mark.slow


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@localhost", *args], cwd=repo,
                          check=True, capture_output=True, text=True).stdout


@pytest.fixture(name="checkout")
def _checkout(tmp_path: Path) -> Path:
    """The tracked files of this working tree (uncommitted edits included) as a new repository: what a clone
    of them would hold, without needing them committed."""
    if shutil.which("git") is None or shutil.which("make") is None:
        pytest.skip("git and make are needed")
    if not (VENV / ".installed").exists():
        pytest.skip("not run from the venv `make` builds (its stamp .installed is missing)")
    repo = tmp_path / "repo"
    for name in _git(ROOT, "ls-files", "-z").split("\0"):
        if name and (ROOT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "copy")
    # The venv this suite runs in stands for the one `make run` would build: older pyproject.toml, so make
    # finds it up to date instead of installing into it.
    os.utime(repo / "pyproject.toml", (0, 0))
    return repo


def test_make_run_leaves_the_checkout_clean(checkout: Path, tmp_path: Path):
    log = tmp_path / "make-run.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDSVC_")}
    env.update(FEEDSVC_NOW=CLI_NOW, FEEDSVC_PORT="0")  # any free port; the rest is the Makefile's own config
    with log.open("wb") as sink:
        proc = subprocess.Popen(["make", "--no-print-directory", "run", f"VENV={VENV}"], cwd=checkout, env=env,
                                stdout=sink, stderr=sink, start_new_session=True)
    try:
        def address() -> re.Match[str] | None:
            assert proc.poll() is None, f"make run exited {proc.returncode}:\n{log.read_text()}"
            return re.search(r" on (http://127\.0\.0\.1:\d+/)", log.read_text())

        url = wait_for(address, what="make run serves")[1]
        seeded = sorted(p.name for p in (checkout / "var" / "inbox").iterdir())
        assert seeded == sorted(p.name for p in (ROOT / "seeds").iterdir())
        wait_published(url, date(2023, 9, 27), 5)  # the sample issue, from the seeded copy
        day = date(2023, 9, 25)
        (checkout / "var" / "inbox" / f"{day}.txt").write_text(issue_text(day, "城市更新", "秋收"), encoding="utf-8")
        wait_published(url, day, 2)
        assert fetch(url + "rss.xml")[0] == 200
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
    assert _git(checkout, "status", "--porcelain") == ""
    # Everything the run wrote is under var/: the only ignored path in the copy.
    assert _git(checkout, "status", "--porcelain", "--ignored").split("\n") == ["!! var/", ""]
    assert (checkout / "var" / "data" / "feedsvc.sqlite").exists()
