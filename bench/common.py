"""What every measurement shares: the generated corpus, the results table, tools, and the service as a subprocess.

The corpus is generated once per run into a temp folder: the first `archive_max` issues form the archive (the
backfill and the prefilled stores), the next ones are the drops (dated after the whole archive), then a few
extra issues for the Hugo peer. The clock (FEEDSVC_NOW) is set after the last generated date, so every issue is
already due at its release time and nothing is held for the future.
"""

from __future__ import annotations

import contextlib
import http.client
import math
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from bench.corpus import GeneratedIssue, issues

START = date(2000, 1, 3)  # a Monday; every generated issue number (days since 2000-01-01) stays positive
HOST = "127.0.0.1"
SERVING = re.compile(r"serving .* on (http://127\.0\.0\.1:(\d+)/)")


@dataclass
class Row:
    measurement: str
    figure: str
    target: str = ""
    ok: bool | None = None  # None: informational, or skipped

    @property
    def verdict(self) -> str:
        return {True: "pass", False: "FAIL", None: "-"}[self.ok]


@dataclass
class Corpus:
    folder: Path  # archive files live in folder/archive, one file per issue
    archive: list[GeneratedIssue]
    drops: list[GeneratedIssue]
    extras: list[GeneratedIssue]

    @classmethod
    def generate(cls, folder: Path, archive_max: int, drops: int, extras: int) -> Corpus:
        every = list(issues(archive_max + drops + extras, START))
        archive_dir = folder / "archive"
        archive_dir.mkdir(parents=True)
        for issue in every[:archive_max]:
            (archive_dir / issue.name).write_bytes(issue.data)
        return cls(folder, every[:archive_max], every[archive_max : archive_max + drops], every[archive_max + drops :])

    def archive_paths(self, count: int) -> list[Path]:
        return [self.folder / "archive" / issue.name for issue in self.archive[:count]]

    @property
    def now(self) -> str:
        """FEEDSVC_NOW: noon (Shanghai) the day after the last generated issue, after every release time."""
        last = max(i.issue_date for i in (*self.archive, *self.drops, *self.extras))
        return f"{(last + timedelta(days=1)).isoformat()}T12:00:00+08:00"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDSVC_")}
        env["FEEDSVC_NOW"] = self.now
        return env


@dataclass
class Context:
    quick: bool
    root: Path  # the run's temp folder
    corpus: Corpus
    profile: Path | None = None  # folder for py-spy profiles of the service, when asked
    rows: list[Row] = field(default_factory=list)
    archives: dict[int, Path] = field(default_factory=dict)  # archive size → a data folder holding it
    drop_medians: dict[int, float] = field(default_factory=dict)  # archive size → drop-to-feed median (s)
    archive_sizes: tuple[int, ...] = (0, 1000, 10_000)  # drop-to-feed is measured at each

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(f"  {row.measurement}: {row.figure}" + (f"  [{row.verdict}, target {row.target}]" if row.target else ""),
              flush=True)

    def fresh(self, name: str) -> Path:
        path = self.root / name
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        return path


# --- tools ---------------------------------------------------------------------------------------------------


DEPS = "run `make bench-deps` once to install the benchmark tools"


def find_tool(command: str) -> tuple[str | None, str]:
    """The path of `command`, or (None, why): running a benchmark installs nothing (`make bench-deps` does)."""
    found = shutil.which(command)
    return (found, "") if found else (None, f"{command} not installed; {DEPS}")


def pyspy() -> str | None:
    """py-spy in this interpreter's environment or on PATH (only --profile needs it)."""
    here = Path(sys.executable).parent / "py-spy"
    return str(here) if here.exists() else shutil.which("py-spy")


def machine() -> dict[str, str]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cores (nproc)": str(os.cpu_count() if not hasattr(os, "sched_getaffinity") else len(os.sched_getaffinity(0))),
        "CPU": model,
        "memory": _memory(),
        "Python": platform.python_version(),
        "OS": platform.platform(),
        "date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %z"),
    }


def _memory() -> str:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f} GB"
    return "unknown"


# --- the service as a subprocess -----------------------------------------------------------------------------


class Service:
    """`feedsvc run --port 0` on a data folder, as a user would run it; optionally sampled by py-spy."""

    def __init__(self, ctx: Context, inbox: Path, data: Path, log_name: str, profile: str | None = None) -> None:
        self.ctx, self.inbox, self.data = ctx, inbox, data
        self.log_path = ctx.root / f"{log_name}.log"
        self.profile = profile
        self.proc: subprocess.Popen[bytes] | None = None
        self.spy: subprocess.Popen[bytes] | None = None
        self.port = 0

    def __enter__(self) -> Service:
        args = [sys.executable, "-m", "feedsvc", "run", "--inbox", str(self.inbox), "--data", str(self.data),
                "--host", HOST, "--port", "0"]
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=self.ctx.corpus.env())
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            match = SERVING.search(self.log_path.read_text(errors="replace"))
            if match:
                self.port = int(match.group(2))
                break
            if self.proc.poll() is not None:
                raise RuntimeError(f"feedsvc run exited {self.proc.returncode}: {self.tail()}")
            time.sleep(0.02)
        else:
            self.__exit__(None, None, None)
            raise RuntimeError("feedsvc run did not report its address within 300 s")
        if self.profile and self.ctx.profile:
            spy = pyspy()
            if spy:
                out = self.ctx.profile / f"{self.profile}.txt"
                self.spy = subprocess.Popen([spy, "record", "--pid", str(self.proc.pid), "--format", "raw",
                                             "--rate", "500", "--threads", "--nonblocking", "-o", str(out)],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(1.0)  # let it attach
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.spy is not None:
            self.spy.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.spy.wait(30)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def tail(self, lines: int = 5) -> str:
        return " | ".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(HOST, self.port, timeout=10)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"


def _peak_rss(pid: int) -> int:
    """VmHWM of a live process in bytes (0 when gone): the peak of its current program image only."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def run_child(args: list[str], env: dict[str, str], log: Path, timeout: float) -> tuple[int, float, int]:
    """Run a child to completion: (exit status, wall seconds, its peak RSS in bytes).

    The peak is the child's VmHWM, read until it exits (it only grows). Not ru_maxrss from wait4 or
    RUSAGE_CHILDREN: Linux carries the pre-exec high-water mark over exec, so a child forked from this process
    (holding the whole corpus in memory) would be charged for the benchmark's own memory.
    """
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
        deadline = started + timeout
        peak = 0
        while True:
            peak = max(peak, _peak_rss(proc.pid))
            pid, status, _usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, _usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
        elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, elapsed, peak


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"
