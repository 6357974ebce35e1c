"""Rules for HTML-to-PDF typesettings, on PDFs laid out here by pymupdf's Story: code set smaller
than the body, program output, ruled tables (also across a page break) and two columns whose
baselines drift apart."""

from __future__ import annotations

import pymupdf

from tests.extract.pdf.pdfgen import BODY, LEFT, PITCH, Text, write_pdf
from tests.extract.pdf.pdfgen import story_pdf as make_story_pdf

from codemill.extract.pdf.document import pdf_to_markdown
from codemill.recipe.pdf import PdfOptions
from codemill.extract.pdf.code import looks_like_code

CSS = """
body { font-family: serif; font-size: 10pt; line-height: 1.4; }
h1, h2 { font-family: sans-serif; font-weight: bold; }
pre { font-family: monospace; font-size: 7pt; line-height: 1.2; background-color: #eeeeee; }
code { font-family: monospace; }
th, td { border: 1px solid #777777; }
"""
PROSE = ("Sentence {i} says that a loop repeats its body while the condition holds and then control "
         "moves on to the statement after the loop.")


def story_pdf(path, html: str, columns: int = 1, height: float = 792) -> str:
    return make_story_pdf(path, html, columns=columns, css=CSS, height=height)


def paragraphs(count: int, start: int = 0) -> str:
    return "".join(f"<p>{PROSE.format(i=i)}</p>" for i in range(start, start + count))


def test_small_code_lines_at_their_own_pitch_form_one_listing(tmp_path):
    code = "def area(w, h):\n    total = w * h\n\n    return total\nprint(area(2, 3))"
    html = "<h1>Code</h1>" + paragraphs(2) + f"<pre>{code}</pre>" + paragraphs(2) + "<pre>x = 1\ny = 2\nz = 3</pre>"
    markdown = pdf_to_markdown(story_pdf(tmp_path / "code.pdf", html))
    assert f"```\n{code}\n```" in markdown.replace("``` python", "```")
    assert "x = 1\ny = 2\nz = 3\n```" in markdown


def test_program_output_is_untagged_whatever_the_document_language(tmp_path):
    html = paragraphs(1) + "<pre>width = 17\nprint(type(width))</pre>" + paragraphs(1) + "<pre>&lt;class 'int'&gt;\n0.5\n{'a': 1}</pre>"
    markdown = pdf_to_markdown(story_pdf(tmp_path / "out.pdf", html), PdfOptions(language="python"))
    assert "``` python\nwidth = 17\nprint(type(width))\n```" in markdown
    assert "```\n<class 'int'>\n0.5\n{'a': 1}\n```" in markdown


def test_statement_shapes():
    assert looks_like_code(["total = 0"]) and looks_like_code(["for x in xs:", "    go(x)"]) and looks_like_code(["int main() {"])
    assert not looks_like_code(["Enter Hours: 35", "Pay: 96.25"]) and not looks_like_code(["x == 3", "SyntaxError: invalid syntax"])


TABLE = ("<table><tr><th>Operator</th><th>Meaning</th><th>Example</th></tr>"
         + "".join(f"<tr><td><code>{op}</code></td><td>{name}</td><td><code>7 {op} 2</code></td></tr>"
                   for op, name in [("+", "addition"), ("//", "floor division"), ("%", "remainder"), ("**", "power")])
         + "</table>")
TABLE_MD = ("| Operator | Meaning | Example |\n|---|---|---|\n| `+` | addition | `7 + 2` |\n"
            "| `//` | floor division | `7 // 2` |\n| `%` | remainder | `7 % 2` |\n| `**` | power | `7 ** 2` |")


def test_ruled_table_becomes_a_pipe_table(tmp_path):
    markdown = pdf_to_markdown(story_pdf(tmp_path / "table.pdf", paragraphs(2) + TABLE + paragraphs(1)))
    assert TABLE_MD in markdown


