"""What the markdown gets right, on tiny PDFs written by the tests themselves."""

from __future__ import annotations

import pytest

import pymupdf

from codemill.extract.pdf.document import convert_pdf, pdf_to_markdown
from codemill.recipe.pdf import PdfOptions
from tests.extract.pdf.pdfgen import BODY, LEFT, PITCH, Text, code_x, paragraph, running_head, story_pdf, write_pdf

PROSE = [
    "This is a body paragraph of the test book. It runs across several lines so that",
    "the extractor can learn what the body text looks like and how far apart its",
    "lines are set, before it meets headings and code set in other fonts and sizes.",
]


def _fence(markdown: str) -> list[str]:
    """The lines of the first fenced code block."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("```"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("```"))
    return lines[start + 1 : end]


def test_headings_get_levels_from_document_font_sizes(tmp_path):
    first = [Text(80, "Chapter Title", "hebo", 24), Text(120, "First Section", "hebo", 16)]
    first += paragraph(145, PROSE)
    second = [Text(80, "Second Section", "hebo", 16)] + paragraph(105, PROSE)
    second += [Text(160, "A Subsection", "hebo", 12)] + paragraph(180, PROSE)
    markdown = pdf_to_markdown(write_pdf(tmp_path / "h.pdf", [first, second]))
    headings = [line for line in markdown.splitlines() if line.startswith("#")]
    assert headings == ["# Chapter Title", "## First Section", "## Second Section", "### A Subsection"]
    assert "This is a body paragraph of the test book. It runs across several lines so that the" in markdown


def test_nested_code_keeps_exact_indentation_and_blank_lines(tmp_path):
    code = [(0, "def outer(items):"), (4, "for item in items:"), (8, "if item:"), (12, "print(item)"),
            (None, ""), (4, "return len(items)")]
    items = paragraph(100, PROSE)
    y = 100 + 3 * PITCH + 8
    for indent, text in code:
        if indent is not None:
            items.append(Text(y, text, "cour", BODY, code_x(indent)))
        y += PITCH
    items += paragraph(y + 8, ["And the prose goes on after the listing, as prose does in books."])
    markdown = pdf_to_markdown(write_pdf(tmp_path / "code.pdf", [items]))
    assert _fence(markdown) == [
        "def outer(items):",
        "    for item in items:",
        "        if item:",
        "            print(item)",
        "",
        "    return len(items)",
    ]
    assert "``` python" in markdown


def test_code_cut_by_a_page_break_is_one_block(tmp_path):
    first = paragraph(100, PROSE) + [Text(150, "while True:", "cour", BODY, code_x(0)),
                                     Text(162, "step()", "cour", BODY, code_x(4))]
    second = [Text(100, "if done():", "cour", BODY, code_x(4)), Text(112, "break", "cour", BODY, code_x(8))]
    second += paragraph(140, PROSE)
    markdown = pdf_to_markdown(write_pdf(tmp_path / "split.pdf", [first, second]))
    assert markdown.count("```") == 2
    assert _fence(markdown) == ["while True:", "    step()", "    if done():", "        break"]


def test_console_output_stays_a_separate_block(tmp_path):
    items = paragraph(100, PROSE)
    items += [Text(150, "print(6 * 7)", "cour"), Text(162, "print('done')", "cour")]
    items += paragraph(190, ["which prints the following two lines on the console:"])
    items += [Text(215, "42", "cour"), Text(227, "done", "cour")]
    markdown = pdf_to_markdown(write_pdf(tmp_path / "out.pdf", [items]))
    assert "``` python\nprint(6 * 7)\nprint('done')\n```" in markdown
    assert "```\n42\ndone\n```" in markdown


def test_two_columns_are_read_left_then_right(tmp_path):
    left = ["Left column text starts the story and it", "goes on for a few lines in the narrow", "column on the left of the page before it"]
    right = ["continues here in the right column, which", "the reader only reaches after finishing", "the left one completely, at the end."]
    items = [Text(100, "Two Column Page", "hebo", 18, LEFT)]
    for i in range(6):
        items += paragraph(140 + i * 4 * PITCH, left, x=LEFT) + paragraph(140 + i * 4 * PITCH, right, x=320)
    markdown = pdf_to_markdown(write_pdf(tmp_path / "cols.pdf", [items]))
    body = markdown.split("\n\n", 1)[1]
    assert body.index("Left column text starts") < body.index("continues here in the right column")
    assert "goes on for a few lines in the narrow column" in body
    assert body.rindex("column on the left") < body.index("continues here")


WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda omicron sigma omega".split()


def test_running_heads_and_page_numbers_are_dropped_but_body_is_kept(tmp_path):
    pages = []
    for number in range(1, 7):
        words = " ".join(WORDS[number:] + WORDS[:number])
        body = paragraph(100, [f"Page {number} opens with {words}.", "Python for Testing is also named here."])
        body += paragraph(300 + 7 * number, [f"{number * 11}"], font="cour")  # output that is a bare number
        pages.append(running_head("Python for Testing", number) + body)
    markdown = pdf_to_markdown(write_pdf(tmp_path / "heads.pdf", pages))
    assert markdown.count("Python for Testing") == 6
    for number in range(1, 7):
        assert f"Page {number} opens with" in markdown
        assert f"\n{number * 11}\n" in markdown
    assert not any(line.strip() == str(n) for line in markdown.splitlines() for n in range(1, 7))


def test_inline_code_emphasis_and_hyphenation(tmp_path):
    items = paragraph(100, PROSE)
    items += [Text(150, "Call the", "tiro"), Text(150, "len", "cour", BODY, LEFT + 40),
              Text(150, "function on a", "tiro", BODY, LEFT + 62), Text(150, "list", "tiit", BODY, LEFT + 127),
              Text(150, "to get its length; this is an exam-", "tiro", BODY, LEFT + 145)]
    items += [Text(162, "ple of the first kind.", "tiro")]
    markdown = pdf_to_markdown(write_pdf(tmp_path / "inline.pdf", [items]))
    assert "Call the `len` function on a *list* to get its length; this is an example of the first kind." in markdown


def test_bullet_lists_become_markdown_lists(tmp_path):
    items = paragraph(100, PROSE)
    items += [Text(150, "\u2022 first item of the list", "tiro", BODY, LEFT + 10),
              Text(162, "\u2022 second item", "tiro", BODY, LEFT + 10),
              Text(174, "\u2022 nested item", "tiro", BODY, LEFT + 30)]
    markdown = pdf_to_markdown(write_pdf(tmp_path / "list.pdf", [items]))
    assert "-   first item of the list\n\n-   second item\n\n    -   nested item" in markdown


def test_report_lists_every_page(tmp_path):
    path = write_pdf(tmp_path / "r.pdf", [paragraph(100, PROSE), paragraph(100, PROSE)])
    report = convert_pdf(path, PdfOptions()).report
    assert report["pages"] == 2
    assert [r["status"] for r in report["page_reports"]] == ["text", "text"]
    assert report["timings"]["total_s"] > 0


def test_aligned_cells_become_a_pipe_table(tmp_path):
    items = paragraph(100, PROSE)
    rows = [("Name", "Kind", "Size"), ("alpha", "int", "4"), ("beta", "str", "12"), ("gamma", "list", "3")]
    for i, cells in enumerate(rows):
        items += [Text(160 + i * PITCH, cell, "tiro", BODY, LEFT + j * 120) for j, cell in enumerate(cells)]
    markdown = pdf_to_markdown(write_pdf(tmp_path / "table.pdf", [items]))
    assert "| Name | Kind | Size |\n|---|---|---|\n| alpha | int | 4 |\n| beta | str | 12 |\n| gamma | list | 3 |" in markdown


def test_footnotes_keep_their_mark_and_text(tmp_path):
    items = paragraph(100, PROSE)
    items += [Text(150, "A claim that needs a source", "tiro"), Text(150, "and more text after it.", "tiro", BODY, LEFT + 120),
              Text(146, "1", "tiro", 6, LEFT + 113)]
    items += [Text(703, "The source of the claim.", "tiro", 8, LEFT + 4), Text(699, "1", "tiro", 5, LEFT)]
    markdown = pdf_to_markdown(write_pdf(tmp_path / "note.pdf", [items]))
    assert "A claim that needs a source[^1] and more text after it." in markdown
    assert markdown.rstrip().endswith("[^1]: The source of the claim.")


def test_listing_line_numbers_are_not_code(tmp_path):
    items = paragraph(100, PROSE)
    code = [(0, "def area(r):"), (4, "return 3.14 * r * r")]
    for i, (indent, text) in enumerate(code):
        items += [Text(150 + i * PITCH, str(i + 1), "tiro", 7, LEFT - 15), Text(150 + i * PITCH, text, "cour", BODY, code_x(indent))]
    markdown = pdf_to_markdown(write_pdf(tmp_path / "numbered.pdf", [items]))
    assert _fence(markdown) == ["def area(r):", "    return 3.14 * r * r"]


def test_program_output_at_a_page_foot_is_not_taken_for_a_page_number(tmp_path):
    pages = []
    for number in range(1, 4):
        words = " ".join(WORDS[number:] + WORDS[:number])
        body = paragraph(100, [f"On this page {words}."])
        body += [Text(690, "print(grade)", "cour"), Text(702, "C", "cour"), Text(726, "7", "cour")]
        pages.append(running_head("Python for Testing", number) + body)
    markdown = pdf_to_markdown(write_pdf(tmp_path / "foot.pdf", pages))
    assert markdown.count("print(grade)\nC\n```\n\n```\n7\n```") == 3  # the bare literal after a blank line is printed output


def _numbered(y: float, number: str, title: str, size: float, gap_ems: float) -> list[Text]:
    """A heading whose number is its own piece of text, `gap_ems` from the title."""
    width = pymupdf.get_text_length(number, fontname="hebo", fontsize=size)
    return [Text(y, number, "hebo", size), Text(y, title, "hebo", size, LEFT + width + gap_ems * size)]


def _heading_lines(gap_ems: float, tmp_path) -> list[str]:
    items = _numbered(80, "2", "Variables", 24, gap_ems) + _numbered(120, "2.1", "Values and types", 16, gap_ems)
    items += paragraph(145, PROSE) + _numbered(200, "2.2", "Names", 16, gap_ems) + paragraph(225, PROSE)
    markdown = pdf_to_markdown(write_pdf(tmp_path / f"numbered{gap_ems}.pdf", [items]))
    return [line for line in markdown.splitlines() if line.startswith("#")]


def test_heading_numbers_set_by_the_typesetter_are_dropped(tmp_path):
    """LaTeX sets its counters a quad before the title; the author's own numbers follow a word space."""
    assert _heading_lines(1.0, tmp_path) == ["# Variables", "## Values and types", "## Names"]
    assert _heading_lines(0.25, tmp_path) == ["# 2 Variables", "## 2.1 Values and types", "## 2.2 Names"]


