"""Rules for layouts that word processors and other HTML engines produce (LibreOffice Writer,
WeasyPrint), each on a PDF generated here with pymupdf."""

from __future__ import annotations

import pymupdf

from codemill.extract.pdf.document import pdf_to_markdown
from tests.extract.pdf.pdfgen import BODY, LEFT, PITCH, Text, paragraph, write_pdf

PROSE = [
    "This is a body paragraph of the test book. It runs across several lines so that",
    "the extractor can learn what the body text looks like and how far apart its",
    "lines are set, before it meets headings and code set in other fonts and sizes.",
]


def test_footnote_at_the_body_size_leaves_the_paragraph_it_interrupts(tmp_path):
    """Writer sets DOCX footnotes as large as the body, at the page foot: the paragraph cut by the page
    break runs on past the note, and the note becomes a footnote definition."""
    first = paragraph(100, PROSE) + paragraph(100 + 4 * PITCH, PROSE[:2])
    cut = "and this sentence is cut by the page"
    mark_x = LEFT + pymupdf.get_text_length(cut, fontname="tiro", fontsize=BODY)
    first += [Text(100 + 6 * PITCH, cut, "tiro"), Text(100 + 6 * PITCH - 4, "1", "tiro", 6, mark_x)]
    first += [Text(700, "1", "tiro", 6, LEFT), Text(704, " The note is as large as the body text and runs", "tiro", BODY, LEFT + 4),
              Text(704 + PITCH, "onto a second line of its own.", "tiro")]
    second = paragraph(100, ["break, and it goes on here.", *PROSE])
    markdown = pdf_to_markdown(write_pdf(tmp_path / "note.pdf", [first, second]))
    assert "and this sentence is cut by the page[^1] break, and it goes on here." in markdown
    assert "[^1]: The note is as large as the body text and runs onto a second line of its own." in markdown


def test_a_raised_number_opening_a_line_inside_the_text_is_not_a_footnote(tmp_path):
    items = paragraph(100, PROSE) + [Text(100 + 3 * PITCH - 4, "2", "tiro", 6, LEFT), Text(100 + 3 * PITCH, " squared is the area of the square,", "tiro", BODY, LEFT + 4)]
    items += paragraph(100 + 4 * PITCH, ["which the next line explains further."])
    markdown = pdf_to_markdown(write_pdf(tmp_path / "raised.pdf", [items]))
    assert "[^2]:" not in markdown
    assert "squared is the area of the square, which the next line explains further." in markdown


def test_unmarked_wraps_in_a_listing_set_indented_are_joined(tmp_path):
    """A listing set inside a list item starts right of the column edge; its wrapped lines are judged
    on the listing dedented (indented, nothing parses), and a wrap after a word hyphen adds no space."""
    prose = "This prose line runs from the left margin of the column to its right edge, as justified text does."
    edge = LEFT + pymupdf.get_text_length(prose, fontname="tiro", fontsize=BODY)
    x = LEFT + 40
    fits = int((edge - x) / (0.6 * BODY))
    test = "    if words[0] != '" + "F" * (fits - 3 - 23) + "' :"
    say = "    print('" + "z" * (fits - 2 - 19) + " single-"
    assert (len(test), len(say)) == (fits - 3, fits - 2)  # neither next word would fit after them
    code = ["for line in fhand:", test, "continue", say, "digit number')"]
    items = [Text(100 + i * PITCH, prose) for i in range(4)]
    items += [Text(160 + i * PITCH, text, "cour", BODY, x) for i, text in enumerate(code)]
    items += [Text(240, prose)]
    markdown = pdf_to_markdown(write_pdf(tmp_path / "indented.pdf", [items]))
    assert f"for line in fhand:\n{test} continue\n{say}digit number')\n```" in markdown


def _marked_page(path, rows: list[tuple[float, float, str, str]]) -> str:
    """A page of (baseline, x, text, font) rows; font 'mark' sets a continuation arrow (↪) in a
    symbol font, as listings' postbreak does in a math font."""
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    for y, x, text, font in rows:
        if font == "mark":
            page.insert_htmlbox(pymupdf.Rect(x, y - 9.5, x + 14, y + 4), f"<span style='font-size:{BODY}pt'>{text}</span>")
        else:
            page.insert_text((x, y), text, fontname=font, fontsize=BODY)
    doc.save(path)
    return str(path)


def test_a_listing_line_broken_with_a_mark_is_joined_even_on_the_last_line(tmp_path):
    """The last line of a listing can be the rest of a broken line: the mark (in a text or math font)
    leaves little code on it, but it still belongs to the listing and joins the line above."""
    rows = [(100 + i * PITCH, LEFT, text, "tiro") for i, text in enumerate(PROSE)]
    code = [(LEFT, "x >= y    # x is greater than", "cour"), (LEFT + 8, "↪", "mark"), (LEFT + 16, "or equal to y", "cour"),
            (LEFT, "x is not y    # x is not the same", "cour"), (LEFT + 8, "↪", "mark"), (LEFT + 16, "as y", "cour")]
    y = 150
    for x, text, font in code:
        rows.append((y, x, text, font))
        y += PITCH if font != "mark" else 0
    rows += [(y + 20 + i * PITCH, LEFT, text, "tiro") for i, text in enumerate(PROSE)]
    markdown = pdf_to_markdown(_marked_page(tmp_path / "marked.pdf", rows))
    assert "x >= y    # x is greater than or equal to y\nx is not y    # x is not the same as y\n```" in markdown
    assert "↪" not in markdown


