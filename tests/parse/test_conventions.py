"""Page conventions of project issue 13, on example pages of our own, each in several variants and each read as
UTF-8, UTF-8 with a BOM and GB18030 with CRLF line ends."""

from __future__ import annotations

from datetime import date

import pytest

from feedsvc.model import Issue, ItemKind
from feedsvc.parse import parse_issue

A, P, N = ItemKind.ARTICLE, ItemKind.PHOTO, ItemKind.NOTICE
ENCODINGS = {
    "utf-8": lambda t: t.encode("utf-8"),
    "utf-8-sig": lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"),
    "gb18030": lambda t: t.replace("\n", "\r\n").encode("gb18030"),
}


@pytest.fixture(params=sorted(ENCODINGS), name="read")
def _read(request):
    """parse_issue on the page in one of the three encodings, checking the encoding was recognised."""

    def read(text: str, source: str = "2024-03-11.txt") -> Issue:
        issue = parse_issue(ENCODINGS[request.param](text), source)
        assert issue.encoding == request.param
        return issue

    return read


def outline(issue: Issue) -> list[tuple]:
    return [(i.kind, i.title, i.section, i.authors, i.page) for i in issue.items]


def text_of(issue: Issue) -> str:
    return "\n".join(p for i in issue.items for p in i.paragraphs)


H1 = "2024年3月11日　星期一　第1版　要闻"
H2 = "2024年3月11日　星期一　第2版　要闻"

# --- 1. jumps across pages --------------------------------------------------------------------------------------

JUMP_FIRST = "　　据介绍，全年计划改造老旧小区三百个，涉及居民五万余户，改造内容包括加装电梯、管网更新和"
JUMP_REST = "外立面整治等。市住建局负责人表示，将确保工程质量和施工安全。"
JOINED = JUMP_FIRST.strip() + JUMP_REST


@pytest.mark.parametrize(
    ("page", "repeated_title", "first_authors"),
    [
        pytest.param(
            f"{H1}\n城市更新按下快进键\n本报记者　方圆\n　　今年以来，全市城市更新项目全面提速。\n"
            f"{JUMP_FIRST}（下转第2版）\n"
            f"乡村振兴开新局\n　　本报讯　春耕时节，各地农民忙于备耕。（记者 李强）\n"
            f"{H2}\n城市更新按下快进键\n（上接第1版）\n　　{JUMP_REST}",
            "城市更新按下快进键",
            ("方圆",),
            id="marker at the paragraph's end, on its own line on page 2",
        ),
        pytest.param(
            f"{H1}\n城市更新按下快进键\n　　今年以来，全市城市更新项目全面提速。\n{JUMP_FIRST}\n（下转第2版）\n"
            f"乡村振兴开新局\n　　本报讯　春耕时节，各地农民忙于备耕。（记者 李强）\n"
            f"{H2}\n春季招聘会举行\n　　本报讯　市人社局举办春季招聘会，提供岗位两万个。（记者 白露）\n"
            f"城市更新\n　　（上接第1版）{JUMP_REST}（本报记者 方圆）",
            "城市更新",
            ("方圆",),
            id="own-line marker, shortened headline after another story, byline at the end of the continuation",
        ),
        pytest.param(
            "2024年3月11日　星期一　第A1版\n城市更新按下快进键\n本报记者　方圆\n"
            "　　今年以来，全市城市更新项目全面提速。\n"
            f"{JUMP_FIRST}(转A2版)\n乡村振兴开新局\n　　本报讯　春耕时节，各地农民忙于备耕。（记者 李强）\n"
            f"第A2版　要闻　2024年3月11日　星期一\n快进键\n（接第A1版）\n　　{JUMP_REST}",
            "快进键",
            ("方圆",),
            id="A-pages, half-width parentheses, page number first in the header",
        ),
    ],
)
def test_a_jump_is_one_item_with_its_paragraph_rejoined(read, page, repeated_title, first_authors):
    issue = read(page)
    titles = [i.title for i in issue.items]
    assert (titles.count("城市更新按下快进键") == 1 and repeated_title not in titles[1:]) or repeated_title == titles[0]
    story = issue.items[0]
    assert story.title == "城市更新按下快进键"
    assert story.paragraphs == ("今年以来，全市城市更新项目全面提速。", JOINED)
    assert story.authors == first_authors
    assert "乡村振兴开新局" in titles
    assert "版）" not in text_of(issue) and "版)" not in text_of(issue)
    assert issue.warnings == ()


