"""Parse throughput: `parse_issue` over generated issues held in memory (no disk, no store): issues/s and MB/s."""

from __future__ import annotations

import time

from bench.common import Context, Row
from feedsvc.parse import parse_issue

NAME = "parse"


def run(ctx: Context) -> None:
    corpus = ctx.corpus.archive[: 500 if ctx.quick else 2000]
    for issue in corpus[:20]:  # warm up regex caches
        parse_issue(issue.data, issue.name)
    size = sum(len(i.data) for i in corpus)
    started = time.perf_counter()
    items = sum(len(parse_issue(i.data, i.name).items) for i in corpus)
    elapsed = time.perf_counter() - started
    mean = f"{size / len(corpus) / 1000:.1f} KB, {items / len(corpus):.1f} items each"
    ctx.add(Row(f"parse: {len(corpus):,} issues ({mean})",
                f"{len(corpus) / elapsed:,.0f} issues/s, {size / elapsed / 1e6:.2f} MB/s"))
