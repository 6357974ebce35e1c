"""Rules for books printed from Jupyter notebooks (nbconvert's LaTeX, its HTML printed): execution
prompts (`[1]:`, `In [1]:`, `Out[1]:`) set left of a shaded code cell or of its output are no code,
and the date nbconvert sets under the title is no prose. Each on a PDF generated here."""

from __future__ import annotations

from pathlib import Path

import pymupdf

from codemill.extract.pdf.document import pdf_to_markdown
from tests.extract.pdf.pdfgen import LEFT, PAGE_H, PAGE_W, PITCH

PROSE = [
    "This is a body paragraph of the test notebook. It runs across several lines so that",
    "the extractor can learn what the body text looks like and how far apart its",
    "lines are set, before it meets the cells, their prompts and what they print.",
]
BLUE, RED = (0.19, 0.25, 0.62), (0.8, 0.25, 0.22)
CODE_X = LEFT + 4  # code sits a little inside its shaded box


def _notebook_pdf(path: Path, cells: list[tuple[str, list[str], bool]], glued: bool = False, raised: float = 0.0,
                  prompt_font: str = "cour") -> Path:
    """Prose, then each cell: (prompt, lines, shaded). The prompt ends a little left of the box, at the
    first line's baseline (`raised` points above it), in another colour; unshaded (output) lines start
    at the box's edge, left of the code in it, a little below the box (at the line pitch when unprompted); `glued` sets prompt and first
    line as one Courier string, the rest of the lines aligned under the code, as one text object would."""
    doc = pymupdf.open()
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    y = 100
    for text in PROSE:
        page.insert_text((LEFT, y), text, fontname="tiro", fontsize=10)
        y += PITCH
    for prompt, lines, shaded in cells:
        y += 1.5 * PITCH if shaded else 0.2 * PITCH if prompt else -0.5 * PITCH  # a printed stream right under the box
        if shaded:
            page.draw_rect(pymupdf.Rect(LEFT, y - PITCH + 2, PAGE_W - LEFT, y + (len(lines) - 1) * PITCH + 5),
                           color=(0.8, 0.8, 0.8), fill=(0.97, 0.97, 0.97))
        width = pymupdf.get_text_length(prompt + " ", fontname=prompt_font, fontsize=10)
        code_x = (CODE_X if shaded else LEFT) if not glued else LEFT - 40 + width  # output is set outside the box
        if glued:
            page.insert_text((LEFT - 40, y), f"{prompt} {lines[0]}", fontname="cour", fontsize=10)
        elif prompt:
            page.insert_text((LEFT - 4 - width, y - raised), prompt, fontname=prompt_font, fontsize=10, color=BLUE if "Out" not in prompt else RED)
        for index, text in enumerate(lines):
            if index or not glued:
                page.insert_text((code_x, y), text, fontname="cour", fontsize=10)
            y += PITCH
        y += 0.5 * PITCH
    page.insert_text((LEFT, y + PITCH), "The last paragraph closes the page of this test notebook.", fontname="tiro", fontsize=10)
    doc.save(path)
    doc.close()
    return path


LOOP = ["n = 10", "while True:", "    print(n, end=' ')", "    n = n - 1", "print('Done!')"]


def test_a_prompt_left_of_a_code_cell_is_dropped_and_the_indentation_kept(tmp_path):
    markdown = pdf_to_markdown(_notebook_pdf(tmp_path / "nb.pdf", [("[5]:", LOOP, True)]))
    assert "[5]:" not in markdown
    assert "``` python\n" + "\n".join(LOOP) + "\n```" in markdown


def test_a_wide_prompt_cut_into_spans_is_dropped(tmp_path):
    """`In [12]:` (older nbconvert), the prompt read as several spans."""
    markdown = pdf_to_markdown(_notebook_pdf(tmp_path / "nb.pdf", [("In [12]:", ["for i in range(3):", "    print(i)"], True)]))
    assert "In [" not in markdown
    assert "for i in range(3):\n    print(i)\n```" in markdown


def test_a_prompt_glued_into_the_code_span_is_cut_out(tmp_path):
    markdown = pdf_to_markdown(_notebook_pdf(tmp_path / "nb.pdf", [("[3]:", ["for i in range(3):", "    print(i)"], True)], glued=True))
    assert "[3]:" not in markdown
    assert "``` python\nfor i in range(3):\n    print(i)\n```" in markdown


def test_a_prompt_set_above_the_code_baseline_is_dropped(tmp_path):
    """A prompt a few points higher than the code (an HTML print's prompt box) is a row of its own."""
    markdown = pdf_to_markdown(_notebook_pdf(tmp_path / "nb.pdf", [("[5]:", LOOP, True)], raised=4, prompt_font="helv"))
    assert "[5]:" not in markdown
    assert "\n".join(LOOP) + "\n```" in markdown


IMPORTS = ("In [1]:", ["import math", "from collections import namedtuple", "Point = namedtuple('Point', 'x y')"], True)
NORM = ("In [3]:", ["def norm(p):", "    return math.hypot(p.x, p.y)"], True)  # a second python listing: the document's language


