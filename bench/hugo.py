"""The peer: Hugo rebuilding a site whose RSS covers the same archive, after one new issue arrives.

The site has one Markdown page per archived issue (front matter: title, date at the release time; body: every
item as a heading with its subheads and paragraphs, from `parse_issue`), a minimal theme, and Hugo's built-in
RSS template limited to 50 items like feedsvc's feeds. It is built once; then, `EXTRAS` times, one more issue is
added and the full `hugo` build is timed (Hugo has no incremental build outside `hugo server`), and checked to
carry the new issue in index.xml. Its median is compared with feedsvc's drop-to-feed median at the same size.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import time
from pathlib import Path

from bench.common import Context, GeneratedIssue, Row, find_tool, ms
from feedsvc.parse import parse_issue

NAME = "hugo"
EXTRAS = 3
TARGET_RATIO = 100.0

_CONFIG = """\
baseURL = "http://127.0.0.1/"
languageCode = "zh-CN"
title = "示例日报"
rssLimit = 50
disableKinds = ["taxonomy", "term"]
buildFuture = true  # the generated archive runs past today
"""
_PAGE = ('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{{ .Title }}</title>'
         '<link rel="alternate" type="application/rss+xml" href="{{ "index.xml" | absURL }}"></head>'
         "<body><h1>{{ .Title }}</h1>{{ .Content }}</body></html>\n")
_LIST = ('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{{ .Title }}</title>'
         '<link rel="alternate" type="application/rss+xml" href="{{ "index.xml" | absURL }}"></head><body><ul>'
         '{{ range first 30 site.RegularPages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}'
         "</ul></body></html>\n")


def markdown(issue: GeneratedIssue) -> str:
    parsed = parse_issue(issue.data, issue.name)
    day = issue.issue_date.isoformat()
    front = {"title": f"示例日报 {day}", "date": f"{day}T06:00:00+08:00"}
    body = []
    for item in parsed.items:
        body.append(f"## {item.title}")
        if item.section:
            body.append(f"*{item.section}*")
        body += list(item.subheads)
        body += list(item.paragraphs)
    return json.dumps(front, ensure_ascii=False) + "\n\n" + "\n\n".join(body) + "\n"


def build(binary: str, site: Path) -> float:
    started = time.perf_counter()
    subprocess.run([binary, "--source", str(site), "--destination", str(site / "public"), "--quiet",
                    "--cacheDir", str(site / "cache")], check=True, capture_output=True, timeout=600)
    return time.perf_counter() - started


def run(ctx: Context) -> None:
    binary, why = find_tool("hugo")
    if binary is None:
        ctx.add(Row("Hugo rebuild (peer)", f"skipped: {why}"))
        return
    archive = ctx.corpus.archive
    site = ctx.fresh("hugo-site")
    (site / "config.toml").write_text(_CONFIG)
    for name, text in (("_default/single.html", _PAGE), ("_default/list.html", _LIST), ("index.html", _LIST)):
        (site / "layouts" / name).parent.mkdir(parents=True, exist_ok=True)
        (site / "layouts" / name).write_text(text)
    content = site / "content" / "issues"
    content.mkdir(parents=True)
    for issue in archive:
        (content / f"{issue.issue_date.isoformat()}.md").write_text(markdown(issue))
    first = build(binary, site)
    pages = len(list((site / "public" / "issues").glob("*/index.html")))
    ctx.add(Row(f"Hugo first build, {len(archive):,} issue pages", f"{first:.2f} s ({pages:,} pages written)"))
    times = []
    for issue in ctx.corpus.extras:
        (content / f"{issue.issue_date.isoformat()}.md").write_text(markdown(issue))
        times.append(build(binary, site))
        if f"{issue.issue_date.isoformat()}/" not in (site / "public" / "index.xml").read_text():
            ctx.add(Row("Hugo rebuild", f"index.xml lacks the new issue {issue.issue_date}", ok=False))
            return
    hugo = statistics.median(times)
    ctx.add(Row(f"Hugo rebuild after one new issue, {len(archive):,} archived: median of {len(times)}",
                f"{hugo:.2f} s"))
    ours = ctx.drop_medians.get(len(archive))
    if ours is None:
        ctx.add(Row("feedsvc vs Hugo", "n/a: drop-to-feed at this archive size not measured in this run"))
        return
    ratio = hugo / ours
    ctx.add(Row(f"feedsvc drop-to-feed ({ms(ours)}) vs Hugo rebuild, {len(archive):,} archived",
                f"{ratio:,.0f}x faster", f">= {TARGET_RATIO:.0f}x", ratio >= TARGET_RATIO))