def _drawn_rows(page: pymupdf.Page, top: float, rows: list[tuple[str, str]], ruled_top: bool) -> None:
    """Two-column ruled rows drawn by hand: 20 pt high, cells 100 pt wide, code in the first cell."""
    xs, bottom = [72, 172, 272], top + 20 * len(rows)
    for x in xs:
        page.draw_line((x, top), (x, bottom), width=0.5)
    for k in range(len(rows) + 1):
        if k or ruled_top:
            page.draw_line((72, top + 20 * k), (272, top + 20 * k), width=0.5)
    for k, (code, meaning) in enumerate(rows):
        page.insert_text((76, top + 20 * k + 14), code, fontname="cour", fontsize=9)
        page.insert_text((176, top + 20 * k + 14), meaning, fontname="tiro", fontsize=9)


def test_ruled_table_cut_by_a_page_break_is_one_table(tmp_path):
    doc = pymupdf.open()
    first = doc.new_page(width=612, height=792)
    first.insert_text((72, 600), "Operators:", fontname="tiro", fontsize=10)
    _drawn_rows(first, 700, [("Op", "Meaning"), ("+", "addition"), ("-", "subtraction")], ruled_top=True)
    second = doc.new_page(width=612, height=792)
    _drawn_rows(second, 72, [("*", "product"), ("/", "division")], ruled_top=False)
    second.insert_text((72, 200), "After the table.", fontname="tiro", fontsize=10)
    doc.save(tmp_path / "cut.pdf")
    markdown = pdf_to_markdown(tmp_path / "cut.pdf")
    rows = "| `Op` | Meaning |\n|---|---|\n| `+` | addition |\n| `-` | subtraction |\n| `*` | product |\n| `/` | division |"
    assert rows in markdown


def test_two_columns_with_drifting_baselines(tmp_path):
    """Headings and small code shift one column's lines against the other's; paragraphs stay whole,
    a short output line stays in its listing, and the reading order is column by column."""
    html = "<h1>Loops</h1>" + paragraphs(3) + "<h2>Counting</h2><pre>&gt;&gt;&gt; n = 5\n&gt;&gt;&gt; print(n)\n5</pre>" + paragraphs(9, 3)
    markdown = pdf_to_markdown(story_pdf(tmp_path / "cols.pdf", html, columns=2))
    for i in range(12):
        assert PROSE.format(i=i) in markdown
    assert ">>> n = 5\n>>> print(n)\n5\n```" in markdown
    order = [markdown.index(PROSE.format(i=i)) for i in range(12)]
    assert order == sorted(order)


def test_full_code_lines_without_wrap_marks_keep_their_breaks(tmp_path):
    """Without the renderer's kept space, a full line followed by a short one is the author's break."""
    prose = "This prose line runs from the left margin of the column to its right edge, as justified text does."
    edge = LEFT + pymupdf.get_text_length(prose, fontname="tiro", fontsize=BODY)
    fits = int((edge - LEFT) / (0.6 * BODY))  # Courier characters that fit before the edge
    items = [Text(100 + i * PITCH, prose) for i in range(4)]
    statements = []
    y = 160
    for name in ("total", "count"):
        head = f"{name} = compute({'x' * (fits - len(name) - 12)},"
        assert len(head) == fits
        statements.append(f"{head} second_argument)")
        items += [Text(y, head, "cour"), Text(y + PITCH, "second_argument)", "cour"), Text(y + 2 * PITCH, "print(total)", "cour")]
        y += 3 * PITCH
    items += [Text(y + 20, prose)]
    markdown = pdf_to_markdown(write_pdf(tmp_path / "wrapped.pdf", [items]))
    assert all(statement.replace(", ", ",\n") in markdown for statement in statements)


def test_a_kept_trailing_space_tells_wraps_from_line_ends(tmp_path):
    """Renderers that keep the space they wrapped at mark every wrap; a full line without it is a
    real line end even when the next word would not have fitted."""
    prose = "This prose line runs from the left margin of the column to its right edge, as justified text does."
    edge = LEFT + pymupdf.get_text_length(prose, fontname="tiro", fontsize=BODY)
    fits = int((edge - LEFT) / (0.6 * BODY))
    wrapped = f"total = compute({'x' * (fits - 18)}, "
    full = f"name = '{'y' * (fits - 9)}'"
    items = [Text(100 + i * PITCH, prose) for i in range(4)]
    hyphened = f"say('{'z' * (fits - 6)}-"  # a break after a hyphen keeps no space
    code = [wrapped, "second_argument)", wrapped, "third_argument)", full, "SyntaxError: invalid syntax", hyphened, "word')"]
    items += [Text(160 + i * PITCH, text, "cour") for i, text in enumerate(code)]
    items += [Text(260, prose)]
    markdown = pdf_to_markdown(write_pdf(tmp_path / "marked.pdf", [items]))
    assert f"{wrapped}second_argument)\n{wrapped}third_argument)\n{full}\nSyntaxError: invalid syntax\n{hyphened}word')\n" in markdown


