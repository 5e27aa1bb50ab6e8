"""InboxWatcher against real watchdog observers on temporary folders."""

from __future__ import annotations

import logging
import os
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import wait_for

from feedsvc.watch import InboxWatcher, is_candidate

pytestmark = pytest.mark.slow  # real watchdog observers waiting for quiet periods

SETTLE = 0.15
DEADLINE = 30.0  # an upper bound for what must happen (polled: no cost when it does); generous for loaded CI


class Calls:
    """on_ready calls as (path, size seen at call time, thread name, time), guarded by a lock."""

    def __init__(self, then: Callable[[Path], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._items: list[tuple[Path, int, str, float]] = []
        self._then = then

    def __call__(self, path: Path) -> None:
        size = path.lstat().st_size  # never open: the path may be a FIFO
        with self._lock:
            self._items.append((path, size, threading.current_thread().name, time.monotonic()))
        if self._then is not None:
            self._then(path)

    @property
    def items(self) -> list[tuple[Path, int, str, float]]:
        with self._lock:
            return list(self._items)

    @property
    def names(self) -> list[str]:
        return [p.name for p, *_ in self.items]

    def count(self, name: str) -> int:
        return self.names.count(name)

    def wait_for(self, check: Callable[[], bool], what: str, deadline: float = DEADLINE) -> None:
        """Poll until `check()` holds; fail naming `what` and the calls so far after `deadline` seconds."""
        try:
            wait_for(check, deadline, what, interval=0.01)
        except AssertionError as err:
            pytest.fail(f"{err}; calls so far: {self.names}")

    def wait_count(self, name: str, n: int = 1) -> None:
        self.wait_for(lambda: self.count(name) >= n, f"{n} call(s) for {name}")


def quiet_period() -> None:
    """Bounded extra moment (well past the settle time) before asserting that no further call came."""
    time.sleep(3 * SETTLE)


@pytest.fixture(name="inbox")
def _inbox(tmp_path: Path) -> Path:
    """An empty inbox folder."""
    path = tmp_path / "inbox"
    path.mkdir()
    return path


@pytest.fixture(name="outside")
def _outside(tmp_path: Path) -> Path:
    """A sibling folder on the same file system, to write files in and `mv` them from."""
    path = tmp_path / "outside"
    path.mkdir()
    return path


@pytest.fixture(name="run_watcher")
def _run_watcher() -> Iterator[Callable[..., InboxWatcher]]:
    """Start an InboxWatcher with test-friendly timings; every watcher started is stopped afterwards."""
    started: list[InboxWatcher] = []

    def run(inbox: Path, on_ready: Callable[[Path], None], **options: object) -> InboxWatcher:
        options.setdefault("settle_seconds", SETTLE)
        options.setdefault("rescan_seconds", None)
        watcher = InboxWatcher(inbox, on_ready, **options)  # type: ignore[arg-type]
        watcher.start()
        started.append(watcher)
        return watcher

    yield run
    for watcher in started:
        watcher.stop()


def write_like_cp(path: Path, chunks: list[bytes], pause: float) -> None:
    """One fd, a pause before each chunk, then close: how `cp` of a slow source or a network copy looks."""
    with path.open("wb") as f:
        for chunk in chunks:
            time.sleep(pause)  # the writer's pace, not a wait for an outcome
            f.write(chunk)
            f.flush()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("2023-09-28.txt", True),
        ("issue", True),
        ("报纸 2023.TXT", True),
        ("notes.md", True),
        (".hidden.txt", False),
        (".", False),
        ("", False),
        ("a.txt.part", False),
        ("a.tmp", False),
        ("a.TMP", False),
        (".a.txt.swp", False),
        ("a.txt.swx", False),
        ("a.txt~", False),
        ("#a.txt#", False),
        ("#", True),
        ("a.txt.crdownload", False),
        ("a.txt.partial", False),
    ],
)

def test_is_candidate(name: str, expected: bool) -> None:
    """Temp, partial, hidden and editor files are never issues; anything else goes to the parser."""
    assert is_candidate(name) == expected


