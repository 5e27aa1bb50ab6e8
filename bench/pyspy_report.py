"""Summarise a py-spy raw (collapsed) profile: the functions with the most inclusive and self samples.

Run: python -m bench.pyspy_report PROFILE.txt [--top N] [--match feedsvc] [--thread NAME]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_LINE = re.compile(r"\s*\(([^()]*?):\d+\)$")
_REPO = str(Path(__file__).resolve().parent.parent) + "/"
_PREFIX = re.compile(r"^.*site-packages/|^.*?/lib/python3\.\d+/")  # a library's or the stdlib's install folder


def _function(frame: str) -> str:
    """'publish (feedsvc/service.py:212)' → 'publish (feedsvc/service.py)', so lines of one function add up."""
    match = _LINE.search(frame)
    if not match:
        return frame
    path = match.group(1)
    short = path.removeprefix(_REPO) if path.startswith(_REPO) else _PREFIX.sub("", path)
    return f"{frame[: match.start()].strip()} ({short})"


def summarise(path: Path, top: int, match: str, thread: str) -> str:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if thread and not any(thread in f for f in frames[:1]):
            continue
        if any("idle" in f for f in frames[:1]):
            continue
        n = int(count)
        total += n
        names = [_function(f) for f in frames]
        for name in set(names):
            inclusive[name] += n
        own[names[-1]] += n
    out = [f"{path.name}: {total} samples"]
    for title, counter in (("inclusive", inclusive), ("self", own)):
        out.append(f"-- top {title}")
        shown = 0
        for name, n in counter.most_common():
            if match and match not in name:
                continue
            out.append(f"{n / max(total, 1) * 100:6.1f}%  {name}")
            shown += 1
            if shown >= top:
                break
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", default="")
    parser.add_argument("--thread", default="", help="keep stacks whose thread frame contains this")
    args = parser.parse_args()
    print(summarise(args.profile, args.top, args.match, args.thread))


if __name__ == "__main__":
    main()