def test_a_jump_whose_continuation_is_missing_is_kept_with_a_warning(read):
    issue = read(f"{H1}\n城市更新按下快进键\n　　今年以来，全市城市更新项目全面提速。\n{JUMP_FIRST}（下转第2版）\n")
    assert [i.title for i in issue.items] == ["城市更新按下快进键"]
    assert len(issue.warnings) == 1 and "jumps to page 2" in issue.warnings[0]


def test_a_continuation_without_its_first_part_is_kept_with_a_warning(read):
    issue = read(f"{H2}\n城市更新按下快进键\n（上接第1版）\n　　{JUMP_REST}")
    assert [(i.title, i.paragraphs) for i in issue.items] == [("城市更新按下快进键", (JUMP_REST,))]
    assert len(issue.warnings) == 1 and "continues from page 1" in issue.warnings[0]


def test_a_jump_that_ends_a_sentence_continues_with_a_new_paragraph(read):
    issue = read(
        f"{H1}\n城市更新按下快进键\n　　今年以来，全市城市更新项目全面提速。（下转第2版）\n"
        f"{H2}\n城市更新按下快进键\n　　（上接第1版）老旧小区改造工程陆续开工。\n"
    )
    assert issue.items[0].paragraphs == ("今年以来，全市城市更新项目全面提速。", "老旧小区改造工程陆续开工。")


# --- 2. pages in one file -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "2024年3月11日　星期一　第2版　国际",
        "第2版　国际　2024年3月11日　星期一",
        "第2版 国际",
        "2024年3月11日 星期一 国际 2",
        "示例日报　2024年3月11日　第2版　国际",
    ],
)
def test_a_page_header_ends_the_story_and_is_neither_title_section_nor_text(read, header):
    issue = read(
        f"{H1}\n春风送暖\n　　代表委员围绕高质量发展建言献策，话题涵盖科技创新等多个领域。\n"
        f"{header}\n和平发展是时代主题\n　　外交部发言人表示，中方愿同各方加强沟通。\n"
    )
    assert outline(issue) == [(A, "春风送暖", None, (), 1), (A, "和平发展是时代主题", None, (), 2)]
    assert "国际" not in text_of(issue)


# --- 3. editorials and opinion --------------------------------------------------------------------------------------


@pytest.mark.parametrize("byline", ["本报评论员", "评论员", "本报特约评论员", "新华社评论员", "（本报评论员）"])
def test_an_editorial_byline_is_no_author_and_no_section(read, byline):
    issue = read(
        f"{H1}\n坚持以人民为中心的发展思想\n{byline}\n"
        "　　城市是人民的城市，人民城市人民建。\n　　做好城市工作，必须坚持以人民为中心。\n"
        "春耕备耕正当时\n本报记者　李强\n　　各地农民忙于备耕。\n"
    )
    assert outline(issue) == [
        (A, "坚持以人民为中心的发展思想", None, (), 1),
        (A, "春耕备耕正当时", None, ("李强",), 1),
    ]
    assert len(issue.items[0].paragraphs) == 2
    assert issue.warnings == ()


@pytest.mark.parametrize(
    ("note", "paragraphs"),
    [
        ("【编者按】\n　　今天起，本报推出系列评论，敬请关注。", "【编者按】今天起，本报推出系列评论，敬请关注。"),
        ("编者按：今天起，本报推出系列评论，敬请关注。", "编者按：今天起，本报推出系列评论，敬请关注。"),
        ("【编者按】今天起，本报推出系列评论，\n敬请关注。", "【编者按】今天起，本报推出系列评论，敬请关注。"),
    ],
)
def test_an_editors_note_before_the_byline_belongs_to_the_article(read, note, paragraphs):
    issue = read(f"{H1}\n把握发展主动权\n{note}\n本报评论员\n　　发展是第一要务。\n　　创新是第一动力。\n")
    assert outline(issue) == [(A, "把握发展主动权", None, (), 1)]
    assert issue.items[0].paragraphs == (paragraphs, "发展是第一要务。", "创新是第一动力。")


