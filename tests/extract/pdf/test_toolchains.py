"""Rules for what the Typst and groff cells of the benchmark revealed, each on a PDF generated here:
footnote marks set as superscript glyphs or small on the note's baseline, soft hyphens at line ends,
lines made mostly of smaller inline code, inline code broken across lines, and a small line in one
column beside the other column's text."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from codemill.extract.pdf.document import pdf_to_markdown
from codemill.extract.pdf.lines import group_rows
from codemill.extract.pdf.spans import read_spans
from tests.extract.pdf.pdfgen import LEFT, PAGE_W, PITCH, Text, paragraph, write_pdf

def _width(text: str, size: float = 10, font: str = "tiro") -> float:
    return pymupdf.get_text_length(text, fontname=font, fontsize=size)


PROSE = [
    "This is a body paragraph of the test book. It runs across several lines so that",
    "the extractor can learn what the body text looks like and how far apart its",
    "lines are set, before it meets notes, code and other things set in other sizes.",
]


def test_a_small_mark_on_the_notes_baseline_makes_a_footnote(tmp_path):
    """groff -ms: the reference is raised, the mark under the page is small but on the note's baseline."""
    head = "The statement has the same structure as function definitions or loops"
    end = LEFT + _width(head)
    items = paragraph(100, PROSE) + [
        Text(148, head),
        Text(145, "1", "tiro", 7, end),
        Text(148, ". It ends with a colon.", x=end + _width("1", 7)),
        Text(700, "1", "tiro", 6, LEFT + 10),
        Text(700, " We will learn about functions in a later chapter.", "tiro", 8, LEFT + 13),
    ]
    markdown = pdf_to_markdown(write_pdf(tmp_path / "groff.pdf", [items]))
    assert "loops[^1]. It ends" in markdown
    assert markdown.rstrip().endswith("[^1]: We will learn about functions in a later chapter.")


def test_a_mark_glued_to_its_word_makes_a_footnote(tmp_path):
    """Typst sets marks as superscript glyphs of the text font: '1We' under the page, 'loops1.' above."""
    items = paragraph(100, PROSE) + [
        Text(136, "The statement has the same structure as function definitions or loops1. It"),
        Text(148, "ends with a colon and the block under it is indented by four spaces."),
        Text(168, "1We will learn about functions in a later chapter.", "tiro", 9, LEFT + 9),
    ]
    markdown = pdf_to_markdown(write_pdf(tmp_path / "typst.pdf", [items]))
    assert "or loops[^1]. It ends with a colon" in markdown
    assert markdown.rstrip().endswith("[^1]: We will learn about functions in a later chapter.")


def test_a_glued_mark_after_an_italic_word(tmp_path):
    head = "A name that helps you remember what a variable holds is called a "
    italic = LEFT + _width(head)
    after = italic + _width("mnemonic", font="tiit")
    items = paragraph(100, PROSE) + [
        Text(136, head),
        Text(136, "mnemonic", "tiit", 10, italic),
        Text(136, "2 by some.", x=after),
        Text(160, "2See the encyclopedia for the history of the word.", "tiro", 9, LEFT + 9),
    ]
    markdown = pdf_to_markdown(write_pdf(tmp_path / "italic.pdf", [items]))
    assert "called a *mnemonic*[^2] by some." in markdown
    assert markdown.rstrip().endswith("[^2]: See the encyclopedia for the history of the word.")


def test_small_digits_in_prose_are_no_footnote(tmp_path):
    """A smaller line starting with a number glued to a word, right under the text, is not a note."""
    items = paragraph(100, PROSE) + [Text(112 + 2 * PITCH, "3Com made network cards in those years.", "tiro", 9)]
    markdown = pdf_to_markdown(write_pdf(tmp_path / "close.pdf", [items]))
    assert "[^" not in markdown and "3Com made network cards" in markdown


