"""The real nginx and the real Varnish, configured by config/nginx.conf and config/varnish.vcl, in front of a running
`feedsvc run` whose clock stands 15 s before a 06:00 release: what readers get through each cache.

Checked through both: feeds and pages served, a hit until the copy is due, the reader's conditional request
answered 304, gzip, the freshness a reader is told (never past the origin's rule: max-age minus Age, or Expires),
the 06:00 release visible within a minute of its release time, and a page still served while feedsvc is stopped;
the cache's own revalidation with feedsvc (a 304 instead of the body) after the copy is due."""

from __future__ import annotations

import contextlib
import email.utils
import gzip
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from multidict import CIMultiDict

from tests.conftest import FeedsvcRun, issue_text, wait_for, wait_published

ROOT = Path(__file__).resolve().parent.parent
SBIN = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
NOW = "2023-09-27T05:59:45+08:00"  # the seed issue (2023-09-27) is released 15 s after the service starts
RELEASE_WITHIN = 60.0

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Answer:
    status: int
    headers: CIMultiDict[str]  # names as any case
    body: bytes
    received: float  # wall clock, when the answer came

    def expires_at(self) -> float:
        """Until when a reader honouring the headers keeps this copy (wall clock): max-age minus Age counted from
        its receipt, or else Expires."""
        match = re.search(r"(?:^|[ ,])max-age=(\d+)", self.headers.get("Cache-Control", ""))
        if match:
            return self.received + int(match[1]) - int(self.headers.get("Age", "0"))
        assert "Expires" in self.headers, self.headers
        return email.utils.parsedate_to_datetime(self.headers["Expires"]).timestamp()


def get(url: str, **headers: str) -> Answer:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Answer(response.status, CIMultiDict(response.headers.items()), response.read(), time.time())
    except urllib.error.HTTPError as err:
        return Answer(err.code, CIMultiDict(err.headers.items()), err.read(), time.time())


def substitute(text: str, *pairs: tuple[str, str]) -> str:
    for old, new in pairs:
        assert old in text, f"the shipped config no longer holds {old!r}"
        text = text.replace(old, new)
    return text


