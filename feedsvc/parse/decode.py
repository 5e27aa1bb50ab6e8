"""Bytes of an issue file → clean text: encoding, line endings and XML-forbidden characters.

Strict UTF-8 comes first because about 6% of UTF-8 windows also decode as GB18030 (into mojibake),
while GB18030 bytes practically never decode as UTF-8 (docs/libraries.md says why).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from feedsvc.errors import ParseError

# (mark, codec, name reported as Issue.encoding)
_BOMS = ((b"\xef\xbb\xbf", "utf-8", "utf-8-sig"), (b"\x84\x31\x95\x33", "gb18030", "gb18030"))
_UNSUPPORTED_BOMS = ((b"\xff\xfe", "UTF-16/32"), (b"\xfe\xff", "UTF-16"), (b"\x00\x00\xfe\xff", "UTF-32"))

# Breaks other than LF that text tools produce; all become LF so that lines are lines.
_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
# XML 1.0 forbids C0 controls except TAB/LF/CR, and U+FFFE/U+FFFF; DEL and C1 are legal but never
# meaningful in a newspaper text and upset some readers, so they go too.
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_FORBIDDEN = re.compile("[\x00-\x08\x0e-\x1f\ufffe\uffff]")

# Above these shares the input is data, not a text with a few stray bytes.
_MAX_NUL_SHARE = 0.01
_MAX_OUTSIDE_GB2312 = 0.05
_MAX_OUTSIDE_GB2312_FEW = 0.2
_NOT_WIDE_LETTERS = re.compile(r"[\W\d_\x00-\x7f]+")
_MIN_STRAYS = 8  # a short text with a few stray controls is damaged text, not data
_MAX_CONTROL_SHARE = 0.10


@dataclass(frozen=True)
class Decoded:
    """Text ready for parsing: LF line endings, no forbidden characters."""

    text: str
    encoding: str
    warnings: tuple[str, ...] = ()


def decode(data: bytes, source: str) -> Decoded:
    """Decode one issue file; raise ParseError when it is empty, binary or in an encoding we do not read."""
    if not data.strip():
        raise ParseError(source, "empty file" if not data else "file holds only whitespace")
    for bom, name in _UNSUPPORTED_BOMS:
        if data.startswith(bom):
            raise ParseError(source, f"not text we read ({name} byte-order mark; expected UTF-8 or GB18030)")
    nuls = data.count(0)
    if nuls > max(_MIN_STRAYS, _MAX_NUL_SHARE * len(data)):
        raise ParseError(source, f"not text (binary data: {nuls} NUL bytes in {len(data)})")
    raw, encoding = _decode_bytes(data, source)
    text = _BREAKS.sub("\n", raw).replace("\ufeff", "")  # a BOM inside the text is a stray from concatenation
    controls = len(_CONTROLS.findall(text))
    warnings: list[str] = []
    if controls:
        if controls > max(_MIN_STRAYS, _MAX_CONTROL_SHARE * len(text)):
            raise ParseError(source, f"not text (binary data: {controls} control characters in {len(text)})")
        forbidden = len(_FORBIDDEN.findall(text))
        text = _CONTROLS.sub("", text)
        if forbidden:
            warnings.append(f"removed {forbidden} control characters that XML forbids")
    if not text.strip():
        raise ParseError(source, "file holds only whitespace")
    return Decoded(text, encoding, tuple(warnings))


def _decode_bytes(data: bytes, source: str) -> tuple[str, str]:
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec), name
            except UnicodeDecodeError as exc:
                raise ParseError(
                    source,
                    f"undecodable {name} text after its byte-order mark ({exc.reason} at byte {exc.start + len(bom)})",
                ) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise ParseError(
                source, f"undecodable: neither UTF-8 nor GB18030 (invalid byte at {utf8_error.start})"
            ) from None
    _check_simplified(text, source)
    return text, "gb18030"


def _check_simplified(text: str, source: str) -> None:
    """Reject Big5 and other double-byte encodings, which GB18030 decodes without error into mojibake.

    Simplified Chinese news text keeps to GB2312 but for a few rare name characters; Big5 read as GB18030
    gives about a third of its characters from outside GB2312 (kana-like symbols, rare ideographs).
    """
    letters = _NOT_WIDE_LETTERS.sub("", text)  # punctuation such as —— maps differently in GB2312: skip it
    outside = letters.encode("gb2312", errors="replace").count(b"?")
    # A few rare characters in a short text need a high share to count; many need only a small one.
    share = _MAX_OUTSIDE_GB2312 if outside > _MIN_STRAYS else _MAX_OUTSIDE_GB2312_FEW
    if outside >= 3 and outside > share * len(letters):
        raise ParseError(
            source,
            f"undecodable: not Simplified Chinese in GB18030, probably another encoding such as Big5 "
            f"({outside} of {len(letters)} letters outside GB2312)",
        )