def test_initial_scan_reports_existing_files_once(inbox, run_watcher) -> None:
    """Files already in the inbox at start are reported once each, oldest mtime first (a catch-up takes the
    editor's files in the order they were written); ignored names and sub-folders are not."""
    for n, name in enumerate(("b.txt", "a-no-extension", "c.txt")):
        (inbox / name).write_text("x")
        os.utime(inbox / name, (1_000 + n, 1_000 + n))
    for name in (".hidden", "x.part", "x.tmp", "x~", "#x#"):
        (inbox / name).write_text("x")
    (inbox / "sub").mkdir()
    (inbox / "sub" / "deep.txt").write_text("x")
    calls = Calls()
    run_watcher(inbox, calls)
    calls.wait_for(lambda: len(calls.items) >= 3, "three calls")
    quiet_period()
    assert calls.names == ["b.txt", "a-no-extension", "c.txt"]


def test_slow_chunked_write_is_reported_once_complete(inbox, run_watcher) -> None:
    """cp-style: open, pauses longer than the settle time between writes, close: exactly one full call."""
    calls = Calls()
    run_watcher(inbox, calls)
    chunks = [b"a" * 1000, b"b" * 1000, b"c" * 1000]
    write_like_cp(inbox / "slow.txt", chunks, pause=2 * SETTLE)
    calls.wait_count("slow.txt")
    quiet_period()
    assert [(p.name, size) for p, size, *_ in calls.items] == [("slow.txt", 3000)]


def test_writer_that_never_closes_is_reported_after_a_quiet_spell(inbox, run_watcher) -> None:
    """A writer at work (Opened/Modified, no Closed yet) is not cut short by the settle time; if its Closed
    never comes, the file is still reported after a longer quiet spell, and the late Closed reports it again."""
    calls = Calls()
    run_watcher(inbox, calls)
    f = (inbox / "held.txt").open("wb")
    try:
        f.write(b"h" * 100)
        f.flush()
        written = time.monotonic()
        calls.wait_count("held.txt")
        waited = calls.items[0][3] - written
        assert [(p.name, size) for p, size, *_ in calls.items] == [("held.txt", 100)]
        assert waited > 10 * SETTLE  # the writer was given the long quiet period, not the settle time
    finally:
        f.close()
    calls.wait_count("held.txt", 2)


def test_symlinked_inbox_is_watched(tmp_path, run_watcher) -> None:
    """An inbox path that is a symlink to a folder is watched; paths are reported under the given name."""
    real = tmp_path / "real-inbox"
    real.mkdir()
    link = tmp_path / "inbox-link"
    link.symlink_to(real)
    calls = Calls()
    run_watcher(link, calls)
    (real / "via-link.txt").write_text("x")
    calls.wait_count("via-link.txt")
    assert calls.items[0][0] == link / "via-link.txt"


def test_temp_file_renamed_into_place_reports_final_name_only(inbox, run_watcher) -> None:
    """The os.replace / rsync style: nothing for the temp name, one call for the final name."""
    calls = Calls()
    run_watcher(inbox, calls)
    temp = inbox / ".final.txt.tmp"
    write_like_cp(temp, [b"x" * 500, b"y" * 500], pause=0.05)
    os.replace(temp, inbox / "final.txt")
    calls.wait_count("final.txt")
    quiet_period()
    assert [(p.name, size) for p, size, *_ in calls.items] == [("final.txt", 1000)]


def test_file_moved_in_from_sibling_folder_is_reported_once(inbox, outside, run_watcher) -> None:
    """`mv` from another folder fires Created only: the settle period makes it ready, once."""
    (outside / "moved.txt").write_bytes(b"m" * 700)
    calls = Calls()
    run_watcher(inbox, calls)
    (outside / "moved.txt").rename(inbox / "moved.txt")
    moved = time.monotonic()
    calls.wait_count("moved.txt")
    quiet_period()
    assert [(p.name, size) for p, size, *_ in calls.items] == [("moved.txt", 700)]
    # Ready after the settle time, not whenever the worker's next housekeeping tick (1 s) comes round.
    assert calls.items[0][3] - moved < SETTLE + 0.5