@pytest.mark.parametrize(
    ("header", "name_line", "name"),
    [
        ("2024年3月11日　星期一　第5版　评论", "张三", "张三"),
        ("2024年3月11日　星期一　第5版　评论", "欧阳娜", "欧阳娜"),
        ("2024年3月11日　星期一　第5版　要闻", "许　诺", "许诺"),  # padded: a name wherever it stands
        ("2024年3月11日　星期一　第5版　观点", "王　伟", "王伟"),
        ("第5版　理论", "李建国", "李建国"),
    ],
)
def test_a_bare_name_under_an_opinion_headline_is_its_author(read, header, name_line, name):
    issue = read(
        f"{header}\n让创新活力充分迸发\n{name_line}\n　　创新是引领发展的第一动力。\n"
        "　　要营造良好创新生态。\n（作者为某大学教授）\n"
    )
    assert outline(issue) == [(A, "让创新活力充分迸发", None, (name,), 5)]
    assert issue.items[0].paragraphs[-1] == "（作者为某大学教授）"


def test_an_authors_note_adds_nothing_to_the_authors_and_ends_the_piece(read):
    issue = read(
        f"{H1}\n让创新活力充分迸发\n　　创新是引领发展的第一动力。（作者系某研究院研究员）\n"
        "春耕备耕正当时\n　　各地农民忙于备耕。\n"
    )
    assert outline(issue) == [(A, "让创新活力充分迸发", None, (), 1), (A, "春耕备耕正当时", None, (), 1)]


def test_a_name_like_line_under_a_headline_outside_opinion_pages_is_no_author(read):
    issue = read(f"{H1}\n秋粮收获忙\n王家村\n　　农户晾晒刚收获的玉米。\n")
    assert [(i.title, i.authors) for i in issue.items] == [("秋粮收获忙", ())]


# --- 4. block labels --------------------------------------------------------------------------------------------

BLOCK_ITEMS = (
    "春耕备耕\n　　3月10日，农民在田间作业。\n新华社记者　许　诺　摄\n"
    "全市新增绿地百公顷\n　　本报讯　今年以来，全市新增绿地一百公顷。\n"
    "地铁三号线试运行\n　　地铁三号线昨日开始试运行，预计下月开通。\n"
)


@pytest.mark.parametrize("label", ["【图片新闻】", "简讯", "■新闻速递", "图片报道", "【本市简讯】"])
def test_a_block_label_is_the_section_of_every_item_in_the_block(read, label):
    issue = read(
        f"{H1}\n{label}\n{BLOCK_ITEMS}"
        "城市更新按下快进键\n本报记者　方圆\n　　"
        + "今年以来，全市城市更新项目全面提速，老旧小区改造工程陆续开工。" * 6
        + "\n"
        "乡村振兴开新局\n　　春耕时节，各地农民忙于备耕。（记者 李强）\n"
    )
    section = label.strip("【】■")
    assert outline(issue) == [
        (P, "春耕备耕", section, ("许诺",), 1),
        (A, "全市新增绿地百公顷", section, (), 1),
        (A, "地铁三号线试运行", section, (), 1),
        (A, "城市更新按下快进键", None, ("方圆",), 1),
        (A, "乡村振兴开新局", None, ("李强",), 1),
    ]
    assert label not in [i.title for i in issue.items]


def test_a_block_ends_at_the_next_page_header_and_the_next_label_starts_another(read):
    issue = read(f"{H1}\n【图片新闻】\n{BLOCK_ITEMS}{H2}\n和平发展是时代主题\n"
                 "　　外交部发言人表示，中方愿同各方加强沟通。\n"
                 f"简讯\n全市新增绿地百公顷\n　　本报讯　今年以来，全市新增绿地一百公顷。\n")
    assert [(i.title, i.section) for i in issue.items] == [
        ("春耕备耕", "图片新闻"),
        ("全市新增绿地百公顷", "图片新闻"),
        ("地铁三号线试运行", "图片新闻"),
        ("和平发展是时代主题", None),
        ("全市新增绿地百公顷", "简讯"),
    ]


