"""The issue parser, end to end: bytes of an issue file → Issue."""

from __future__ import annotations

from datetime import date

from feedsvc.model import ItemKind
from feedsvc.parse import parse_issue


def test_seed_issue_parses_into_its_five_items(seed_bytes):
    """The sample issue is the acceptance test of project issue 2."""
    issue = parse_issue(seed_bytes, "000_90b6bc3011e581f6.txt")
    assert issue.issue_date == date(2023, 9, 27)
    assert issue.encoding == "utf-8"
    assert [(i.kind, i.title) for i in issue.items] == [
        (ItemKind.ARTICLE, "打造数字时代城市核心竞争力 192城沪上共话"),
        (ItemKind.ARTICLE, "商务部: 8月社会消费品 零售总额同比增长4.6%"),
        (ItemKind.ARTICLE, "七部门: 电子产品 升级换代潜力巨大"),
        (ItemKind.PHOTO, "山东新泰: 秋粮收获忙"),
        (ItemKind.NOTICE, "休刊通知"),
    ]
    assert [i.authors for i in issue.items] == [("章斐然", "王震"), ("孙红丽",), ("刘向东",), ("徐速绘",), ()]
    assert [i.id for i in issue.items][0] == "2023-09-27-01"
    assert issue.suspension is not None
    assert issue.suspension.dates == tuple(
        date(2023, m, d) for m, d in [(9, 29), (10, 2), (10, 4), (10, 6), (10, 9), (10, 11)]
    )
    assert issue.suspension.resume == date(2023, 10, 13)
    assert issue.suspension.declared_count == 6
    assert issue.suspension.notice_date == date(2023, 9, 27)
    assert issue.warnings == ()