COLUMN_PROSE = ["the loop runs its body again", "while the condition holds", "and then moves on to the", "statement after the loop."]


def test_heading_broken_by_a_column_break_is_one_heading(tmp_path):
    items = [Text(80, "Conditions", "hebo", 20)]
    items += [Text(120 + i * PITCH, COLUMN_PROSE[i % 4]) for i in range(12)]
    items += [Text(300, "Short-circuit", "hebo", 15)]
    items += [Text(120, "evaluation of expressions", "hebo", 15, 330)]
    items += [Text(150 + i * PITCH, COLUMN_PROSE[i % 4], x=330) for i in range(12)]
    items += [Text(400, "Other section", "hebo", 15, 330), Text(420, "Closing words here.", x=330)]
    markdown = pdf_to_markdown(write_pdf(tmp_path / "broken.pdf", [items]))
    assert "\n## Short-circuit evaluation of expressions\n" in markdown
    assert "\n## Other section\n" in markdown


def test_run_in_bold_headings_are_split_from_their_text(tmp_path):
    items = [Text(80, "Loops", "hebo", 20)]
    y = 110
    for title in ("Counting loops", "Summing loops"):
        items += [Text(y, title, "hebo")] + [Text(y + (i + 1) * PITCH, text) for i, text in enumerate(COLUMN_PROSE)]
        y += 6 * PITCH
    markdown = pdf_to_markdown(write_pdf(tmp_path / "runin.pdf", [items]))
    assert "## Counting loops\n\nthe loop runs its body again while" in markdown
    assert "## Summing loops\n\n" in markdown


def test_bullets_drawn_as_dots_make_list_items(tmp_path):
    items = [Text(100 + i * PITCH, text) for i, text in enumerate(COLUMN_PROSE)]
    entries = ["Parentheses come first.", "Exponents come next.", "Then multiplication."]
    items += [Text(170 + i * 2 * PITCH, text, x=LEFT + 18) for i, text in enumerate(entries)]
    doc = pymupdf.open(write_pdf(tmp_path / "plain.pdf", [items]))
    for i in range(len(entries)):
        doc[0].draw_circle((LEFT + 8, 170 + i * 2 * PITCH - 3.5), 1.5, color=None, fill=(0, 0, 0))
    doc.save(tmp_path / "dots.pdf")
    markdown = pdf_to_markdown(tmp_path / "dots.pdf")
    assert "\n\n".join(f"-   {text}" for text in entries) in markdown


def test_ragged_right_break_for_room_is_not_a_paragraph_end(tmp_path):
    """A line ending a sentence well short of the edge still continues when the next word could not fit."""
    widest = "This first line of ragged-right prose is the longest one and so it sets the edge."
    short = "The second line ends one sentence here."
    word = "Internationalisation-and-localisation"
    width = lambda text: pymupdf.get_text_length(text, fontname="tiro", fontsize=BODY)
    gap = width(widest) - width(short)
    assert gap > 0.25 * width(widest) and width(" " + word) > gap  # short, yet no room for the word
    lines = [widest, short, f"{word} go on.", "New paragraph here."]
    items = [Text(100 + i * PITCH, text) for i, text in enumerate(lines)]
    items += [Text(200 + i * PITCH, text) for i, text in enumerate(COLUMN_PROSE * 2)]  # more ragged prose
    markdown = pdf_to_markdown(write_pdf(tmp_path / "ragged.pdf", [items]))
    assert f"{widest} {short} {word} go on.\n\nNew paragraph here." in markdown