# --- 5. stories without a dateline ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "byline",
    ["（新华社记者 张三 李四）", "(新华社记者 张三 李四)", "（新华社记者　张三　李四）", "\n（新华社记者 张三 李四）"],
)
def test_a_headline_over_text_closed_by_its_own_byline_is_a_new_story(read, byline):
    issue = read(
        f"{H1}\n全市春耕生产全面展开\n　　各地农民抢抓农时，春耕生产全面展开。\n　　农业部门派出技术人员下田指导。\n"
        "我国成功发射新一代通信卫星\n"
        f"　　3月10日，我国在西昌卫星发射中心成功发射一颗通信卫星，卫星顺利进入预定轨道。{byline}\n"
    )
    assert outline(issue) == [
        (A, "全市春耕生产全面展开", None, (), 1),
        (A, "我国成功发射新一代通信卫星", None, ("张三", "李四"), 1),
    ]


@pytest.mark.parametrize("ending", ["（完）", "(完)", "\n（完）"])
def test_after_an_end_mark_a_headline_starts_a_new_story(read, ending):
    issue = read(
        f"{H1}\n全市春耕生产全面展开\n　　各地农民抢抓农时，春耕生产全面展开。{ending}\n"
        "科技助力春耕\n　　无人机、智能农机纷纷上阵。\n"
    )
    assert [i.title for i in issue.items] == ["全市春耕生产全面展开", "科技助力春耕"]
    assert "完" not in text_of(issue)


def test_subheads_inside_a_story_stay_subheads(read):
    issue = read(
        f"{H1}\n全市春耕生产全面展开\n　　各地农民抢抓农时，春耕生产全面展开。\n科技助力春耕\n"
        "　　无人机、智能农机纷纷上阵。\n服务送到田间\n　　农技人员下田指导。（记者 张三）\n"
    )
    assert [(i.title, i.subheads, i.authors) for i in issue.items] == [
        ("全市春耕生产全面展开", ("科技助力春耕", "服务送到田间"), ("张三",))
    ]


# --- 6. bylines, harder -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("byline", "authors"),
    [
        ("本报记者　许　诺", ("许诺",)),
        ("记者 方圆、见习记者 白露　通讯员 程橙", ("方圆", "白露", "程橙")),
        ("本报记者 方圆 实习生 白露", ("方圆", "白露")),
        ("特约记者　欧阳娜　本报通讯员　程橙", ("欧阳娜", "程橙")),
        ("新华社记者　许　诺　张三", ("许诺", "张三")),
        ("（本报记者 方圆、白露）", ("方圆", "白露")),
    ],
)
def test_bylines_name_people_only(read, byline, authors):
    issue = read(f"{H1}\n城市更新按下快进键\n{byline}\n　　今年以来，全市城市更新项目全面提速。\n")
    assert outline(issue) == [(A, "城市更新按下快进键", None, authors, 1)]


@pytest.mark.parametrize(
    ("lead", "authors"),
    [
        ("据新华社上海3月2日电　", ()),
        ("新华社上海3月2日电（记者 许　诺、张三）", ("许诺", "张三")),
        ("本报讯（见习记者 白露 通讯员 程橙）", ("白露", "程橙")),
    ],
)
def test_datelines(read, lead, authors):
    issue = read(f"{H1}\n城市更新按下快进键\n　　{lead}今年以来，全市城市更新项目全面提速。\n")
    assert outline(issue) == [(A, "城市更新按下快进键", None, authors, 1)]


# --- 7. hard-wrapped, noisy text --------------------------------------------------------------------------------


def wrap(paragraph: str, width: int) -> list[str]:
    """A fixed-width export: the paragraph cut every `width` characters, the first row indented."""
    text = "\u3000\u3000" + paragraph
    return [text[i : i + width] for i in range(0, len(text), width)]


PARAS = [
    "今年以来，全市城市更新项目全面提速，一批老旧小区改造工程陆续开工，居民生活条件明显改善，群众获得感不断增强。",
    "据介绍，全年计划改造老旧小区三百个，涉及居民五万余户，改造内容包括加装电梯、管网更新和外立面整治等多个方面。",
    "市住建局负责人表示，将加强施工组织，确保工程质量和施工安全，让居民早日住上舒心房、放心房。",
]
SECOND = [
    "各地农民抢抓农时，春耕生产全面展开，田间地头一派繁忙景象，农业部门派出技术人员下田指导。",
    "无人机、智能农机纷纷上阵，科技为春耕生产插上翅膀，粮食生产开局良好，全年丰收基础扎实。",
]