def test_a_soft_hyphen_at_a_line_end_joins_the_word(tmp_path):
    """Typst writes the hyphen it prints at a break as U+00AD; it is a break, not a space."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_font(fontname="F0", fontbuffer=pymupdf.Font("cjk").buffer)
    lines = PROSE + ["Each function call is deter\u00ad", "ministic: it gives the same result every time."]
    for i, text in enumerate(lines):
        page.insert_text((LEFT, 100 + i * PITCH), text, fontname="F0", fontsize=10)
    path = tmp_path / "shy.pdf"
    doc.save(path)
    assert "call is deterministic: it gives" in pdf_to_markdown(path)


def test_a_line_mostly_of_smaller_inline_code_stays_in_its_paragraph(tmp_path):
    """Typst sets inline code at 0.8 em: a line holding mostly code is still the paragraph's line."""
    items = paragraph(100, PROSE) + [
        Text(136, "so the whole expression is False regardless of whether the test evaluates to"),
        Text(148, "True", "cour", 8),
        Text(148, " or ", x=LEFT + _width("True", 8, "cour")),
        Text(148, "False", "cour", 8, LEFT + _width("True", 8, "cour") + _width(" or ")),
        Text(148, ".", x=LEFT + _width("TrueFalse", 8, "cour") + _width(" or ")),
        Text(172, "When Python detects that nothing is to be gained it stops."),
    ]
    markdown = pdf_to_markdown(write_pdf(tmp_path / "inline.pdf", [items]))
    assert "whether the test evaluates to `True` or `False`." in markdown


def test_inline_code_broken_after_a_space_keeps_one_space(tmp_path):
    head = "Because of the definition of and, if x is less than 2, the expression "
    items = paragraph(100, PROSE) + [
        Text(136, head),
        Text(136, "x ", "cour", 10, LEFT + _width(head)),
        Text(148, ">= 2", "cour", 10),
        Text(148, " is False and so the whole expression is False.", x=LEFT + _width(">= 2", font="cour")),
    ]
    markdown = pdf_to_markdown(write_pdf(tmp_path / "broken.pdf", [items]))
    assert "the expression `x >= 2` is False" in markdown


def test_a_small_line_in_one_column_is_no_script_of_the_other_column(tmp_path):
    """Program output set small in the right column, a little off the baseline of the left column's
    text, shares a row with it but touches none of it: no footnote mark, no exponent."""
    items = [Text(200, "the left column has prose here", "tiro", 11), Text(203, "1 0 0", "cour", 8.8, 320)]
    page = pymupdf.open(write_pdf(tmp_path / "rows.pdf", [items]))[0]
    rows = group_rows(read_spans(page))
    assert [s.text for s in rows[0]] == ["the left column has prose here", "1 0 0"]
    assert not any(s.script for s in rows[0])
    raised = [Text(200, "ten to the power", "tiro", 11), Text(196, "2", "tiro", 7, LEFT + 78)]
    page = pymupdf.open(write_pdf(tmp_path / "exp.pdf", [raised]))[0]
    assert [s.script for row in group_rows(read_spans(page)) for s in row] == [False, True]


def test_inline_code_hyphenated_at_a_line_end_is_rejoined(tmp_path):
    """groff hyphenates words of inline code too: `mes-` + `sage` is `message`."""
    head = "The first statement assigns a string to a new variable named "
    items = paragraph(100, PROSE) + [
        Text(136, head),
        Text(136, "mes-", "cour", 10, LEFT + _width(head)),
        Text(148, "sage", "cour", 10),
        Text(148, "; the second gives the integer 17 to n.", x=LEFT + _width("sage", font="cour")),
    ]
    markdown = pdf_to_markdown(write_pdf(tmp_path / "hyphen.pdf", [items]))
    assert "variable named `message`; the second" in markdown


def test_a_url_broken_after_a_slash_or_a_dot_runs_on(tmp_path):
    items = paragraph(100, PROSE) + [
        Text(136, "The string methods are described at https://docs.python.org/library/stdtypes."),
        Text(148, "html#string-methods and in the tutorial at https://docs.python.org/3/tutorial/"),
        Text(160, "inputoutput.html, which you can read at www.py4e.com. The next section starts"),
        Text(172, "here, with another paragraph of prose about strings and their methods."),
    ]
    markdown = pdf_to_markdown(write_pdf(tmp_path / "url.pdf", [items]))
    assert "https://docs.python.org/library/stdtypes.html#string-methods and" in markdown
    assert "https://docs.python.org/3/tutorial/inputoutput.html, which" in markdown
    assert "www.py4e.com. The next section starts here," in markdown