def test_image_placeholders_only_when_asked(tmp_path):
    import pymupdf

    path = write_pdf(tmp_path / "figure.pdf", [paragraph(100, PROSE) + paragraph(400, ["Text below the figure."])])
    doc = pymupdf.open(path)
    pixmap = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 50, 50), False)
    doc[0].insert_image(pymupdf.Rect(LEFT, 200, LEFT + 200, 350), pixmap=pixmap)
    doc.saveIncr()
    doc.close()
    plain = pdf_to_markdown(path)
    marked = pdf_to_markdown(path, PdfOptions(image_placeholders=True))
    assert "![image]" not in plain
    assert marked.index("sizes.") < marked.index("![image](page-1-image-1)") < marked.index("Text below the figure.")


def test_diagram_labels_are_dropped_but_shaded_code_is_kept(tmp_path):
    import pymupdf

    items = paragraph(100, PROSE) + paragraph(300, PROSE) + paragraph(400, PROSE) + paragraph(460, PROSE)
    items += [Text(232, "Input", "helv", 9, LEFT + 20), Text(232, "Output", "helv", 9, LEFT + 220)]
    items += [Text(560, "x = compute(1)", "cour")]
    path = write_pdf(tmp_path / "diagram.pdf", [items])
    doc = pymupdf.open(path)
    page = doc[0]
    for k in range(4):  # a box-and-arrow diagram around the labels
        page.draw_rect(pymupdf.Rect(LEFT + 10 + 100 * k, 200, LEFT + 80 + 100 * k, 260))
        page.draw_line((LEFT + 80 + 100 * k, 230), (LEFT + 110 + 100 * k, 230))
    page.draw_rect(pymupdf.Rect(LEFT - 5, 545, 500, 570), fill=(0.9, 0.9, 0.9), overlay=False)  # code shading
    doc.saveIncr()
    doc.close()
    markdown = pdf_to_markdown(path)
    assert "Input" not in markdown and "Output" not in markdown
    assert "```\nx = compute(1)\n```" in markdown.replace("``` python", "```")
    assert markdown.count("This is a body paragraph") == 4


