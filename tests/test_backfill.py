"""`feedsvc ingest`'s bulk path: feeds and index at once, every other page on its first request (ondemand.py),
byte-identical to what a full build writes; nothing that is not public is ever written on request."""

from __future__ import annotations

import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import ManualClock, fetch

from bench.corpus import write
from feedsvc import backfill as backfill_module
from feedsvc import ondemand
from feedsvc.backfill import backfill
from feedsvc.config import Settings
from feedsvc.serve import ServerThread, make_app
from feedsvc.service import Service
from feedsvc.wiring import open_service

pytestmark = pytest.mark.slow  # a few hundred pages, each asked for over HTTP

NOW = datetime(2024, 6, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai"))


def public_files(settings: Settings) -> dict[str, bytes]:
    return {str(p.relative_to(settings.public)): p.read_bytes()
            for p in settings.public.rglob("*") if p.is_file()}


def built(tmp_path: Path, paths: list[Path], name: str) -> dict[str, bytes]:
    """public/ as one process writes it: every file ingested, then a full build."""
    settings = Settings(inbox=paths[0].parent, data=tmp_path / name, base_url="http://127.0.0.1:9/")
    service = open_service(settings, ManualClock(NOW))
    for path in paths:
        service.ingest(path, publish=False, inbox=path.parent)
    service.publish(everything=True)
    service.close()
    return public_files(settings)


@pytest.fixture(name="served")
def _served(tmp_path: Path) -> Iterator[tuple[Service, str]]:
    """A backfilled service whose public/ is served with pages written on request; (service, its URL)."""
    settings = Settings(inbox=tmp_path / "archive", data=tmp_path / "lazy", base_url="http://127.0.0.1:9/")
    service = open_service(settings, ManualClock(NOW))
    server = ServerThread(make_app(settings.public, max_age=lambda _m: 60, status=dict,
                                   on_request=service.write_on_request), "127.0.0.1", 0)
    server.start()
    try:
        yield service, f"http://127.0.0.1:{server.port}/"
    finally:
        server.stop()
        service.close()


@pytest.fixture(name="paths")
def _paths(tmp_path: Path, seed_path: Path) -> list[Path]:
    archive = tmp_path / "archive"
    paths = write(archive, 40, date(2024, 1, 1))
    shutil.copy(seed_path, archive)
    return [*paths, archive / seed_path.name]


@pytest.mark.parametrize("ahead", [False, True], ids=["parsed-here", "parsed-ahead"])
def test_pages_written_on_request_are_what_a_build_writes(tmp_path: Path, paths: list[Path],
                                                          served: tuple[Service, str], ahead: bool,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Whether the files are parsed in this process or ahead in the parser process (a large backfill), the
    store and every page come out the same."""
    service, url = served
    monkeypatch.setattr(backfill_module, "PARSE_AHEAD_FROM", 1 if ahead else 10**9)
    assert backfill(service, paths) == len(paths)
    lazy = service.settings
    expected = built(tmp_path, paths, "built")
    written = public_files(lazy)
    assert not any(name.startswith(("items/", "issues/", "authors/")) for name in written)  # the backfill left them
    author = next(name for name in expected if name.startswith("authors/") and name.endswith("/index.html"))
    assert fetch(url + author.removesuffix("/index.html")) == (200, expected[author])  # /authors/x → /authors/x/
    pages = [name for name in expected if name.endswith((".html", ".xml", ".atom", ".json")) and name not in written]
    assert len([name for name in pages if name.startswith("items/")]) > 200
    assert any("/archive/" in name or name.startswith("archive/") for name in pages)
    for name in pages:
        status, body = fetch(url + name)
        assert (status, body) == (200, expected[name]), name
    assert public_files(lazy) == expected  # each a static file now, with its .gz, as the build wrote it


def test_nothing_that_is_not_public_is_written_on_request(paths: list[Path], served: tuple[Service, str]) -> None:
    service, url = served
    backfill(service, paths)
    before = public_files(service.settings)
    for name in ("items/2099-01-01-01.html", "issues/2099-01-01.html", "issues/2024-02-30.html",
                 "archive/1999-01.xml", "archive/2024-13.xml", "sections/no-such-section/archive/2024-01.xml",
                 "authors/no-such-author/archive/index.html", "items/2024-01-01-99.html"):
        assert fetch(url + name)[0] == 404, name
    assert public_files(service.settings) == before


def test_a_backfilled_correction_removes_the_stale_pages_it_changed(tmp_path: Path, paths: list[Path],
                                                                    served: tuple[Service, str]) -> None:
    service, url = served
    backfill(service, paths)
    first = paths[0]
    item = f"items/{first.stem}-01.html"
    issue = f"issues/{first.stem}.html"
    assert fetch(url + item)[0] == fetch(url + issue)[0] == 200
    corrected = tmp_path / "corrected" / first.name
    corrected.parent.mkdir()
    corrected.write_text(first.read_text(encoding="utf-8").replace("。", "！", 1), encoding="utf-8")
    assert backfill(service, [corrected]) == 1
    assert not (service.settings.public / item).exists() and not (service.settings.public / issue).exists()
    expected = built(tmp_path, [*paths, corrected], "corrected-build")
    for name in (item, issue):
        assert fetch(url + name) == (200, expected[name])


def test_a_request_that_cannot_wait_for_a_publication_is_told_to_come_back(
        paths: list[Path], served: tuple[Service, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A publication holding the desk (a full rebuild of a long archive takes minutes) answers a page to be
    written with 503 and Retry-After, not a request hanging on; the page comes once the desk is free."""
    service, url = served
    backfill(service, paths[:3])
    monkeypatch.setattr(ondemand, "WAIT_SECONDS", 0.2)
    held, done = threading.Event(), threading.Event()

    def publication() -> None:
        with service._lock:
            held.set()
            done.wait(30)

    holder = threading.Thread(target=publication)
    holder.start()
    held.wait(10)
    page = url + f"items/{paths[0].stem}-01.html"
    try:
        with pytest.raises(urllib.error.HTTPError) as busy:
            urllib.request.urlopen(page, timeout=10)
        busy.value.close()
        assert busy.value.code == 503 and busy.value.headers["Retry-After"] == str(ondemand.RETRY_AFTER)
    finally:
        done.set()
        holder.join()
    assert fetch(page)[0] == 200