def test_append_later_is_reported_again(inbox, run_watcher) -> None:
    """A file written again after it was reported is reported again, with its new size."""
    calls = Calls()
    run_watcher(inbox, calls)
    path = inbox / "grow.txt"
    path.write_bytes(b"1" * 10)
    calls.wait_count("grow.txt")
    with path.open("ab") as f:
        f.write(b"2" * 10)
    calls.wait_count("grow.txt", 2)
    quiet_period()
    assert [size for _, size, *_ in calls.items] == [10, 20]


def test_reading_a_file_does_not_make_it_ready_again(inbox, run_watcher) -> None:
    """Readers (the consumer itself, a backup tool) fire Opened and ClosedNoWrite: no new call."""
    calls = Calls(then=lambda p: p.read_bytes())
    run_watcher(inbox, calls)
    (inbox / "read.txt").write_text("x")
    calls.wait_count("read.txt")
    (inbox / "read.txt").read_bytes()
    quiet_period()
    assert calls.names == ["read.txt"]


def test_ignored_names_and_sub_folders_are_never_reported(inbox, outside, run_watcher) -> None:
    """Hidden, partial, temp, backup and swap files, and anything in a sub-folder, produce no call."""
    calls = Calls()
    run_watcher(inbox, calls)
    for name in (".hidden.txt", "a.part", "a.tmp", "a.txt~", ".a.txt.swp", "a.swx", "#a#", "a.crdownload",
                 "a.partial"):
        (inbox / name).write_text("junk")
    (outside / ".moved-hidden").write_text("junk")
    (outside / ".moved-hidden").rename(inbox / ".moved-hidden")
    (inbox / "sub").mkdir()
    (inbox / "sub" / "inner.txt").write_text("junk")
    (inbox / "real.txt").write_text("issue")  # events are dispatched in order: this one comes last
    calls.wait_count("real.txt")
    quiet_period()
    assert calls.names == ["real.txt"]


def test_rescan_reports_existing_files_again(inbox, run_watcher) -> None:
    """rescan() queues every eligible file again (the consumer is idempotent)."""
    (inbox / "one.txt").write_text("1")
    calls = Calls()
    watcher = run_watcher(inbox, calls)
    calls.wait_count("one.txt")
    watcher.rescan()
    calls.wait_count("one.txt", 2)


def test_periodic_rescan(inbox, run_watcher) -> None:
    """With rescan_seconds set, the worker rescans by itself."""
    (inbox / "one.txt").write_text("1")
    calls = Calls()
    run_watcher(inbox, calls, rescan_seconds=0.2)
    calls.wait_count("one.txt", 3)


@pytest.mark.parametrize("silenced", [False, True])
def test_inotify_overflow_warning_triggers_rescan(inbox, run_watcher, silenced) -> None:
    """watchdog only logs an overflow; that log line leads to a rescan, even if the app silenced watchdog."""
    watchdog_log = logging.getLogger("watchdog.observers.inotify_c")
    before = watchdog_log.level
    if silenced:
        watchdog_log.setLevel(logging.ERROR)
    try:
        (inbox / "one.txt").write_text("1")
        calls = Calls()
        watcher = run_watcher(inbox, calls)
        calls.wait_count("one.txt")
        watchdog_log.warning("Inotify queue overflowed; filesystem events were lost")
        calls.wait_count("one.txt", 2)
        watcher.stop()
        assert [h for h in watchdog_log.handlers if "Overflow" in type(h).__name__] == []
        assert watchdog_log.level == (logging.ERROR if silenced else before)
    finally:
        watchdog_log.setLevel(before)


@pytest.mark.parametrize("style", ["written", "moved-in"])
def test_flood_of_500_files_reported_exactly_once_each(inbox, outside, run_watcher, style) -> None:
    """500 files dropped at once are all reported, each exactly once."""
    calls = Calls()
    run_watcher(inbox, calls)
    names = [f"f{i:03d}.txt" for i in range(500)]
    if style == "written":
        for name in names:
            (inbox / name).write_bytes(b"x")
    else:
        for name in names:
            (outside / name).write_bytes(b"x")
        for name in names:
            (outside / name).rename(inbox / name)
    calls.wait_for(lambda: len(set(calls.names)) >= 500, "500 distinct calls")
    quiet_period()
    assert sorted(calls.names) == names


