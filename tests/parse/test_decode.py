"""decode(): bytes → text, encoding and warnings, or a ParseError naming what is wrong."""

from __future__ import annotations

import pytest

from feedsvc.errors import ParseError
from feedsvc.parse.decode import decode

TEXT = "休刊通知\n本报10月2日休刊。\n"


@pytest.mark.parametrize(
    ("data", "text", "encoding"),
    [
        pytest.param(TEXT.encode(), TEXT, "utf-8", id="utf-8"),
        pytest.param(b"\xef\xbb\xbf" + TEXT.encode(), TEXT, "utf-8-sig", id="utf-8 with BOM"),
        pytest.param(TEXT.encode("gb18030"), TEXT, "gb18030", id="gb18030"),
        pytest.param(TEXT.encode("gbk"), TEXT, "gb18030", id="gbk read as its superset"),
        pytest.param(b"\x84\x31\x95\x33" + TEXT.encode("gb18030"), TEXT, "gb18030", id="gb18030 with BOM"),
        pytest.param(TEXT.replace("\n", "\r\n").encode(), TEXT, "utf-8", id="CRLF"),
        pytest.param(TEXT.replace("\n", "\r").encode(), TEXT, "utf-8", id="old Mac CR"),
        pytest.param("第1版\f第2版".encode(), "第1版\n第2版", "utf-8", id="form feed is a line break"),
        pytest.param("全角\u3000空格".encode(), "全角\u3000空格", "utf-8", id="full-width text kept"),
        pytest.param(b"2024-03-08 ASCII", "2024-03-08 ASCII", "utf-8", id="plain ASCII"),
    ],
)
def test_decode_reads_utf8_then_gb18030(data, text, encoding):
    """Strict UTF-8 first, then GB18030; line endings become LF; nothing else changes."""
    decoded = decode(data, "x.txt")
    assert (decoded.text, decoded.encoding, decoded.warnings) == (text, encoding, ())


def test_decode_prefers_utf8_for_bytes_that_are_valid_in_both():
    """`涓枃` is what UTF-8 `中文` looks like read as GB18030: UTF-8 must win."""
    data = "中文".encode()
    assert data.decode("gb18030") != "中文"
    assert decode(data, "x.txt").text == "中文"


@pytest.mark.parametrize(
    ("data", "text", "warning"),
    [
        (b"A\x00B\x01C\x0bD\x7fE", "ABC\nDE", "removed 2 control characters that XML forbids"),
        ("标题\x1b[0m正文".encode(), "标题[0m正文", "removed 1 control characters that XML forbids"),
    ],
)
def test_decode_removes_xml_forbidden_controls_with_a_warning(data, text, warning):
    """NUL, ESC and friends are dropped (feeds must stay valid XML); VT is a line break, DEL goes quietly."""
    decoded = decode(data + b"x" * 200, "x.txt")
    assert decoded.text == text + "x" * 200
    assert decoded.warnings == (warning,)


def test_decode_drops_stray_bom_inside_text_silently():
    assert decode("甲\ufeff乙".encode(), "x.txt") == decode("甲乙".encode(), "x.txt")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(b"", "empty file", id="empty"),
        pytest.param(b" \n\r\n\t ", "file holds only whitespace", id="ascii whitespace"),
        pytest.param("\u3000\u3000\n".encode(), "file holds only whitespace", id="full-width spaces"),
        pytest.param(b"\x00" * 10 + b"abc" * 10, "not text (binary data: 10 NUL bytes in 40)", id="NUL-heavy"),
        pytest.param(
            bytes(range(1, 9)) * 5 + b"ab", "not text (binary data: 40 control characters in 42)", id="controls"
        ),
        pytest.param("中文".encode("utf-16"), "not text we read (UTF-16/32 byte-order mark", id="utf-16 BOM"),
        pytest.param(b"abc\xff\xfe\xfddef", "undecodable: neither UTF-8 nor GB18030 (invalid byte at 3)", id="garbage"),
        pytest.param(
            b"\xef\xbb\xbfabc\xff", "undecodable utf-8-sig text after its byte-order mark", id="bad after BOM"
        ),
    ],
)
def test_decode_rejects_what_is_not_text(data, reason):
    """Each rejection names the file and says why in a short phrase."""
    with pytest.raises(ParseError) as caught:
        decode(data, "bad.txt")
    assert caught.value.source == "bad.txt"
    assert caught.value.reason.startswith(reason)
    assert str(caught.value).startswith("bad.txt: ")


def test_decode_keeps_a_few_nul_bytes_as_damage_not_binary():
    """A long text with one NUL is a damaged text file: cleaned and kept."""
    decoded = decode(("正文。" * 100).encode() + b"\x00", "x.txt")
    assert decoded.text == "正文。" * 100
    assert decoded.warnings == ("removed 1 control characters that XML forbids",)


BIG5_TEXT = "休刊通知\n因國慶節放假，本報十月二日至六日休刊，十月九日恢復正常出版。特此通知。\n本報編輯部\n"


def test_decode_rejects_big5_that_gb18030_would_read_as_mojibake():
    """Every Big5 byte pair is valid GB18030; the letters it gives fall outside GB2312, which news text keeps to."""
    data = BIG5_TEXT.encode("big5")
    assert data.decode("gb18030") != BIG5_TEXT  # decodes without error, into nonsense
    with pytest.raises(ParseError) as caught:
        decode(data, "big5.txt")
    assert caught.value.reason.startswith("undecodable: not Simplified Chinese in GB18030")


def test_decode_accepts_gb18030_with_a_few_rare_name_characters():
    """镕 and 喆 are outside GB2312 but inside GB18030: a few of them in a real text are fine."""
    text = "朱镕基、陶喆出席会议。" * 3 + "会议指出，要加快推进城市更新行动。" * 20
    assert decode(text.encode("gb18030"), "x.txt").text == text