def test_inline_code_broken_with_a_mark_reads_as_one_span(tmp_path):
    head = "When Python reads a logical expression such as"
    width = pymupdf.get_text_length(head + " ", fontname="tiro", fontsize=BODY)
    rows = [(100 + i * PITCH, LEFT, text, "tiro") for i, text in enumerate(PROSE)]
    rows += [(100 + 3 * PITCH, LEFT, head, "tiro"), (100 + 3 * PITCH, LEFT + width, "x", "cour"),
             (100 + 4 * PITCH, LEFT, "↪", "mark"), (100 + 4 * PITCH, LEFT + 12, ">= 2 and y", "cour"),
             (100 + 4 * PITCH, LEFT + 12 + 10 * 6, ", it goes from left to right.", "tiro")]
    markdown = pdf_to_markdown(_marked_page(tmp_path / "inline.pdf", rows))
    assert "such as `x >= 2 and y`, it goes from left to right." in markdown


def test_a_break_inside_a_token_is_rejoined_without_a_space(tmp_path):
    """listings breaks after a dot or an opening brace as readily as at a space; only the space is lost."""
    rows = [(100 + i * PITCH, LEFT, text, "tiro") for i, text in enumerate(PROSE)]
    code = [("radians = degrees / 360.0 * 2 * math.", "cour"), ("↪", "mark"), ("pi", "cour"),
            ("print(f'{years} years, {", "cour"), ("↪", "mark"), ("count} camels')", "cour"),
            ("total = first_value + second_value", "cour"), ("↪", "mark"), ("+ third_value", "cour"),
            ("counts = {'annie': 42, '", "cour"), ("↪", "mark"), ("jan': 100}", "cour"),
            ("inp = input('Enter Fahrenheit Temperature:", "cour"), ("↪", "mark"), ("')", "cour"),
            ("if count <", "cour"), ("↪", "mark"), ("limit: print('File \"a.py\", line 3, in <", "cour"), ("↪", "mark"), ("module>')", "cour"),
            ("prompt = 'What is the airspeed velocity?\\", "cour"), ("↪", "mark"), ("n'", "cour")]
    y = 150
    for text, font in code:
        rows.append((y, LEFT + (8 if font == "mark" else 16 if rows[-1][3] == "mark" else 0), text, font))
        y += PITCH if font != "mark" else 0
    rows += [(y + 20 + i * PITCH, LEFT, text, "tiro") for i, text in enumerate(PROSE)]
    markdown = pdf_to_markdown(_marked_page(tmp_path / "tokens.pdf", rows))
    assert "radians = degrees / 360.0 * 2 * math.pi\nprint(f'{years} years, {count} camels')\ntotal = first_value + second_value + third_value\ncounts = {'annie': 42, 'jan': 100}\ninp = input('Enter Fahrenheit Temperature:')\nif count < limit: print('File \"a.py\", line 3, in <module>')\nprompt = 'What is the airspeed velocity?\\n'\n" in markdown


def test_a_section_title_that_often_opens_a_page_is_not_a_running_head(tmp_path):
    """Sphinx books open many pages with a numbered 'References' title right under the running head:
    it repeats at one height, digits masked, but it sits nearer the body than the head and stays."""
    pages = []
    for number in range(1, 9):
        items = [Text(40, "The Little Book of Patterns", "tiit", 9)]
        y = 100
        if number % 2:
            items.append(Text(84, f"{number}.{number + 1} References", "hebo", BODY))
            y = 104
        items += paragraph(y, PROSE) + paragraph(y + 4 * PITCH, PROSE)
        items.append(Text(750, str(number), "tiro", 9, 300))
        pages.append(items)
    markdown = pdf_to_markdown(write_pdf(tmp_path / "titles.pdf", pages))
    assert markdown.count("References") == 4
    assert "Little Book" not in markdown


def test_a_title_wrapped_with_a_wide_line_gap_is_one_heading_when_it_runs_on_lowercase(tmp_path):
    items = [Text(80, "Variables, expressions, and", "hebo", 18), Text(80 + 1.7 * 18, "statements", "hebo", 18)]
    items += paragraph(150, PROSE) + [Text(210, "Values and types", "hebo", 13)] + paragraph(235, PROSE)
    items += [Text(300, "Names", "hebo", 18), Text(300 + 1.7 * 18, "Keywords", "hebo", 13)] + paragraph(360, PROSE)
    markdown = pdf_to_markdown(write_pdf(tmp_path / "title.pdf", [items]))
    assert "# Variables, expressions, and statements\n" in markdown
    assert "\n# Names\n" in markdown and "\n## Keywords\n" in markdown


def test_a_wrap_that_falls_on_a_page_break_is_joined(tmp_path):
    """`line = ` ends a page because the long call after it did not fit the narrow column; the listing
    parses only with the two halves joined."""
    column = ["In a narrow column the prose", "lines end early and so does", "the code set beside them."]
    first = paragraph(100, column) + [Text(150 + i * PITCH, t, "cour") for i, t in enumerate(["for line in fhand:", "    line = "])]
    second = [Text(100, "line.translate(str.maketrans('', '', punctuation))", "cour"), Text(112, "    print(line)", "cour")]
    second += paragraph(140, column)
    markdown = pdf_to_markdown(write_pdf(tmp_path / "pagewrap.pdf", [first, second]))
    assert "for line in fhand:\n    line = line.translate(str.maketrans('', '', punctuation))\n    print(line)\n" in markdown