def test_a_ruled_grid_with_few_labels_is_a_figure_not_a_table(tmp_path):
    items = [Text(100 + i * PITCH, text) for i, text in enumerate(COLUMN_PROSE)]
    items += [Text(214, "Relation", x=LEFT + 5)]
    doc = pymupdf.open(write_pdf(tmp_path / "plain.pdf", [items]))
    for k in range(4):
        doc[0].draw_line((LEFT, 200 + 20 * k), (LEFT + 240, 200 + 20 * k), width=0.5)
        doc[0].draw_line((LEFT + 80 * k, 200), (LEFT + 80 * k, 260), width=0.5)
    doc.save(tmp_path / "grid.pdf")
    markdown = pdf_to_markdown(tmp_path / "grid.pdf")
    assert "|" not in markdown and "Relation" in markdown


def test_a_long_url_running_over_the_gutter_stays_in_its_column(tmp_path):
    """An unbreakable URL in the left column overlaps the right one; the columns still read in order."""
    left = [Text(120 + i * PITCH, f"left {i} " + COLUMN_PROSE[i % 4]) for i in range(14)]
    left.insert(7, Text(120 + 14 * PITCH, "https://docs.example.org/library/a-very-long-page-name.html#and-an-anchor"))
    right = [Text(126 + i * PITCH, f"right {i} " + COLUMN_PROSE[i % 4], x=330) for i in range(16)]
    markdown = pdf_to_markdown(write_pdf(tmp_path / "url.pdf", [left + right]))
    assert markdown.index("left 13") < markdown.index("a-very-long-page-name") < markdown.index("right 0")
    assert markdown.index("right 0") < markdown.index("right 15")


def test_a_hyphen_break_whose_next_word_only_fits_into_the_hanging_space_is_a_wrap(tmp_path):
    """The furthest code line ends in its kept space, which hangs past the box: a word that would end
    right there did not fit after the hyphen, so the break is the renderer's."""
    prose = "This prose line runs from the left margin of the column to its right edge, as justified text does."
    edge = LEFT + pymupdf.get_text_length(prose, fontname="tiro", fontsize=BODY)
    fits = int((edge - LEFT) / (0.6 * BODY))
    wrapped = f"total = compute({'x' * (fits - 18)}, "
    hyphened = f"say('{'z' * (fits - 6 - len('digit'))}-"
    assert len(hyphened) + len("digit") == len(wrapped)  # the word would end where the kept space does
    items = [Text(100 + i * PITCH, prose) for i in range(4)]
    code = [wrapped, "second_argument)", hyphened, "digit number')"]
    items += [Text(160 + i * PITCH, text, "cour") for i, text in enumerate(code)]
    items += [Text(230, prose)]
    markdown = pdf_to_markdown(write_pdf(tmp_path / "hyphen.pdf", [items]))
    assert f"{wrapped}second_argument)\n{hyphened}digit number')\n" in markdown


def test_a_wrap_in_the_part_of_a_listing_after_a_column_break_is_joined(tmp_path):
    """A listing cut by a column break starts each part at its own column's left edge; a wrapped
    line in the second part restarts at that edge, not at the first part's. (The code box ends ten
    characters inside the column, as a padded box does, so only the kept space tells the wrap.)"""
    right = 330
    prose = "the loop runs its body again while the condition holds"
    edge = right + pymupdf.get_text_length(prose, fontname="tiro", fontsize=BODY)
    wrapped = "    print('" + "z" * (int((edge - right) / (0.6 * BODY)) - 10 - 16) + " and "
    items = [Text(80, "Functions", "hebo", 20)]
    items += [Text(120 + i * PITCH, prose) for i in range(40)]
    items += [Text(620, "def lyrics():", "cour"), Text(632, "    print('I am okay.')", "cour")]
    items += [Text(100, wrapped, "cour", x=right), Text(112, "work all day.')", "cour", x=right)]
    items += [Text(140 + i * PITCH, prose, x=right) for i in range(20)]
    markdown = pdf_to_markdown(write_pdf(tmp_path / "parts.pdf", [items]))
    assert f"def lyrics():\n    print('I am okay.')\n{wrapped}work all day.')\n```" in markdown