@pytest.mark.parametrize("draw", [
    {"color": None, "fill": (0.99, 0.99, 0.99)},  # a tinted page background (an HTML body's background colour)
    {"color": (0, 0, 0), "fill": None},  # a frame ruled around the text
])
def test_a_page_sized_background_or_frame_is_no_figure(tmp_path, draw):
    import pymupdf

    items = [Text(90, "Rare Heading", "hebo", 16), Text(120, "A sentence in italics, set once.", "tiit")]
    items += [line for k in range(8) for line in paragraph(150 + 48 * k, PROSE)] + [Text(550, "x = compute(1)", "cour")]
    path = write_pdf(tmp_path / "background.pdf", [items])
    doc = pymupdf.open(path)
    doc[0].draw_rect(pymupdf.Rect(10, 10, 602, 782), overlay=False, **draw)
    doc.saveIncr()
    doc.close()
    markdown = pdf_to_markdown(path)
    assert "Rare Heading" in markdown and "A sentence in italics, set once." in markdown
    assert markdown.count("This is a body paragraph") == 8


def test_heading_levels_set_alike_are_told_apart_by_their_numbering_depth(tmp_path):
    heads = [("1.1 Names", "1.1.1 Rules"), ("1.2 Values", "1.2.1 Types")]
    items, y = [Text(80, "1 Basics", "hebo", 18)], 120
    for section, subsection in heads:
        for title in (section, subsection):  # both levels in one style, as some typesetters set them
            items += [Text(y, title, "hebo", 12)] + paragraph(y + 20, PROSE)
            y += 80
    path = write_pdf(tmp_path / "numbered.pdf", [items])
    markdown = pdf_to_markdown(path)
    assert "# 1 Basics" in markdown.splitlines()
    for section, subsection in heads:
        assert f"## {section}" in markdown.splitlines() and f"### {subsection}" in markdown.splitlines()