@contextlib.contextmanager
def nginx(tmp: Path, origin_port: int) -> Iterator[tuple[str, Path]]:
    binary = shutil.which("nginx", path=SBIN)
    if binary is None:
        pytest.skip("nginx is not installed (apt-get install nginx; .ci/run installs it)")
    tmp.mkdir()
    port = free_port()
    site = substitute((ROOT / "config" / "nginx.conf").read_text(),
                      ("/var/cache/nginx/feedsvc", str(tmp / "cache")),
                      ("server 127.0.0.1:8080;", f"server 127.0.0.1:{origin_port};"),
                      ("listen 80;", f"listen 127.0.0.1:{port};"))
    (tmp / "feedsvc.conf").write_text(site)
    access = tmp / "access.log"
    (tmp / "nginx.conf").write_text(f"""
        daemon off;
        {"user root;" if os.geteuid() == 0 else ""}
        worker_processes 1;
        pid {tmp}/nginx.pid;
        error_log {tmp}/error.log;
        events {{ worker_connections 128; }}
        http {{
            log_format upstream '$uri $upstream_cache_status $upstream_status';
            access_log {access} upstream;
            log_subrequest on;  # the background revalidations too
            client_body_temp_path {tmp}/body;
            proxy_temp_path {tmp}/proxy;
            fastcgi_temp_path {tmp}/fastcgi;
            uwsgi_temp_path {tmp}/uwsgi;
            scgi_temp_path {tmp}/scgi;
            include {tmp}/feedsvc.conf;
        }}
    """)
    with (tmp / "stderr.log").open("wb") as sink:
        proc = subprocess.Popen([binary, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-e", str(tmp / "error.log")],
                                stdout=subprocess.DEVNULL, stderr=sink)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for(lambda: _listening(proc, port, tmp / "stderr.log"), 20, "nginx listens")
        yield url, access
    finally:
        proc.terminate()
        proc.wait(10)


@contextlib.contextmanager
def varnish(origin_port: int) -> Iterator[tuple[str, Path]]:
    binary = shutil.which("varnishd", path=SBIN)
    if binary is None:
        pytest.skip("varnishd is not installed (apt-get install varnish; .ci/run installs it)")
    # varnishd started as root reads its files as its own unprivileged user: a folder all may traverse, not
    # under pytest's tmp_path (0700).
    holder = tempfile.TemporaryDirectory(prefix="feedsvc-varnish-")
    tmp = Path(holder.name)
    tmp.chmod(0o755)
    port = free_port()
    # No stale-while-revalidate grace: a copy past its s-maxage while feedsvc is stopped is then served only by
    # the stale-if-error path (the probe, or the restart after a failed fetch), which this test means to check.
    vcl = substitute((ROOT / "config" / "varnish.vcl").read_text(), ('.port = "8080";', f'.port = "{origin_port}";'),
                     ("set req.grace = 30s;", "set req.grace = 0s;"))
    (tmp / "feedsvc.vcl").write_text(vcl)
    workdir = tmp / "work"
    with (tmp / "stdout.log").open("wb") as sink:
        proc = subprocess.Popen([binary, "-F", "-n", str(workdir), "-a", f"127.0.0.1:{port}", "-T", "none",
                                 "-f", str(tmp / "feedsvc.vcl"), "-s", "malloc,32m", "-p", "thread_pool_min=5",
                                 "-p", "thread_pools=1"], stdout=sink, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: _listening(proc, port, tmp / "stdout.log"), 30, "varnishd listens")
        yield f"http://127.0.0.1:{port}/", workdir
    finally:
        proc.terminate()
        proc.wait(10)
        holder.cleanup()


def _listening(proc: subprocess.Popen[bytes], port: int, log: Path) -> bool:
    assert proc.poll() is None, f"exited {proc.returncode}: {log.read_text(errors='replace')}"
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def varnish_stat(workdir: Path, counter: str) -> int:
    out = subprocess.run([shutil.which("varnishstat", path=SBIN) or "varnishstat", "-n", str(workdir), "-1",
                          "-f", counter], capture_output=True, text=True, check=True).stdout
    return int(out.split()[1])


def cache_state(answer: Answer) -> str:
    return answer.headers.get("X-Cache-Status") or answer.headers["X-Cache"]


def test_readers_behind_nginx_and_varnish(tmp_path: Path, seed_path: Path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    before = date(2023, 9, 25)
    (inbox / f"{before}.txt").write_text(issue_text(before, "城市更新", "秋收"), encoding="utf-8")
    shutil.copy(seed_path, inbox / "2023-09-27.txt")
    with FeedsvcRun(inbox, tmp_path / "var", tmp_path / "service.log", env={"FEEDSVC_NOW": NOW}) as origin, \
            nginx(tmp_path / "nginx", origin.port) as (via_nginx, nginx_log), \
            varnish(origin.port) as (via_varnish, varnish_dir):
        wait_published(origin.url, before, 2)
        direct = get(origin.url + "rss.xml")
        release = direct.expires_at()  # the origin's rule 15 s before a release: fresh until the release
        assert release - direct.received < 15, direct.headers
        item = re.search(rb"<link>http://[^/]+/(items/[^<]+)</link>", direct.body)
        assert item, "the feed links an item page"
        paths = ["rss.xml", "atom.xml", "feed.json", "index.html", item[1].decode()]
        old = {path: get(origin.url + path) for path in paths}
        caches = {"nginx": via_nginx, "varnish": via_varnish}

        for name, base in caches.items():
            for path in paths:
                first = get(base + path)
                assert (first.status, first.body) == (200, old[path].body), (name, path)
                second = get(base + path)
                assert (second.status, cache_state(second)) == (200, "HIT"), (name, path, second.headers)
                assert second.expires_at() <= release + 1, (name, path, second.headers)
                assert "Accept-Encoding" in second.headers.get("Vary", ""), (name, path)
                # gzip as feedsvc sends it (the feeds have a .gz sibling), the same bytes once decoded.
                zipped = get(base + path, **{"Accept-Encoding": "gzip"})
                coding = get(origin.url + path, **{"Accept-Encoding": "gzip"}).headers.get("Content-Encoding")
                assert zipped.headers.get("Content-Encoding") == coding, (name, path, zipped.headers)
                assert coding == "gzip" or not path.endswith(".xml")
                assert (gzip.decompress(zipped.body) if coding else zipped.body) == old[path].body
                assert "ETag" in second.headers, (name, path, second.headers)
                conditional = get(base + path, **{"If-None-Match": second.headers["ETag"]})
                assert conditional.status == 304, (name, path, conditional.headers)
            # Behind nginx a reader is told Expires, never a max-age it would count again from its own fetch.
            assert name != "nginx" or "max-age" not in second.headers.get("Cache-Control", "")

        # Shortly before 06:00 the copies stored seconds ago are still hits, and a reader getting one is told it is
        # fresh until 06:00 at most: nginx, sending no Age, must not hand on the max-age it stored.
        wait_for(lambda: time.time() >= release - 2.5, 20, "two seconds before the release")
        for name, base in caches.items():
            late = get(base + "rss.xml")
            assert late.expires_at() <= release + 1, (name, late.headers)
            if late.received < release - 1:
                assert cache_state(late) == "HIT", (name, late.headers)

        # 06:00: the seed issue is released; each cache shows it within a minute of the release.
        wait_published(origin.url, date(2023, 9, 27), 5)
        for name, base in caches.items():
            wait_for(lambda base=base: "2023-09-27" in get(base + "rss.xml").body.decode(),
                     max(1.0, release + RELEASE_WITHIN - time.time()), f"the release through {name}")
            latest = get(base + "rss.xml")
            now_direct = get(origin.url + "rss.xml")
            assert latest.expires_at() <= now_direct.expires_at() + 1, (name, latest.headers, now_direct.headers)
        seen_within = time.time() - release
        assert seen_within < RELEASE_WITHIN

        # The item page did not change at the release: the caches ask feedsvc again and get a 304.
        page = paths[-1]
        assert get(origin.url + page).headers["Last-Modified"] == old[page].headers["Last-Modified"]
        fetch_304 = varnish_stat(varnish_dir, "MAIN.fetch_304")
        for name, base in caches.items():
            wait_for(lambda base=base: cache_state(get(base + page)) == "HIT", 10, f"{page} cached again by {name}")
            again = get(base + page)
            assert again.body == old[page].body
            assert again.expires_at() <= get(origin.url + page).expires_at() + 1, (name, again.headers)
        assert f"/{page} REVALIDATED 304" in nginx_log.read_text()
        assert varnish_stat(varnish_dir, "MAIN.fetch_304") > fetch_304

        # feedsvc stopped: the copies the caches hold are still served (index.html: the one from before 06:00).
        assert origin.stop() == 0
        for name, base in caches.items():
            stale = wait_for(lambda base=base: (answer := get(base + "index.html")).status == 200 and answer, 10,
                             f"index.html through {name} while feedsvc is down")
            assert stale.body == old["index.html"].body, name
    print(f"release seen through both caches {seen_within:.1f} s after 06:00")
