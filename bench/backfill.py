"""Backfill: the real CLI, `feedsvc ingest --data DIR FILE...`, over the first N archive issues.

Wall time, issues/s, and the child's own peak RSS (os.wait4's rusage, so earlier children do not count). The
data folders it fills are kept as the prefilled archives of the drop-to-feed measurement.
"""

from __future__ import annotations

import sys

from bench.common import Context, Row, run_child

NAME = "backfill"
TARGET_SECONDS, TARGET_MB = 10_000 / 700, 150.0  # issue 17: 700 issues/s, 150 MB, at 10,000


def ingest(ctx: Context, count: int) -> tuple[float, float] | None:
    """Fill a fresh data folder with the first `count` archive issues; (seconds, peak MB), None on failure."""
    data = ctx.fresh(f"store-{count}")
    log = ctx.root / f"ingest-{count}.log"
    args = [sys.executable, "-m", "feedsvc", "ingest", "--data", str(data),
            *map(str, ctx.corpus.archive_paths(count))]
    status, seconds, peak = run_child(args, ctx.corpus.env(), log, timeout=600)
    if status != 0:
        tail = " | ".join(log.read_text(errors="replace").splitlines()[-3:])
        ctx.add(Row(f"backfill {count:,}", f"feedsvc ingest failed ({status}): {tail}", ok=False))
        return None
    ctx.archives[count] = data
    return seconds, peak / 1e6


def run(ctx: Context) -> None:
    for count in (1000,) if ctx.quick else (1000, 10_000):
        result = ingest(ctx, count)
        if result is None:
            continue
        seconds, peak = result
        gated = count == 10_000
        ctx.add(Row(f"backfill {count:,}: wall time", f"{seconds:.1f} s ({count / seconds:,.0f} issues/s)",
                    f"< {TARGET_SECONDS:.0f} s" if gated else "", seconds < TARGET_SECONDS if gated else None))
        ctx.add(Row(f"backfill {count:,}: peak memory", f"{peak:.0f} MB",
                    f"< {TARGET_MB:.0f} MB" if gated else "", peak < TARGET_MB if gated else None))