def test_a_listing_continued_further_left_keeps_its_spaces(tmp_path):
    """A listing that starts far right (a right-hand column, a wide margin) and goes on at the next
    page's left edge: each part counts its columns from its own left edge, so no wider character grid
    is guessed from the offset between the parts, and no space after a bracket is dropped."""
    shift = LEFT + 254.4  # 42.4 Courier characters: on a grid 1.06 times wider, a whole 40
    first = [">>> m = [ 'have', 'fun' ]", ">>> x, y = m", ">>> x", "'have'"]
    code = lambda x, y, lines: [Text(y + i * PITCH, text, "cour", 10, x) for i, text in enumerate(lines)]
    pages = [paragraph(100, ["A short line of prose", "and another one here"], x=shift) + code(shift, 700, first),
             code(LEFT, 100, [">>> y", "'fun'"]) + paragraph(160, PROSE)]
    markdown = pdf_to_markdown(write_pdf(tmp_path / "margins.pdf", pages))
    assert ">>> m = [ 'have', 'fun' ]\n>>> x, y = m\n>>> x\n'have'\n>>> y" in markdown


def test_an_exception_message_wrapped_at_the_column_edge_is_one_line(tmp_path):
    """Typst wraps long code lines without a mark; Python prints an exception's message on one line."""
    wide = "This paragraph is set wide so that the column reaches well to the right of the page"
    message = "ValueError: invalid literal for int() with base 10: 'What do you mean, an"
    session = [">>> speed = input(prompt)", "What...is the airspeed velocity of an unladen swallow?", ">>> int(speed)",
               message, "African or a European swallow?'", ">>> print('done')"]
    items = paragraph(100, [wide] + PROSE) + [Text(170 + i * PITCH, text, "cour", 10) for i, text in enumerate(session)]
    markdown = pdf_to_markdown(write_pdf(tmp_path / "wrap.pdf", [items]))
    assert f"{message} African or a European swallow?'\n>>> print('done')" in markdown


def test_a_code_line_wrapped_twice_keeps_the_space_at_each_break(tmp_path):
    """A renderer that wraps long code lines keeps the space it broke at (HTML pre-wrap): a line
    wrapped twice keeps both spaces, the second one included."""
    wide = "This paragraph is set wide so that the column reaches well to the right of the page edge, as books do"
    pieces = [">>> data = 'From stephen.marquard@uct.ac.za Sat Jan  5 09:14:16 2008 and ",
              "more words of the same very long string that goes on and on and on ", "to its end'"]
    items = paragraph(100, [wide] + PROSE) + [Text(170 + i * PITCH, text, "cour", 10) for i, text in enumerate(pieces)]
    items.append(Text(170 + 3 * PITCH, ">>> print(len(data))", "cour", 10))
    markdown = pdf_to_markdown(write_pdf(tmp_path / "prewrap.pdf", [items]))
    assert "".join(pieces) + "\n>>> print(len(data))" in markdown


def test_a_heading_ending_in_smaller_code_on_its_own_line_stays_one_heading(tmp_path):
    """Typst sets code in a heading at 0.8 em: a narrow column leaves `len` alone on the heading's second line."""
    items = paragraph(100, PROSE) + [
        Text(150, "Getting the length of a string using", "hebo", 13.2),
        Text(166.6, "len", "cobo", 10.6),
        Text(182, "The function returns the number of characters in a string, as the example shows."),
    ] + paragraph(200, PROSE)
    markdown = pdf_to_markdown(write_pdf(tmp_path / "heading.pdf", [items + [Text(90, "Strings and their methods", "hebo", 18)]]))
    assert "## Getting the length of a string using `len`\n\nThe function returns" in markdown