def test_on_ready_raising_does_not_stop_the_worker(inbox, run_watcher, caplog) -> None:
    """An exception from on_ready is logged and later files are still reported."""

    def explode(path: Path) -> None:
        if path.name == "bad.txt":
            raise ValueError("boom")

    calls = Calls(then=explode)
    run_watcher(inbox, calls)
    (inbox / "bad.txt").write_text("x")
    calls.wait_count("bad.txt")
    (inbox / "good.txt").write_text("x")
    calls.wait_count("good.txt")
    assert any("bad.txt" in r.getMessage() and r.exc_info for r in caplog.records)


def test_on_ready_runs_on_one_worker_thread(inbox, outside, run_watcher) -> None:
    """Every call, whatever the event that made the file ready, runs on the watcher's own thread."""
    (inbox / "scanned.txt").write_text("x")
    calls = Calls()
    run_watcher(inbox, calls)
    (inbox / "closed.txt").write_text("x")
    (outside / "moved.txt").write_text("x")
    (outside / "moved.txt").rename(inbox / "moved.txt")
    calls.wait_for(lambda: len(calls.items) >= 3, "three calls")
    threads = {thread for _, _, thread, _ in calls.items}
    assert threads == {"feedsvc-watch"}


def test_path_already_queued_is_not_queued_twice(inbox, run_watcher) -> None:
    """While the worker is busy, repeated readiness of a queued file collapses into one call."""
    release = threading.Event()
    (inbox / "a.txt").write_text("a")
    (inbox / "b.txt").write_text("b")
    calls = Calls(then=lambda p: p.name == "a.txt" and release.wait(DEADLINE))
    watcher = run_watcher(inbox, calls)
    calls.wait_count("a.txt")  # the worker is now blocked on a.txt; b.txt is queued from the scan
    for _ in range(3):
        with (inbox / "b.txt").open("ab") as f:  # each close is a fresh readiness of b.txt
            f.write(b"more")
    (inbox / "c.txt").write_text("c")  # its close comes after b.txt's closes
    # Peek at the queue (the one internal look in this file): once c.txt is queued, every b.txt close was seen.
    calls.wait_for(lambda: watcher._readiness.is_queued(inbox / "c.txt"), "c.txt queued")
    release.set()
    calls.wait_count("c.txt")
    quiet_period()
    assert calls.names == ["a.txt", "b.txt", "c.txt"]


def test_inbox_missing_at_start_is_watched_once_created(tmp_path, run_watcher, caplog) -> None:
    """A missing inbox is one clear warning; files are reported once the folder appears."""
    inbox = tmp_path / "later"
    calls = Calls()
    with caplog.at_level(logging.WARNING, logger="feedsvc.watch"):
        run_watcher(inbox, calls)
        inbox.mkdir()
        (inbox / "early.txt").write_text("x")  # may land before the watch: the scan finds it
        calls.wait_count("early.txt")
        (inbox / "late.txt").write_text("x")
        calls.wait_count("late.txt")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [f"inbox {inbox} does not exist; waiting for it"]


def test_inbox_deleted_and_recreated_is_watched_again(inbox, run_watcher, caplog) -> None:
    """After the inbox is removed (a warning is logged) and made again, new files are reported."""
    calls = Calls()
    run_watcher(inbox, calls)
    (inbox / "before.txt").write_text("x")
    calls.wait_count("before.txt")
    (inbox / "before.txt").unlink()
    inbox.rmdir()
    expected = f"inbox {inbox} does not exist; waiting for it"
    calls.wait_for(lambda: any(r.getMessage() == expected for r in caplog.records), "the missing-inbox warning")
    inbox.mkdir()
    (inbox / "after.txt").write_text("x")
    calls.wait_count("after.txt")
    (inbox / "later.txt").write_text("x")
    calls.wait_count("later.txt")


