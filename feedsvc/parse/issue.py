"""The issue parser: bytes of one issue file → `Issue` (items in page order, suspension, warnings).

Pure: no file system, no clock. Bytes are decoded (`decode`), lines classified (`lines`) and assembled into
items (`assemble`); here the issue date is chosen, items get their kind and id, and notices are read for
suspensions (`notices`). Anything unparseable raises `ParseError`; oddities become warnings.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from pathlib import PurePath

from feedsvc.errors import ParseError
from feedsvc.model import Issue, Item, ItemKind, Suspension, item_id
from feedsvc.parse.ahead import MAX_CAPTION_PARAGRAPHS
from feedsvc.parse.assemble import Roles, assemble
from feedsvc.parse.cndates import date_in_name
from feedsvc.parse.decode import decode
from feedsvc.parse.draft import Draft
from feedsvc.parse.jumps import join_jumps
from feedsvc.parse.lines import Kind, Line, Role, masthead, split_lines
from feedsvc.parse.notices import merge_suspensions, read_suspension

_MAX_WARNINGS = 50


@dataclass(frozen=True)
class Reading:
    """An issue and how it was read: each classified line, what it was taken for and the item it went to."""

    issue: Issue
    lines: list[Line]
    roles: list[tuple[Role, int | None]]  # per line: its role and the ordinal of its item


def parse_issue(data: bytes, source: str, *, weekdays: Collection[int] = (0, 2, 4)) -> Issue:
    """Parse one issue file; `weekdays` (0 = Monday) are the publication days used to expand ranges."""
    return _guarded(data, source, weekdays, explain=False).issue


def read_issue(data: bytes, source: str, *, weekdays: Collection[int] = (0, 2, 4)) -> Reading:
    """`parse_issue`, with the reading of every line (`feedsvc parse --explain`)."""
    return _guarded(data, source, weekdays, explain=True)


def _guarded(data: bytes, source: str, weekdays: Collection[int], explain: bool) -> Reading:
    try:
        return _parse(data, source, frozenset(weekdays), explain)
    except ParseError:
        raise
    except Exception as exc:  # the contract is an Issue or a ParseError, whatever the bytes
        raise ParseError(source, f"internal parser error ({type(exc).__name__}: {exc})") from exc


def _parse(data: bytes, source: str, weekdays: frozenset[int], explain: bool) -> Reading:
    decoded = decode(data, source)
    warnings = list(decoded.warnings)
    lines = split_lines(decoded.text)
    start, masthead_date, page = masthead(lines)
    drafts, roles = assemble(lines, start, page, warnings)
    drafts, merged = join_jumps(drafts, warnings)
    issue_date = _issue_date(source, masthead_date, lines, drafts, warnings)
    if not drafts:
        raise ParseError(source, "no article found (no headline followed by text)")
    items = tuple(_item(d, n, issue_date) for n, d in enumerate(drafts, 1))
    suspension = _suspension(drafts, issue_date, weekdays, warnings)
    if len(warnings) > _MAX_WARNINGS:
        warnings[_MAX_WARNINGS:] = [f"… and {len(warnings) - _MAX_WARNINGS} more warnings"]
    issue = Issue(source, decoded.encoding, issue_date, items, suspension, tuple(warnings))
    return Reading(issue, lines, _ordinals(roles, drafts, merged) if explain else [])


def _ordinals(roles: Roles, drafts: list[Draft], merged: dict[int, Draft]) -> list[tuple[Role, int | None]]:
    ordinal = {id(d): n for n, d in enumerate(drafts, 1)}
    out: list[tuple[Role, int | None]] = []
    for role, draft in roles:
        if draft is not None and id(draft) in merged:
            role = Role.REPEATED_HEADLINE if role is Role.HEADLINE else role
            draft = merged[id(draft)]
        out.append((role, ordinal.get(id(draft)) if draft is not None else None))
    return out


def _issue_date(
    source: str, masthead: date | None, lines: list[Line], drafts: list[Draft], warnings: list[str]
) -> date:
    """File name, then masthead or running header, then a line that is only a date, then a notice signature."""
    named = date_in_name(PurePath(source).name)
    headers = (ln.date for ln in lines if ln.kind is Kind.HEADER and ln.date is not None)
    printed = masthead or next(headers, None)
    if named is not None:
        if printed is not None and printed != named:
            warnings.append(f"file name says {named.isoformat()} but the masthead says {printed.isoformat()}")
        return named
    if printed is not None:
        return printed
    only_date = next((ln.date for ln in lines if ln.kind is Kind.DATE and ln.date is not None), None)
    signed = next((d.signed for d in drafts if d.signed is not None), None)
    found = only_date or signed
    if found is None:
        raise ParseError(
            source, "no issue date found (none in the file name, no masthead or page header date, no date line)"
        )
    return found


def _item(draft: Draft, ordinal: int, issue_date: date) -> Item:
    if draft.notice:
        kind = ItemKind.NOTICE
    elif draft.credited and not draft.lead and not draft.subheads and len(draft.paragraphs) <= MAX_CAPTION_PARAGRAPHS:
        kind = ItemKind.PHOTO
    else:
        kind = ItemKind.ARTICLE
    return Item(
        id=item_id(issue_date, ordinal),
        ordinal=ordinal,
        kind=kind,
        title=draft.title,
        subheads=tuple(draft.subheads),
        section=draft.section or draft.block,
        paragraphs=tuple("".join(f) for f in draft.paragraphs),  # never empty: assemble keeps no empty text
        authors=() if draft.notice else tuple(dict.fromkeys(draft.authors)),  # a notice is signed, not written
        page=draft.page,
        subhead_at=tuple(draft.subhead_at),
    )


def _suspension(
    drafts: list[Draft], issue_date: date, weekdays: frozenset[int], warnings: list[str]
) -> Suspension | None:
    found: list[Suspension] = []
    for draft in drafts:
        if not draft.notice:
            continue
        text = "\n".join("".join(f) for f in draft.paragraphs)
        suspension, notes = read_suspension(text, draft.signed or issue_date, weekdays, f"{draft.title}\n{text}")
        warnings.extend(f"{draft.title}: {note}" for note in notes)
        if suspension is not None:
            found.append(suspension)
    return merge_suspensions(found, warnings)
