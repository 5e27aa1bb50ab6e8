"""Parse throughput over a generated corpus: issues/s, MB/s and mean ms per ~10 KB issue.

Run: .venv/bin/python -m bench.bench_parse [COUNT]
"""

from __future__ import annotations

import sys
import time
from datetime import date

from bench.corpus import generate
from feedsvc.parse import parse_issue


def main(count: int = 1000) -> None:
    corpus = list(generate(count, date(2024, 1, 1)))
    size = sum(len(data) for _, data in corpus)
    for name, data in corpus[:20]:  # warm up regex caches
        parse_issue(data, name)
    started = time.perf_counter()
    items = sum(len(parse_issue(data, name).items) for name, data in corpus)
    elapsed = time.perf_counter() - started
    print(f"{count} issues, {size / count / 1000:.1f} KB mean, {items} items")
    print(f"{count / elapsed:,.0f} issues/s  {size / elapsed / 1e6:.2f} MB/s  {elapsed / count * 1000:.3f} ms/issue")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
