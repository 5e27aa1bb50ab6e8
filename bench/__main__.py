"""`python -m bench` (`make bench`): every measurement (parse, backfill, drop, serve, push, hugo), then one table,
also written to bench/results.md. Tools the measurements call (wrk, hugo, py-spy) come from `make bench-deps`.

    python -m bench                 # full run: archives of 0, 1,000 and 10,000 issues (~5 minutes)
    python -m bench --quick         # archives up to 1,000, shorter load runs (~2 minutes)
    python -m bench --only drop,serve
    python -m bench --only drop --archives 0,1000,3000   # drop-to-feed at these archive sizes
    python -m bench --profile DIR   # also sample the service with py-spy during drops and load (raw stacks);
                                    # summarise with python -m bench.pyspy_report DIR/drop-1000.txt
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import backfill, drop, hugo, parse_speed, push, serve
from bench.common import DEPS, Context, Corpus, Row, machine, pyspy

MODULES = {m.NAME: m for m in (parse_speed, backfill, drop, serve, push, hugo)}
RESULTS = Path(__file__).with_name("results.md")


def table(rows: list[Row]) -> list[str]:
    lines = ["| measurement | figure | target | result |", "|---|---|---|---|"]
    lines += [f"| {r.measurement} | {r.figure} | {r.target or '-'} | {r.verdict} |" for r in rows]
    return lines


def revision() -> str:
    """The commit measured, marked dirty when the working tree had uncommitted changes under feedsvc/."""
    here = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here, capture_output=True, text=True,
                              check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "feedsvc"], cwd=here, capture_output=True,
                               text=True, check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return f"commit {head}" + (" plus uncommitted changes in feedsvc/" if dirty else "")


def write_results(ctx: Context, args: argparse.Namespace, elapsed: float, measured: str) -> None:
    info = machine()
    plain = not args.quick and not args.only and not args.archives
    command = "make bench" if plain else "python -m bench " + " ".join(sys.argv[1:])
    lines = ["# feedsvc benchmarks", "",
             f"Produced by `{command}` in {elapsed / 60:.1f} minutes"
             f" ({'quick mode' if ctx.quick else 'full run'}); regenerate with `make bench`.", ""]
    lines += [f"- {key}: {value}" for key, value in info.items()]
    lines.append(f"- feedsvc: {measured}")
    lines += ["", *table(ctx.rows), "",
              "Loopback only. Drop-to-feed: `feedsvc run` as a subprocess; the clock starts when the dropped file",
              "is closed and stops when GET /rss.xml (polled every 1 ms) holds the issue's first item. Serving: wrk,",
              "2 threads, 32 connections, on the same 2 cores as the service. Hugo: full `hugo` rebuild after adding",
              "one issue to a site with one page per archived issue.", ""]
    RESULTS.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="archives up to 1,000 issues, short load runs")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(MODULES)}")
    parser.add_argument("--archives", default="",
                        help="drop-to-feed archive sizes, comma-separated (default 0,1000,10000; quick 0,1000)")
    parser.add_argument("--profile", type=Path, help="write py-spy samples of the service here")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (printed) for inspection")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--no-results", action="store_true", help="do not rewrite bench/results.md")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(MODULES)
    unknown = [n for n in names if n not in MODULES]
    if unknown:
        parser.error(f"unknown measurement(s) {', '.join(unknown)}; choose from {', '.join(MODULES)}")
    try:
        sizes = tuple(sorted({int(n) for n in args.archives.split(",") if n.strip()}))
    except ValueError:
        parser.error(f"--archives takes comma-separated issue counts, not {args.archives!r}")
    sizes = sizes or ((0, 1000) if args.quick else (0, 1000, 10_000))
    if args.profile:
        if pyspy() is None:
            parser.error(f"--profile needs py-spy; {DEPS}")
        args.profile = args.profile.resolve()
        args.profile.mkdir(parents=True, exist_ok=True)

    started, measured = time.perf_counter(), revision()
    root = Path(tempfile.mkdtemp(prefix="feedsvc-bench-"))
    try:
        archive_max = max(1000 if args.quick else 10_000, *sizes)
        drops = 30 if args.quick else 100
        print(f"generating {archive_max + drops + hugo.EXTRAS:,} issues into {root} …", flush=True)
        corpus = Corpus.generate(root / "corpus", archive_max, drops, hugo.EXTRAS)
        print(f"  clock: FEEDSVC_NOW={corpus.now}", flush=True)
        ctx = Context(args.quick, root, corpus, profile=args.profile, archive_sizes=sizes)
        for name in names:
            print(f"{name} …", flush=True)
            try:
                MODULES[name].run(ctx)
            except Exception as exc:  # one broken measurement must not hide the others
                ctx.add(Row(name, f"error: {type(exc).__name__}: {exc}", ok=False))
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    elapsed = time.perf_counter() - started
    print()
    print("\n".join(table(ctx.rows)))
    if not args.no_results:
        write_results(ctx, args, elapsed, measured)
        print(f"\nwritten to {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")
    print(f"{elapsed / 60:.1f} minutes")
    if any(r.figure.startswith(("error", "failed", "feedsvc ingest failed")) for r in ctx.rows):
        return 2  # a measurement broke: that is not a figure
    return 1 if args.strict and any(r.ok is False for r in ctx.rows) else 0


if __name__ == "__main__":
    sys.exit(main())