def test_inbox_replaced_by_another_folder_is_watched_again(inbox, tmp_path, run_watcher) -> None:
    """Renaming the inbox away fires nothing on its watch; the inode check notices the new folder."""
    calls = Calls()
    run_watcher(inbox, calls)
    inbox.rename(tmp_path / "old-inbox")
    inbox.mkdir()
    (inbox / "new.txt").write_text("x")
    calls.wait_count("new.txt")
    (inbox / "newer.txt").write_text("x")
    calls.wait_count("newer.txt")


def test_fifo_and_symlink_are_reported_without_blocking(inbox, tmp_path, run_watcher) -> None:
    """Special files are listed for the service to refuse; nothing opens the FIFO."""
    (tmp_path / "target.txt").write_text("outside the inbox")
    os.mkfifo(inbox / "at-start.fifo")
    calls = Calls()
    run_watcher(inbox, calls)
    calls.wait_count("at-start.fifo")
    os.mkfifo(inbox / "live.fifo")
    (inbox / "link.txt").symlink_to(tmp_path / "target.txt")
    calls.wait_count("live.fifo")
    calls.wait_count("link.txt")


def test_polling_observer_reports_new_file_once(inbox, run_watcher) -> None:
    """With polling (network file systems) a file is reported once it has been quiet for two polls."""
    calls = Calls()
    # Two quiet polls (0.5 s) against a writer pausing 0.06 s: a margin a loaded machine's scheduling keeps
    # (with 0.05 s polls, 40 ms of delay made the half-written file look finished: reported twice).
    run_watcher(inbox, calls, polling=True, poll_seconds=0.25)
    write_like_cp(inbox / "polled.txt", [b"p" * 100, b"q" * 100], pause=0.06)
    calls.wait_count("polled.txt")
    quiet_period()
    assert [(p.name, size) for p, size, *_ in calls.items] == [("polled.txt", 200)]


def test_polling_observer_survives_inbox_recreated(inbox, run_watcher) -> None:
    """The polling emitter stops when its folder vanishes; the watcher schedules it again."""
    calls = Calls()
    run_watcher(inbox, calls, polling=True, poll_seconds=0.05)
    inbox.rmdir()
    time.sleep(0.2)  # let at least one poll see the folder gone (the writer's pace, not the outcome)
    inbox.mkdir()
    (inbox / "back.txt").write_text("x")
    calls.wait_count("back.txt")


def test_close_to_on_ready_latency_has_no_settle_delay(inbox, run_watcher) -> None:
    """Closed files are ready at once: the median close → on_ready time stays far below the settle time."""
    calls = Calls()
    run_watcher(inbox, calls, settle_seconds=1.0)
    latencies = []
    for i in range(15):
        path = inbox / f"lat{i}.txt"
        with path.open("wb") as f:
            f.write(b"x" * 1000)
        closed = time.monotonic()
        calls.wait_count(path.name)
        latencies.append(calls.items[-1][3] - closed)
    assert statistics.median(latencies) < 0.05


def test_stop_waits_for_call_in_progress_and_is_prompt(inbox, run_watcher) -> None:
    """stop() returns quickly but only after the on_ready call in progress has finished."""
    finished = threading.Event()
    entered = threading.Event()

    def slow(path: Path) -> None:
        entered.set()
        time.sleep(0.3)  # work in progress that stop() must wait for
        finished.set()

    watcher = run_watcher(inbox, Calls(then=slow))
    (inbox / "x.txt").write_text("x")
    assert entered.wait(DEADLINE)
    began = time.monotonic()
    watcher.stop()
    assert finished.is_set()
    assert time.monotonic() - began < 1.5


def test_no_calls_after_stop(inbox, run_watcher) -> None:
    """Files dropped after stop() are not reported; stop() on an idle watcher is prompt."""
    calls = Calls()
    watcher = run_watcher(inbox, calls)
    began = time.monotonic()
    watcher.stop()
    assert time.monotonic() - began < 1.0
    (inbox / "late.txt").write_text("x")
    quiet_period()
    assert calls.names == []
