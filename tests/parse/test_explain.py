"""`feedsvc parse FILE --explain`: every line with what the parser took it for and the item it went to."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from feedsvc.parse import explain

PAGE = (
    "2024年3月11日　星期一　第1版　要闻\n"
    "城市更新按下快进键\n"
    "本报记者　方圆\n"
    "　　据介绍，全年计划改造老旧小区三百个，改造内容包括加装电梯、管网更新和（下转第2版）\n"
    "【图片新闻】\n"
    "春耕备耕\n"
    "　　3月10日，农民在田间作业。\n"
    "新华社记者　许　诺　摄\n"
    "\n— 2 —\n\n"
    "第2版　要闻　2024年3月11日　星期一\n"
    "城市更新按下快进键\n"
    "（上接第1版）\n"
    "　　外立面整治等。（相关报道见第3版）（完）\n"
    "乡村振兴开新局\n"
    "　　春耕时节，各地农民忙于备耕。（下转第5版）\n"
)


def rows(lines: list[str]) -> dict[int, tuple[str, str]]:
    """{file line: (role, item)} from the explanation's line table."""
    out = {}
    for line in lines:
        parts = line.split(None, 3)
        if len(parts) >= 3 and parts[0].isdigit():
            role_and_item = line[9:33].rstrip()
            out[int(parts[0])] = (role_and_item[:-4].strip(), role_and_item[-4:].strip())
    return out


def test_every_line_says_what_it_was_taken_for_and_where_it_went():
    lines = list(explain(PAGE.encode(), "2024-03-11.txt"))
    table = rows(lines)
    assert table == {
        1: ("masthead", "-"),
        2: ("headline", "#1"),
        3: ("byline", "#1"),
        4: ("body", "#1"),
        5: ("block label", "-"),
        6: ("headline", "#2"),
        7: ("body", "#2"),
        8: ("photo credit", "#2"),
        10: ("page number", "-"),
        12: ("page header", "-"),
        13: ("repeated headline", "#1"),
        14: ("jump marker", "#1"),
        15: ("body", "#1"),
        16: ("headline", "#3"),
        17: ("body", "#3"),
    }
    assert any("jumps to page 5" in line for line in lines)  # the warning, after the table
    assert any(line.startswith("#2") and "图片新闻" in line and "许诺" in line for line in lines)


@pytest.mark.slow
def test_the_cli_prints_the_explanation(tmp_path: Path):
    path = tmp_path / "2024-03-11.txt"
    path.write_bytes(PAGE.replace("\n", "\r\n").encode("gb18030"))
    result = subprocess.run([sys.executable, "-m", "feedsvc", "parse", "--explain", str(path)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert rows(result.stdout.splitlines())[13] == ("repeated headline", "#1")
    assert "gb18030" in result.stdout.splitlines()[0]
    assert "1 warnings:" in result.stdout
