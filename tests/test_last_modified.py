"""Last-Modified is never later than the response's Date (RFC 9110 §8.8.2.1; issue 9, "What was seen" 9), and
every new version still reaches a reader that revalidates with both validators through libcurl (curl -z, as
newsboat does), even when it is written within the second of the copy the reader holds."""

from __future__ import annotations

import email.utils
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_serve import RSS, Knobs, get

from feedsvc.atomic import write_atomic
from feedsvc.serve import ServerThread, make_app


@pytest.fixture(name="public")
def _public(tmp_path: Path) -> Path:
    public = tmp_path / "public"
    public.mkdir()
    write_atomic(public / "rss.xml", RSS.encode())
    return public


@pytest.fixture(name="port")
def _port(public: Path) -> Iterator[int]:
    knobs = Knobs()
    server = ServerThread(make_app(public, max_age=knobs.get_max_age, status=knobs.get_status), "127.0.0.1", 0)
    server.start()
    yield server.port
    server.stop()


def seconds(value: str) -> float:
    return email.utils.parsedate_to_datetime(value).timestamp()


def version(n: int) -> bytes:
    return RSS.replace("第一条", f"第{n}版").encode()


def rewrite_quickly(public: Path, first: int, count: int) -> bytes:
    """`count` versions written at once: each dated a second after the one it replaces (atomic.py)."""
    for n in range(first, first + count):
        write_atomic(public / "rss.xml", version(n))
    return version(first + count - 1)


def test_last_modified_is_never_after_date_after_quick_rewrites(public: Path, port: int) -> None:
    rewrite_quickly(public, 1, 6)
    assert (public / "rss.xml").stat().st_mtime > time.time() + 3  # the mtime ran ahead of the clock
    status, headers, _ = get(port, "/rss.xml")
    assert status == 200 and seconds(headers["Last-Modified"]) <= seconds(headers["Date"])
    for method in ("GET", "HEAD"):
        status, headers, _ = get(port, "/rss.xml", method, headers={"If-None-Match": headers["ETag"]})
        assert status == 304 and seconds(headers["Last-Modified"]) <= seconds(headers["Date"]), method


def test_a_file_written_this_second_is_not_announced_after_the_date(public: Path, port: int) -> None:
    write_atomic(public / "rss.xml", version(2))  # FileResponse alone rounds its mtime up: past the Date
    status, headers, _ = get(port, "/rss.xml")
    assert status == 200 and seconds(headers["Last-Modified"]) <= seconds(headers["Date"])


def test_if_modified_since_alone_never_gets_304_for_a_changed_file(public: Path, port: int) -> None:
    """The Last-Modified a client got may be the Date, earlier than the file's mtime; a version written in that
    same second still gets a 200 (the publisher dated it a second later), an unchanged file a 304."""
    for count in (1, 3):
        past = time.time() - 3600
        os.utime(public / "rss.xml", (past, past))  # the previous version is old: this one is dated now
        write_atomic(public / "rss.xml", version(count * 100))
        _, first, _ = get(port, "/rss.xml")
        assert get(port, "/rss.xml", headers={"If-Modified-Since": first["Last-Modified"]})[0] == 304
        new = rewrite_quickly(public, count * 100 + 1, count)
        status, _, body = get(port, "/rss.xml", headers={"If-Modified-Since": first["Last-Modified"]})
        assert (status, body) == (200, new), count
    past = time.time() - 3600
    os.utime(public / "rss.xml", (past, past))
    _, settled, _ = get(port, "/rss.xml")
    assert get(port, "/rss.xml", headers={"If-Modified-Since": settled["Last-Modified"]})[0] == 304


def curl(url: str, *args: str) -> tuple[int, dict[str, str], bytes]:
    """libcurl as newsboat drives it: -z sets CURLOPT_TIMECONDITION, which drops a 200 whose Last-Modified is not
    after the time given."""
    binary = shutil.which("curl")
    if binary is None:
        pytest.skip("curl is not installed")
    result = subprocess.run([binary, "-s", "-D", "-", "--compressed", *args, url], capture_output=True, timeout=30,
                            check=True)
    head, _, body = result.stdout.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), {k.lower(): v for k, v in fields.items()}, body


def test_libcurl_with_both_validators_takes_every_new_version(public: Path, port: int) -> None:
    """Seen: clamping Last-Modified to the Date gave two versions served within one second the same date, and
    newsboat kept the old copy. A 200 that cannot be dated after the reader's copy carries only its new ETag."""
    url = f"http://127.0.0.1:{port}/rss.xml"
    for n in range(3):
        status, held, body = curl(url)
        assert status == 200
        new = rewrite_quickly(public, 10 * (n + 1), n + 1)  # within the second of the copy just fetched
        condition = held.get("last-modified") or "Thu, 01 Jan 1970 00:00:01 GMT"
        status, headers, body = curl(url, "-z", condition, "-H", f"If-None-Match: {held['etag']}")
        assert (status, body) == (200, new), f"round {n}: libcurl kept the old copy"
        if "last-modified" in headers:
            assert seconds(headers["last-modified"]) > seconds(condition)
            assert seconds(headers["last-modified"]) <= seconds(headers["date"])
        status, _, body = curl(url, "-z", headers.get("last-modified", condition), "-H",
                               f"If-None-Match: {headers['etag']}")
        assert (status, body) == (304, b"")