def test_an_output_prompt_marks_output(tmp_path):
    """`Out[2]:` right under its cell: a block of its own, output (no language tag) even where it reads
    as a call in a python document."""
    cells = [IMPORTS, ("In [2]:", ["p = Point(1, 2)", "p"], True), ("Out[2]:", ["Point(x=1, y=2)"], False), NORM]
    markdown = pdf_to_markdown(_notebook_pdf(tmp_path / "nb.pdf", cells))
    assert "Out[" not in markdown and "In [" not in markdown
    assert "``` python\np = Point(1, 2)\np\n```\n\n```\nPoint(x=1, y=2)\n```" in markdown


def test_a_repeated_number_marks_output(tmp_path):
    """nbconvert 7 prints `[n]:` before a result too: the second prompt with the same number is output."""
    cells = [("[1]:", IMPORTS[1], True), ("[2]:", ["p = Point(1, 2)", "p"], True), ("[2]:", ["Point(x=1, y=2)"], False), ("[3]:", NORM[1], True)]
    markdown = pdf_to_markdown(_notebook_pdf(tmp_path / "nb.pdf", cells))
    assert "[2]:" not in markdown
    assert "``` python\np = Point(1, 2)\np\n```\n\n```\nPoint(x=1, y=2)\n```" in markdown


def test_printed_output_under_a_prompted_cell_is_a_block_of_its_own(tmp_path):
    """nbconvert sets a cell's printed stream unprompted and unboxed, left of the box's code, right
    under it: it starts further left than the cell's first line, so it is no line of the cell."""
    cells = [("[4]:", ["for i in range(3):", "    print(i)"], True), ("", ["0", "1", "2"], False)]
    markdown = pdf_to_markdown(_notebook_pdf(tmp_path / "nb.pdf", cells))
    assert "``` python\nfor i in range(3):\n    print(i)\n```\n\n```\n0\n1\n2\n```" in markdown


def test_bracketed_numbers_before_prose_stay(tmp_path):
    """A reference list's `[1]:` before prose is no prompt: nothing monospace follows it."""
    doc = pymupdf.open()
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    for index, text in enumerate(PROSE + ["[1]: Guido van Rossum, The Python Tutorial, 2024."]):
        page.insert_text((LEFT, 100 + index * PITCH), text, fontname="tiro", fontsize=10)
    doc.save(tmp_path / "refs.pdf")
    assert "[1]: Guido" in pdf_to_markdown(tmp_path / "refs.pdf").replace("\\[", "[").replace("\\]", "]")


def _title_page(path: Path, date: str, centred: bool) -> Path:
    """A first page: a large centred title, a date under it (centred as a title block sets it, or at the
    left margin as a letter's or a log's own date line), then prose."""
    doc = pymupdf.open()
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    title_width = pymupdf.get_text_length("Iteration", fontname="tiro", fontsize=17)
    page.insert_text(((PAGE_W - title_width) / 2, 120), "Iteration", fontname="tiro", fontsize=17)
    date_width = pymupdf.get_text_length(date, fontname="tiro", fontsize=12)
    page.insert_text(((PAGE_W - date_width) / 2 if centred else LEFT, 150), date, fontname="tiro", fontsize=12)
    for index, text in enumerate(PROSE):
        page.insert_text((LEFT, 190 + index * PITCH), text, fontname="tiro", fontsize=10)
    doc.save(path)
    return path


def test_the_date_under_the_title_is_no_prose(tmp_path):
    markdown = pdf_to_markdown(_title_page(tmp_path / "title.pdf", "November 29, 2026", centred=True))
    assert "2026" not in markdown
    assert "Iteration" in markdown and PROSE[0] in markdown


def test_a_date_line_at_the_margin_stays(tmp_path):
    markdown = pdf_to_markdown(_title_page(tmp_path / "title.pdf", "3 March 2024", centred=False))
    assert "3 March 2024" in markdown


def test_a_printed_ipython_session_keeps_its_prompts(tmp_path):
    """A book's IPython session is one listing whose prompts are its text: prompt, code and output
    lines at one pitch from one left edge (here one Courier string a line, and a prompt in a colour
    of its own before a multi-line output)."""
    session = ["In [1]: import numpy as np", "In [2]: data = np.arange(3)", "In [3]: data", "Out[3]: array([0, 1, 2])"]
    doc = pymupdf.open()
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    for index, text in enumerate(PROSE):
        page.insert_text((LEFT, 100 + index * PITCH), text, fontname="tiro", fontsize=10)
    for index, text in enumerate(session):
        page.insert_text((LEFT, 150 + index * PITCH), text, fontname="cour", fontsize=10)
    page.insert_text((LEFT, 150 + 4 * PITCH), "In [4]:", fontname="cour", fontsize=10, color=BLUE)
    page.insert_text((LEFT + 48, 150 + 4 * PITCH), "data + 1", fontname="cour", fontsize=10)
    page.insert_text((LEFT, 150 + 5 * PITCH), "Out[4]: array([1, 2, 3])", fontname="cour", fontsize=10)
    doc.save(tmp_path / "session.pdf")
    markdown = pdf_to_markdown(tmp_path / "session.pdf")
    assert "\n".join(session + ["In [4]: data + 1", "Out[4]: array([1, 2, 3])"]) + "\n```" in markdown