def test_a_blank_line_at_the_top_of_a_continued_listing_is_kept(tmp_path):
    """A listing broken by a page break whose next line starts a line below where pages start text had
    a blank line there (Typst, Chromium, LaTeX keep it at the top of the page)."""
    code = lambda y, lines: [Text(y + i * PITCH, text, "cour", 10, LEFT + 24 * text.startswith("    ")) for i, text in enumerate(lines)]
    pages = [paragraph(100, PROSE) + code(700, ["def print_lyrics():", "    print('I sleep all night.')"]),
             code(100 + PITCH, ["def repeat_lyrics():", "    print_lyrics()"]) + paragraph(160, PROSE),
             paragraph(100, PROSE)]
    markdown = pdf_to_markdown(write_pdf(tmp_path / "top.pdf", pages))
    assert "    print('I sleep all night.')\n\ndef repeat_lyrics():" in markdown


def test_a_wrap_kept_space_in_a_span_of_its_own_still_marks_the_wrap(tmp_path):
    """Typst keeps the space it wrapped a code line at, but highlighting sets it in a span of its own
    (another colour); the line still ends in that space, so the wrap is joined, also inside brackets."""
    wide = "This paragraph is set wide so that the column reaches well to the right of the page edge, as books do"
    doc = pymupdf.open(write_pdf(tmp_path / "plain.pdf", [paragraph(100, [wide] + PROSE)]))
    page = doc[0]
    rows = [("numbers = [int(x) for x in", " "), ("list_of_ints_in_strings]", ""), ("print(numbers)", ""),
            (">>> total = compute(" + "x" * 38 + ",", " "), ("second)", "")]
    for i, (text, space) in enumerate(rows):
        y = 170 + i * PITCH
        page.insert_text((LEFT, y), text, fontname="cour", fontsize=10)
        if space:  # the kept space, in another colour, right after the text
            page.insert_text((LEFT + 6 * len(text), y), space, fontname="cour", fontsize=10, color=(0.5, 0, 0))
    doc.save(tmp_path / "spaces.pdf")
    markdown = pdf_to_markdown(tmp_path / "spaces.pdf")
    assert "numbers = [int(x) for x in list_of_ints_in_strings]\nprint(numbers)" in markdown


def test_an_exception_message_is_left_as_broken_where_the_listing_marks_its_wraps(tmp_path):
    """A listing whose typesetter marks its wraps (an arrow, as fvextra and listings set it) shows the
    author's own line breaks unmarked: the message stays on its two lines."""
    arrows = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not arrows.exists():
        pytest.skip("needs DejaVu Sans for the arrow (Debian: fonts-dejavu-core)")
    wide = "This paragraph is set wide so that the column reaches well to the right of the page"
    message = "ValueError: invalid literal for int() with base 10: 'What do you mean, an"
    session = [">>> int(speed)", message, "African or a European swallow?'",
               ">>> print('What is the airspeed velocity of an unladen swallow? What do", ""]
    items = paragraph(100, [wide] + PROSE) + [Text(170 + i * PITCH, text, "cour", 10) for i, text in enumerate(session) if text]
    items.append(Text(170 + 4 * PITCH, "you mean?')", "cour", 10, LEFT + 12))
    doc = pymupdf.open(write_pdf(tmp_path / "plain.pdf", [items]))
    doc[0].insert_font(fontname="F0", fontfile=str(arrows))
    doc[0].insert_text((LEFT, 170 + 4 * PITCH), "\u21aa", fontname="F0", fontsize=10)  # the arrow before the wrapped rest
    doc.save(tmp_path / "marked.pdf")
    markdown = pdf_to_markdown(tmp_path / "marked.pdf")
    assert f"{message}\nAfrican or a European swallow?'\n>>> print(" in markdown


