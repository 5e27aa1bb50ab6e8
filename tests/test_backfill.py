"""`feedsvc ingest`'s bulk path: pages written by page-writer processes match what one process writes."""

from __future__ import annotations

import multiprocessing
import shutil
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import ManualClock

from bench.corpus import write
from feedsvc.backfill import _send, backfill
from feedsvc.config import Settings
from feedsvc.wiring import open_service, page_writer

pytestmark = pytest.mark.slow  # thousands of issues, several processes

NOW = datetime(2024, 6, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai"))


def public_files(settings: Settings) -> dict[str, bytes]:
    return {str(p.relative_to(settings.public)): p.read_bytes()
            for p in settings.public.rglob("*") if p.is_file()}


def test_backfill_writes_what_a_single_process_writes(tmp_path: Path, seed_path: Path) -> None:
    archive = tmp_path / "archive"
    paths = write(archive, 40, date(2024, 1, 1))
    shutil.copy(seed_path, archive)
    paths.append(archive / seed_path.name)

    parallel = Settings(inbox=archive, data=tmp_path / "parallel")
    service = open_service(parallel, ManualClock(NOW))
    assert backfill(service, paths, page_writer) == len(paths)
    service.close()

    single = Settings(inbox=archive, data=tmp_path / "single")
    service = open_service(single, ManualClock(NOW))
    for path in paths:
        service.ingest(path, publish=False)
    service.publish(everything=True)
    service.close()

    expected = public_files(single)
    assert len([name for name in expected if name.startswith("items/")]) > 200
    assert public_files(parallel) == expected


def test_a_dead_writer_is_not_waited_for() -> None:
    """A full queue in front of a writer that died must not block the ingest for ever."""
    context = multiprocessing.get_context("spawn")
    days = context.Queue(maxsize=1)
    days.put(date(2024, 1, 1))
    writer = context.Process(target=time.sleep, args=(0,))
    writer.start()
    writer.join()
    started = time.monotonic()
    assert not _send(days, writer, date(2024, 1, 3))
    assert time.monotonic() - started < 5
