"""Serving: wrk over loopback, 32 connections, against `feedsvc run` on a filled store.

Three runs on /rss.xml: a conditional GET answered 304 (If-None-Match with the current ETag, set by a wrk Lua
script), the full feed without compression (the gated figure), and the full feed with Accept-Encoding: gzip
(the pre-compressed sibling, what most feed readers get; informational). requests/s and p99 from `--latency`.
Then nginx (gzip_static, etag) serves the same public/ and gets the same three runs; each row gives both figures
and their ratio. Without nginx (`make bench-deps` installs it) the comparison is skipped with a note.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from bench.backfill import ingest
from bench.common import Context, Row, Service, find_tool

NAME = "serve"
CONNECTIONS, THREADS = 32, 2
TARGET_304, TARGET_GZIP = 15_000.0, 10_000.0  # issue 17: req/s on the 2-core machine
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def _seconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * _UNITS[unit]


def wrk(binary: str, url: str, seconds: int, script: str | None = None,
        headers: tuple[str, ...] = ()) -> tuple[float, float, str]:
    """(requests/s, p99 seconds, problems) of one wrk run."""
    args = [binary, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for header in headers:
        args += ["-H", header]
    if script:
        args += ["-s", script]
    out = subprocess.run([*args, url], capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = _seconds(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    problems = []
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        problems.append(f"{match.group(1)} non-2xx/3xx")
    if match := re.search(r"Socket errors: (.*)", out):
        problems.append(f"socket errors: {match.group(1)}")
    return rate, p99, "; ".join(problems)


NGINX_CONF = """daemon off;
{user}
worker_processes 2;
pid {root}/nginx.pid;
error_log {root}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {root}/nginx-tmp; proxy_temp_path {root}/nginx-tmp; fastcgi_temp_path {root}/nginx-tmp;
    uwsgi_temp_path {root}/nginx-tmp; scgi_temp_path {root}/nginx-tmp;
    types {{ application/rss+xml xml; application/atom+xml atom; application/feed+json json; text/html html; }}
    sendfile on; tcp_nopush on; keepalive_requests 1000000; etag on; gzip_static on;
    server {{
        listen 127.0.0.1:{port};
        root {public};
        add_header Cache-Control "public, max-age=300";
        add_header X-Content-Type-Options nosniff;
    }}
}}
"""


def validators(port: int) -> tuple[int, str]:
    """(size, ETag) of /rss.xml, after checking that its ETag gets a 304."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/rss.xml")
        response = conn.getresponse()
        size, etag = len(response.read()), response.getheader("ETag", "")
        conn.request("GET", "/rss.xml", headers={"If-None-Match": etag})
        response = conn.getresponse()
        response.read()
    finally:
        conn.close()
    if response.status != 304 or not etag:
        raise RuntimeError(f"no 304 for If-None-Match {etag!r} (got {response.status})")
    return size, etag


def measure(ctx: Context, binary: str, port: int, seconds: int) -> tuple[int, list[tuple[float, float, str]]]:
    """The feed's size and three wrk runs on /rss.xml: 304, full, full gzip."""
    size, etag = validators(port)
    script = ctx.root / f"if-none-match-{port}.lua"
    script.write_text(f'wrk.headers["If-None-Match"] = [[{etag}]]\n')
    url = f"http://127.0.0.1:{port}/rss.xml"
    return size, [wrk(binary, url, seconds, script=str(script)), wrk(binary, url, seconds),
                  wrk(binary, url, seconds, headers=("Accept-Encoding: gzip",))]


@contextlib.contextmanager
def nginx(ctx: Context, public: Path) -> Iterator[int | str]:
    """nginx serving `public` on a free loopback port (its port), or why not."""
    binary, why = find_tool("nginx")
    if binary is None:
        yield why
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (ctx.root / "nginx-tmp").mkdir(exist_ok=True)
    conf = ctx.root / "nginx.conf"
    # As root, nginx's workers would run as nobody, who cannot read the benchmark's private temp folder.
    user = "user root;" if os.geteuid() == 0 else ""
    conf.write_text(NGINX_CONF.format(user=user, root=ctx.root, port=port, public=public.resolve()))
    proc = subprocess.Popen([binary, "-c", str(conf), "-p", str(ctx.root)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                yield f"nginx did not start (see {ctx.root / 'nginx-error.log'})"
                return
            time.sleep(0.02)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def _figure(result: tuple[float, float, str]) -> str:
    rate, p99, problems = result
    return f"{rate:,.0f} req/s, p99 {p99 * 1000:.1f} ms" + (f" ({problems})" if problems else "")


def run(ctx: Context) -> None:
    binary, why = find_tool("wrk")
    if binary is None:
        ctx.add(Row("serving (wrk)", f"skipped: {why}"))
        return
    if not ctx.archives:
        ingest(ctx, min(1000, len(ctx.corpus.archive)))
    archived = max(ctx.archives)
    seconds = 3 if ctx.quick else 10
    inbox = ctx.fresh("inbox-serve")
    label = f"{CONNECTIONS} connections, {seconds} s, {archived:,} archived"
    with Service(ctx, inbox, ctx.archives[archived], "serve", profile="serve") as service:
        try:
            size, ours = measure(ctx, binary, service.port, seconds)
        except RuntimeError as exc:
            ctx.add(Row("serving: 304", str(exc), ok=False))
            return
    # nginx on the same files, right after (the machine's load drifts: the ratio is the figure to compare).
    with nginx(ctx, ctx.archives[archived] / "public") as port:
        theirs = measure(ctx, binary, port, seconds)[1] if isinstance(port, int) else None
    names = ("304 (If-None-Match)", f"full rss.xml ({size / 1000:.0f} KB)", "full rss.xml, gzip (pre-compressed)")
    targets = ((TARGET_304, True), (0.0, False), (TARGET_GZIP, True))
    for name, result, (target, gated), nginx_result in zip(names, ours, targets, theirs or [None] * 3, strict=True):
        ratio = f"; nginx {_figure(nginx_result)}, feedsvc/nginx {result[0] / nginx_result[0]:.2f}" \
            if nginx_result else ""
        ctx.add(Row(f"serving {name}, {label}", _figure(result) + ratio, f">= {target:,.0f} req/s" if gated else "",
                    (result[0] >= target and not result[2]) if gated else None))
    if theirs is None:
        ctx.add(Row("serving: nginx on the same files", f"skipped: {port}"))