@pytest.mark.parametrize("width", [20, 24, 30])
@pytest.mark.parametrize("page_number", ["", "\n— 2 —\n", "\n-2-\n", "\n第2页\n"])
def test_hard_wrapped_text_is_rejoined_and_page_numbers_dropped(read, width, page_number):
    rows = [H1, "城市更新按下快进键", "本报记者　方圆"]
    for p in PARAS:
        rows += wrap(p, width)
    rows += ["春耕生产全面展开"]
    for p in SECOND:
        rows += wrap(p, width)
    rows.append("（记者 李强）")
    if page_number:
        rows.insert(5, page_number)  # between two rows of one sentence, with blank lines around
    issue = read("\n".join(rows) + "\n")
    assert [(i.title, i.subheads, i.authors) for i in issue.items] == [
        ("城市更新按下快进键", (), ("方圆",)),
        ("春耕生产全面展开", (), ("李强",)),
    ]
    assert issue.items[0].paragraphs == tuple(PARAS)
    assert issue.items[1].paragraphs == tuple(SECOND)
    assert issue.warnings == ()


def test_hard_wrapped_text_with_half_width_punctuation(read):
    paras = [
        '今年以来,全市城市更新项目全面提速:一批老旧小区(含"筒子楼")改造工程陆续开工,居民生活条件明显改善。',
        "据介绍,全年计划改造老旧小区三百个,涉及居民五万余户,改造内容包括加装电梯、管网更新和外立面整治等。",
        "市住建局负责人表示,将加强施工组织,确保工程质量和施工安全,让居民早日住上舒心房、放心房。",
    ]
    rows = [H1, "城市更新按下快进键"]
    for p in paras:
        rows += wrap(p, 22)
    issue = read("\n".join(rows) + "\n")
    assert [(i.title, i.subheads, i.paragraphs) for i in issue.items] == [("城市更新按下快进键", (), tuple(paras))]


def test_text_with_a_paragraph_per_line_is_not_taken_for_wrapped(read):
    issue = read(f"{H1}\n城市更新\n" + "\n".join(f"　　{p}" for p in PARAS) + "\n短评\n　　说得好。\n")
    assert issue.items[0].paragraphs[:3] == tuple(PARAS)


# --- 8. classified notices, end marks and cross-references ----------------------------------------------------


@pytest.mark.parametrize(
    ("title", "body", "signature"),
    [
        ("2024年度征订启事", "　　本报2024年度征订工作正在进行中，邮发代号1-23。", "示例日报社\n2024年3月1日"),
        ("遗失声明", "　　张三不慎遗失身份证一张，声明作废。", "张三\n2024年3月10日"),
        ("注销公告", "　　本公司经股东会决议注销，请债权人45日内申报债权。", "示例科技有限公司\n2024年3月10日"),
        ("更正", "　　本报3月8日第2版《春耕时节备耕忙》一文中，“长丰县”应为“肥西县”。特此更正。", "本报编辑部"),
        ("遗失声明", "　　李四遗失营业执照副本，声明作废。", "声明人：李四"),
    ],
)
def test_classified_notices_are_notices_without_authors(read, title, body, signature):
    issue = read(f"{H2}\n城市更新按下快进键\n　　今年以来，全市城市更新项目全面提速。（记者 方圆）\n"
                 f"{title}\n{body}\n{signature}\n"
                 "春耕生产全面展开\n　　本报讯　各地农民抢抓农时。（记者 李强）\n")
    assert outline(issue) == [
        (A, "城市更新按下快进键", None, ("方圆",), 2),
        (N, title, None, (), 2),
        (A, "春耕生产全面展开", None, ("李强",), 2),
    ]
    assert issue.items[1].paragraphs[0] == body.strip()


