"""`feedsvc parse FILE --explain`: each line of the page with what the parser took it for and the item it went to,
then the items and the warnings, so that an editor can see why a page came out as it did."""

from __future__ import annotations

from collections.abc import Collection, Iterator

from feedsvc.parse.issue import read_issue
from feedsvc.parse.lines import Role

_TEXT = 48  # characters of each line shown


def explain(data: bytes, source: str, *, weekdays: Collection[int] = (0, 2, 4)) -> Iterator[str]:
    """The explanation, line by line (raises ParseError like `parse_issue`)."""
    reading = read_issue(data, source, weekdays=weekdays)
    issue = reading.issue
    yield f"{issue.source}: issue of {issue.issue_date.isoformat()}, {issue.encoding}, {len(issue.items)} items"
    yield ""
    for line, (role, ordinal) in zip(reading.lines, reading.roles, strict=True):
        where = f"{line.number}" if not line.last else f"{line.number}-{line.last}"
        went = f"#{ordinal}" if ordinal is not None else "-"
        if role is Role.BODY and ordinal is not None and issue.items[ordinal - 1].kind.value == "notice":
            role = Role.NOTICE
        text = line.text if len(line.text) <= _TEXT else line.text[: _TEXT - 1] + "…"
        yield f"{where:>7}  {role.value:<19} {went:>4}  {text}"
    yield ""
    for item in issue.items:
        extra = [f"section {item.section}"] if item.section else []
        extra += [f"by {'、'.join(item.authors)}"] if item.authors else []
        extra += [f"page {item.page}"] if item.page is not None else []
        extra += [f"{len(item.paragraphs)} paragraphs"] + ([f"{len(item.subheads)} subheads"] if item.subheads else [])
        yield f"#{item.ordinal:<3} {item.kind.value:<7} {item.title}  ({', '.join(extra)})"
    if issue.suspension is not None:
        yield f"notice: {issue.suspension.describe()}"
    yield ""
    yield f"{len(issue.warnings)} warnings" + (":" if issue.warnings else "")
    for warning in issue.warnings:
        yield f"  {warning}"