def test_callout_numbers_after_code_lines_leave_the_code(tmp_path):
    html = ("<h1>Callouts</h1><p>" + " ".join(PROSE) + "</p><pre>def greet(name):          <span>❶</span>\n"
            "    message = 'Hello ' + name  <span>❷</span> <span>➌</span>\n    return message\n</pre>"
            "<p>❶ Defines the function.</p><p>" + " ".join(PROSE) + "</p>")
    markdown = pdf_to_markdown(story_pdf(tmp_path / "callouts.pdf", html, css="pre {font-family: monospace}"))
    assert _fence(markdown) == ["def greet(name):", "    message = 'Hello ' + name", "    return message"]
    assert "❶ Defines the function." in markdown


def test_curly_quotes_in_a_listing_are_made_straight_only_where_python_then_parses(tmp_path):
    prose = "<p>" + " ".join(PROSE) + "</p>"
    html = (prose + "<pre>name = \u2019world\u2019\nprint(\u2018Hi\u2019, name)</pre>" + prose
            + "<pre>print(\"It\u2019s\")\nprint('Hi')</pre>" + prose
            + "<pre>&gt;&gt;&gt; x + 1\nNameError: name \u2019x\u2019 is not defined</pre>" + prose)
    markdown = pdf_to_markdown(story_pdf(tmp_path / "quotes.pdf", html, css="pre {font-family: monospace}"))
    assert "name = 'world'\nprint('Hi', name)" in markdown
    assert "print(\"It\u2019s\")\nprint('Hi')" in markdown  # it quotes straight too: its curly one is text
    assert "NameError: name 'x' is not defined" in markdown  # output that never quotes straight