def test_text_under_a_contents_list_on_the_same_page_stays(tmp_path):
    """DocBook's article sets its contents list and then the text on the same first page: a listing's
    output there ('4', a bare number like a page number) does not make the text above it an entry."""
    items = [Text(80, "Table of Contents", "hebo", 17)]
    for i, title in enumerate(["Variables", "Values and types", "Statements", "Operators", "Expressions"]):
        items.append(Text(110 + i * PITCH, f"{title} " + ". " * 40 + str(i + 1), "tiro", 10, LEFT + 24 * bool(i)))
    items += [Text(200, "Variables and statements", "hebo", 20), Text(230, "Values and types", "hebo", 17)]
    items += paragraph(260, PROSE) + [Text(310, ">>> print(4)", "cour"), Text(322, "4", "cour")] + paragraph(346, PROSE)
    markdown = pdf_to_markdown(write_pdf(tmp_path / "toc.pdf", [items, paragraph(100, PROSE)]))
    assert ". . ." not in markdown and "Table of Contents" not in markdown
    assert "# Variables and statements\n\n## Values and types\n\nThis is a body paragraph" in markdown
    assert ">>> print(4)\n4\n" in markdown


def test_glyphs_set_a_little_larger_by_font_expansion_stay_in_their_span(tmp_path):
    """ConTeXt (and pdfTeX's microtype) expand fonts: the PDF sets glyphs of one font at sizes a few
    thousandths apart, so a line-end hyphen came as a span of its own and the word was not joined."""
    head = "The rules of precedence govern the order in which expressions with opera"
    doc = pymupdf.open(write_pdf(tmp_path / "plain.pdf", [paragraph(100, PROSE) + [Text(148, "tors and operands are evaluated, left to right.")]]))
    page = doc[0]
    page.insert_text((LEFT, 136), head, fontname="tiro", fontsize=10)
    page.insert_text((LEFT + _width(head), 136), "-", fontname="tiro", fontsize=9.97)
    doc.save(tmp_path / "hyphen.pdf")
    assert head + "-" in [s.text for s in read_spans(pymupdf.open(tmp_path / "hyphen.pdf")[0])]
    assert "expressions with operators and operands are evaluated" in pdf_to_markdown(tmp_path / "hyphen.pdf")


def test_a_compound_broken_at_its_own_hyphen_keeps_it(tmp_path):
    """'easy-to-' at a line end, 'understand' next: the break is at the compound's own hyphen when both
    sides are words the document uses; 'comma-sepa-' + 'rated' (Typst hyphenates compounds too) is joined."""
    lines = PROSE + ["We want to understand the whole thing, and the easy part comes first, so an easy-to-",
                     "understand program of nineteen lines is shown; it prints a comma-sepa-",
                     "rated list of the counts."]
    markdown = pdf_to_markdown(write_pdf(tmp_path / "compound.pdf", [paragraph(100, lines)]))
    assert "an easy-to-understand program" in markdown and "a comma-separated list" in markdown


def test_a_numbered_figure_title_set_like_a_heading_is_a_caption(tmp_path):
    """DocBook's stylesheets set 'Figure 1. If Logic' bold and larger than the body above the figure:
    a caption, not a section title, while real headings in that style stay headings."""
    items = [Text(80, "Conditional execution", "hebo", 20), Text(110, "Boolean expressions", "hebo", 16)] + paragraph(130, PROSE)
    items += [Text(180, "Figure 1. If Logic", "tibo", 12)] + paragraph(200, PROSE)
    items += [Text(250, "Alternative execution", "hebo", 16)] + paragraph(270, PROSE)
    items += [Text(320, "Table 2: Comparison operators", "tibo", 12)] + paragraph(340, PROSE)
    markdown = pdf_to_markdown(write_pdf(tmp_path / "caption.pdf", [items]))
    assert "## Boolean expressions" in markdown and "## Alternative execution" in markdown
    assert "#" not in markdown.split("Figure 1.")[0].splitlines()[-1] and "#" not in markdown.split("Table 2:")[0].splitlines()[-1]
    assert "Figure 1. If Logic" in markdown and "Table 2: Comparison operators" in markdown