@pytest.mark.parametrize(
    "mark",
    ["（完）", "(完)", "（相关报道见第3版）", "（详见第三版）", "(相关评论见今日第4版)", "（图见第5版·要闻）"],
)
@pytest.mark.parametrize("where", ["end", "own line", "middle"])
def test_end_marks_and_cross_references_leave_the_text(read, mark, where):
    first, second = "全市城市更新项目全面提速。", "老旧小区改造工程陆续开工。"
    body = {
        "end": f"　　{first}{second}{mark}",
        "own line": f"　　{first}{second}\n{mark}",
        "middle": f"　　{first}{mark}{second}",
    }[where]
    issue = read(f"{H1}\n城市更新按下快进键\n{body}\n")
    assert issue.items[0].paragraphs == (first + second,)
    assert date(2024, 3, 11) == issue.issue_date


@pytest.mark.parametrize("gap", ["\n", "\n\n"])
def test_short_lines_of_one_width_are_not_taken_for_wrapped(read, gap):
    """Short one-line paragraphs, bylines and headlines of about the same width, as a small desk types them."""
    stories = [
        ("城市更新 老街焕新", "张华"),
        ("秋粮收获 农民增收", "李强"),
        ("节前市场 供应充足", "王芳"),
        ("读者来信 回音", "赵磊"),
    ]
    rows = [H1]
    for title, name in stories:
        rows += [title, f"本报讯 {title}的消息今天发布，各方反响热烈", f"有关部门表示，将继续推进工作。(记者 {name})"]
    issue = read(gap.join(rows) + "\n")
    assert [(i.title, i.authors) for i in issue.items] == [(t, (n,)) for t, n in stories]


# --- 8. notice wordings on a page: what each decides -------------------------------------------------------------

NOTICE_PAGE = ("2026年2月11日　星期三　第1版　要闻\n春运客流 平稳有序\n"
               "　　本报讯　春运第十天，全市客流平稳。（记者 方圆）\n{title}\n{body}\n本报编辑部\n")


@pytest.mark.parametrize(
    ("title", "body", "ranges", "dates", "restored", "resume"),
    [
        pytest.param("休刊通知", "　　本报将于2026年2月16日至22日休刊，2月25日起恢复正常出版。",
                     [("2026-02-16", "2026-02-22")], [], [], "2026-02-25", id="explicit year, month-less range end"),
        pytest.param("关于春节期间休刊安排的更正",
                     "　　本报2月9日刊登的春节休刊通知有误，现更正如下：本报2月16日至22日休刊，2月25日起恢复正常出版。"
                     "原定2月20日休刊改为正常出版。",
                     [("2026-02-16", "2026-02-22")], [], ["2026-02-20"], "2026-02-25", id="revised notice"),
        pytest.param("更正", "　　原定2月20日休刊改为正常出版，特此更正。", [], [], ["2026-02-20"], None,
                     id="a correction giving one date back"),
        pytest.param("休刊启事", "　　本报2月16日（星期一）、2月18日（星期三）休刊两期，2月20日起恢复出版。", [],
                     ["2026-02-16", "2026-02-18"], [], "2026-02-20", id="a list with weekdays"),
    ],
)
def test_notice_wordings_on_a_page(read, title, body, ranges, dates, restored, resume):
    issue = read(NOTICE_PAGE.format(title=title, body=body), "2026-02-11.txt")
    assert [i.kind for i in issue.items] == [A, N]
    assert issue.items[1].authors == ()
    s = issue.suspension
    assert s is not None
    assert [(a.isoformat(), b.isoformat()) for a, b in s.ranges] == ranges
    assert [d.isoformat() for d in s.dates] == dates
    assert [d.isoformat() for d in s.restored] == restored
    assert (s.resume.isoformat() if s.resume else None) == resume
    assert s.issue_date is None or s.issue_date == date(2026, 2, 11)


@pytest.mark.parametrize("body", ["　　本报逢法定节假日休刊，敬请读者谅解。",
                                  "　　本报2月9日刊登的征订启事中电话有误，特此更正。"])
def test_notices_naming_no_decision_declare_nothing(read, body):
    issue = read(NOTICE_PAGE.format(title="启事", body=body), "2026-02-11.txt")
    assert [i.kind for i in issue.items] == [A, N]
    assert issue.suspension is None
