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


def test_a_writer_whose_ingest_died_stops_at_its_next_date(tmp_path: Path, seed_path: Path) -> None:
    """Orphaned (its parent pid is no longer its parent), a page writer leaves its queue to the recovery
    instead of writing on for minutes."""
    shutil.copy(seed_path, tmp_path)
    settings = Settings(inbox=tmp_path, data=tmp_path / "data")
    service = open_service(settings, ManualClock(NOW))
    service.ingest(tmp_path / seed_path.name, publish=False)
    days = multiprocessing.get_context("spawn").Queue()
    for _ in range(3):
        days.put(date(2023, 9, 27))
    days.put(None)
    from feedsvc import backfill as module

    module.write_pages(service.store, service.publication.publisher, days, parent=-1)
    service.close()
    assert not (settings.public / "items").exists()
    assert days.get(timeout=5) == date(2023, 9, 27)  # nothing was taken from the queue