def test_a_page_number_right_under_an_overrunning_listing_is_furniture(tmp_path):
    """FOP lets a shaded listing run past the text area down to the line above the page number: the
    number, in the place and sequence of every other page's, is still furniture."""
    listing = ["for line in fhand:", "    words = line.split()", "    print('Debug:', words)", "    print(words[2])"]
    pages = []
    for number in range(1, 7):
        items = paragraph(100, PROSE) + [Text(752, str(number), "tiro", 10, PAGE_W / 2)]
        if number == 4:
            items += [Text(704 + i * PITCH, text, "cour", 10) for i, text in enumerate(listing)]
        pages.append(items)
    markdown = pdf_to_markdown(write_pdf(tmp_path / "overrun.pdf", pages))
    assert "    print(words[2])\n```" in markdown
    assert not any(line.strip() == "4" for line in markdown.splitlines())


def test_a_url_alone_on_a_typewriter_line_is_no_listing(tmp_path):
    """ConTeXt (and LaTeX's \\url) set a URL in the typewriter font, alone on its line after 'see': a
    paragraph holding the link, not a one-line code block; a one-line listing stays code."""
    items = paragraph(100, PROSE) + [Text(136, "Read the documentation of the string methods at")]
    items += [Text(156, "https://docs.python.org/library/stdtypes.html#string-methods", "cour")]
    items += paragraph(176, PROSE) + [Text(220, ">>> print(len('banana'))", "cour")] + paragraph(240, PROSE)
    markdown = pdf_to_markdown(write_pdf(tmp_path / "url.pdf", [items]))
    assert "string methods at\n\n`https://docs.python.org/library/stdtypes.html#string-methods`\n\nThis is" in markdown
    assert "``` python\n>>> print(len('banana'))\n```" in markdown


def test_a_running_head_naming_the_current_section_is_furniture(tmp_path):
    """DocBook's book pages carry the current section's title as their running head, so the head's text
    changes from page to page; it repeats a title the body sets bold and larger, always in one place,
    on one line or wrapped onto two (the head's centre part is narrow)."""
    sections = ["Strings", "Getting the length", "Catching exceptions using try and except", "String slices",
                "Strings are immutable", "Looping and counting"]
    pages = []
    for number, title in enumerate(sections, start=1):
        items = [Text(90, title, "hebo", 14)] + paragraph(110, PROSE) + paragraph(160, PROSE) + [Text(752, str(number), "tiro", 9, PAGE_W / 2)]
        if number > 1:  # the section still running at the top, wrapped when long
            head = sections[number - 2].replace(" using", "\nusing").split("\n")
            items += [Text(40 + i * 11, part, "tiro", 9, PAGE_W / 2 - 40) for i, part in enumerate(head)]
        pages.append(items)
    markdown = pdf_to_markdown(write_pdf(tmp_path / "heads.pdf", pages))
    assert all(f"## {title}" in markdown or f"# {title}" in markdown for title in sections)
    assert not any(line.strip() in sections + ["Catching exceptions", "using try and except"] for line in markdown.splitlines())


def test_a_page_backdrop_cut_short_on_the_last_page_is_no_figure(tmp_path):
    """wkhtmltopdf paints the HTML body's white background on every page, down to where the text ends on
    a chapter's last page: that short backdrop, with the edges of the full ones before it, is no figure
    (its rarely used heading font made the last page's heading a diagram label)."""
    doc = pymupdf.open()
    for number in range(3):
        page = doc.new_page(width=PAGE_W, height=792)
        bottom = 720 if number < 2 else 300
        page.draw_rect(pymupdf.Rect(LEFT, 60, PAGE_W - LEFT, bottom), color=None, fill=(1, 1, 1))
        y = 100
        if number == 2:
            page.draw_rect(pymupdf.Rect(LEFT, 180, PAGE_W - LEFT, 230), color=None, fill=(0.94, 0.94, 0.94))
            page.insert_text((LEFT, 195), ">>> print('done')", fontname="cour", fontsize=10)
            page.insert_text((LEFT, 90), "Exercises", fontname="hebo", fontsize=13)
        for line in PROSE * (12 if number < 2 else 1):
            if y > 170 and number == 2:
                break
            page.insert_text((LEFT, y), line, fontname="tiro", fontsize=10)
            y += PITCH
    doc.save(tmp_path / "backdrop.pdf")
    markdown = pdf_to_markdown(tmp_path / "backdrop.pdf")
    assert "Exercises" in markdown and ">>> print('done')" in markdown