def test_short_numbered_code_lines_stay_code_without_their_numbers(tmp_path):
    listing = ["n = 5", "while n > 0:", "    print(n)", "    n = n - 1", "x = 1"]
    items = paragraph(100, PROSE)
    for i, code in enumerate(listing):  # LaTeX listings' numbers=left: small roman digits in the margin
        items += [Text(150 + 11 * i, str(i + 1), "tiro", 5, LEFT - 12), Text(150 + 11 * i, code, "cour", 9)]
    items += paragraph(230, PROSE) + [Text(280, "1", "tiro", 5, LEFT - 12), Text(280, "x = x + 1", "cour", 9)]
    items += paragraph(310, PROSE)
    markdown = pdf_to_markdown(write_pdf(tmp_path / "numbered-listing.pdf", [items]))
    assert "``` python\n" + "\n".join(listing) + "\n```" in markdown
    assert "```\nx = x + 1\n```" in markdown.replace("``` python", "```")


def test_a_numbered_listings_blank_lines_keep_only_the_blank(tmp_path):
    listing = ["def f():", "    return 1", "", "", "def g():", "    return 2", "", "x = f()", "y = g()", "print(x + y)"]
    items = paragraph(100, PROSE)
    for i, code in enumerate(listing):  # numbers set flush right, as listings does: '10' starts further left
        number = str(i + 1)
        items.append(Text(150 + 11 * i, number, "tiro", 5, LEFT - 8 - 2.5 * len(number)))
        if code:
            items.append(Text(150 + 11 * i, code, "cour", 9))
    items += paragraph(280, PROSE)
    markdown = pdf_to_markdown(write_pdf(tmp_path / "numbered-blanks.pdf", [items]))
    assert "``` python\n" + "\n".join(listing) + "\n```" in markdown



def test_slack_between_fixed_column_cells_is_no_space(tmp_path):
    cell = 6.0  # LaTeX listings' fixed columns: each character in a cell wider than Courier's 5.4 glyph

    def cells(y, tokens):
        placed, column = [], 0
        for token, nudge in tokens:
            placed += [Text(y, ch, "cour", 9, LEFT + cell * (column + k) + nudge) for k, ch in enumerate(token) if ch != " "]
            column += len(token)
        return placed

    rows = [[("20+32", 0)], [("hour", 0), ("-1", 1.0)], [("hour*60+minute", 0)], [("x = 1", 0)], [("(5+9)*(15-7)", 0)]]
    items = paragraph(100, PROSE) + [t for i, row in enumerate(rows) for t in cells(150 + 11 * i, row)] + paragraph(230, PROSE)
    markdown = pdf_to_markdown(write_pdf(tmp_path / "cells.pdf", [items]))
    assert "20+32\nhour-1\nhour*60+minute\nx = 1\n(5+9)*(15-7)\n```" in markdown
