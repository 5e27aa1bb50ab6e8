"""Serving: wrk over loopback, 32 connections, against `feedsvc run` on a filled store.

Three runs on /rss.xml: a conditional GET answered 304 (If-None-Match with the current ETag, set by a wrk Lua
script), the full feed without compression (the gated figure), and the full feed with Accept-Encoding: gzip
(the pre-compressed sibling, what most feed readers get; informational). requests/s and p99 from `--latency`.
"""

from __future__ import annotations

import re
import subprocess

from bench.backfill import ingest
from bench.common import Context, Row, Service, find_tool

NAME = "serve"
CONNECTIONS, THREADS = 32, 2
TARGET_304, TARGET_FULL = 3000.0, 1000.0
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
    with Service(ctx, inbox, ctx.archives[archived], "serve", profile="serve") as service:
        conn = service.connect()
        conn.request("GET", "/rss.xml")
        response = conn.getresponse()
        size, etag = len(response.read()), response.getheader("ETag", "")
        conn.request("GET", "/rss.xml", headers={"If-None-Match": etag})
        response = conn.getresponse()
        response.read()
        conn.close()
        if response.status != 304 or not etag:
            ctx.add(Row("serving: 304", f"no 304 for If-None-Match {etag!r} (got {response.status})", ok=False))
            return
        script = ctx.root / "if-none-match.lua"
        script.write_text(f'wrk.headers["If-None-Match"] = [[{etag}]]\n')
        url = service.url + "rss.xml"
        label = f"{CONNECTIONS} connections, {seconds} s, {archived:,} archived"
        rate, p99, problems = wrk(binary, url, seconds, script=str(script))
        ctx.add(Row(f"serving 304 (If-None-Match), {label}", f"{rate:,.0f} req/s, p99 {p99 * 1000:.1f} ms"
                    + (f" ({problems})" if problems else ""), f">= {TARGET_304:,.0f} req/s",
                    rate >= TARGET_304 and not problems))
        rate, p99, problems = wrk(binary, url, seconds)
        ctx.add(Row(f"serving full rss.xml ({size / 1000:.0f} KB), {label}", f"{rate:,.0f} req/s, p99 "
                    f"{p99 * 1000:.1f} ms" + (f" ({problems})" if problems else ""), f">= {TARGET_FULL:,.0f} req/s",
                    rate >= TARGET_FULL and not problems))
        rate, p99, problems = wrk(binary, url, seconds, headers=("Accept-Encoding: gzip",))
        ctx.add(Row("serving full rss.xml, gzip (pre-compressed)", f"{rate:,.0f} req/s, p99 {p99 * 1000:.1f} ms"
                    + (f" ({problems})" if problems else "")))
