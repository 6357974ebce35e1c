"""Typeset ground-truth markdown into PDFs at run time, several ways, for the extract pdf benchmark.

Each typesetting writes `<name>.pdf` + `<name>.md` (the ground truth, copied) into its own folder.
The LaTeX cells run pandoc -> xelatex on the ground truth itself (article, book, twocolumn; listings
with shaded boxes, plain verbatim, pandoc's own shaded highlighting; Latin Modern or Palatino), some
with each python block and the output block right after it set in one box. The two-column cells break
long code lines with a continuation arrow (listings' postbreak, fvextra's breaklines), as two-column
books must: code too long for a column is otherwise wrapped without a mark or overprints the other column.
Markdown becomes HTML with markdown-it-py; figures become an image with its caption below, as the
LaTeX book sets them. HTML is laid out either by headless Chromium (print to PDF) or by pymupdf's
Story, in one or two columns, or by WeasyPrint (one and two columns; running heads and page numbers
from CSS margin boxes). LibreOffice Writer exports the same chapter as pandoc's DOCX, or as the HTML.
Running heads and page numbers are stamped afterwards on every page but a chapter's first, as the
LaTeX book does (Chromium's print cannot set them from CSS), except where WeasyPrint sets its own.
Typst: pandoc (>= 3.1, e.g. the one pypandoc-binary bundles) writes the chapter as Typst markup, set
with Typst's defaults (Libertinus Serif, raw blocks in DejaVu Sans Mono, its own page numbers; one or
two columns; a lone image becomes a figure with its caption) plus a running head Typst sets itself.
groff: pandoc's ms writer, then `groff -ms -Tpdf` in Times and Courier (base-14 fonts, not embedded),
code unhighlighted, page numbers and headers from ms; a PNG figure prints as `[IMAGE: caption]`, as
pandoc's ms writer has it.
wkhtmltopdf: the Chromium cells' HTML and CSS printed by wkhtmltopdf (QtWebKit) at the same page size; an
unpatched-Qt build (Debian's) ignores the header/footer switches, so its furniture is stamped as Chromium's is.
fop-docbook: pandoc's DocBook 5 article, docbook-xsl-ns's FO stylesheet (shaded verbatim, FOP extensions)
and Apache FOP, with the stylesheets' own title page, table of contents, running heads and page numbers.
context: pandoc's ConTeXt writer with its default template, set by ConTeXt MkIV (its own page numbers).
latex-plain-numbered: pandoc's LaTeX body of the chapter under a book's own short preamble (PLAIN_LATEX: listings
numbered in the margin, framed, bold keywords, no upquote), set by xelatex.
notebook: the chapter as a Jupyter notebook printed by nbconvert (pdf_notebook.py says what is a cell).
texinfo: pandoc's Texinfo, set by texi2pdf as GNU manuals are (its own headings, running heads and page numbers).
WeasyPrint, LibreOffice, Typst, groff, wkhtmltopdf, FOP, ConTeXt, nbconvert and Texinfo are tools of this
benchmark only: a cell whose tool is missing is skipped.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pdf_notebook

CHROMIUM = Path("/usr/bin/chromium")
WEASYPRINT = os.environ.get("WEASYPRINT", "weasyprint")  # e.g. a venv's bin/weasyprint; it needs pango
SOFFICE = "soffice"
PANDOC = "pandoc"
# Typst cells: a pandoc with the typst writer (>= 3.1), and the typst CLI or a Python with the `typst` package
PANDOC3 = os.environ.get("PANDOC3", "pandoc")
TYPST = os.environ.get("TYPST", "typst")
GROFF = "groff"
TEXI2PDF = "texi2pdf"
WKHTMLTOPDF = "wkhtmltopdf"
FOP = "fop"
XSLTPROC = "xsltproc"
DOCBOOK_FO = Path("/usr/share/xml/docbook/stylesheet/docbook-xsl-ns/fo/docbook.xsl")  # Debian: docbook-xsl-ns
CONTEXT = "context"
BOOK = "Python for Everybody"
PAGE_W, PAGE_H = 7 * 72, 9.25 * 72
MARGIN = 0.8 * 72
CSS = """
@page { size: 7in 9.25in; margin: 0.8in; }
body { font-family: "DejaVu Serif", serif; font-size: 10pt; line-height: 1.4; margin: 0; }
h1, h2, h3 { font-family: "DejaVu Sans", sans-serif; font-weight: bold; }
h1 { font-size: 18pt; } h2 { font-size: 13pt; } h3 { font-size: 11pt; }
pre { font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; background: #f0f0f0; padding: 4pt; }
code { font-family: "DejaVu Sans Mono", monospace; }
table { border-collapse: collapse; } th, td { border: 1px solid #777; padding: 2pt 5pt; }
figure { margin: 8pt 0; text-align: center; } img { max-width: 60%; }
"""
TWO_COLUMNS = "body { columns: 2; column-gap: 18pt; } pre { font-size: 7pt; white-space: pre-wrap; } img { max-width: 90%; }"
STORY_CSS = """
body { font-family: serif; font-size: 10pt; }
h1, h2, h3 { font-family: sans-serif; font-weight: bold; }
pre { font-family: monospace; font-size: 8pt; background-color: #f0f0f0; }
code { font-family: monospace; }
th, td { border: 1px solid #777777; }
"""
# Story clips (leaves out of the PDF) code lines that overflow a column: 43 of the py4e listings lose
# text no extractor can see. Story's pre-wrap would keep them but drops whole passages at column breaks.
STORY_TWO_COLUMNS = "pre { font-size: 6pt; }"
# WeasyPrint sets its own furniture: the book title on left pages, the chapter on right ones, a number below
WEASY_CSS = """
@page { @bottom-center { content: counter(page); font-family: "DejaVu Sans", sans-serif; font-size: 8pt; } }
@page :left { @top-left { content: "Python for Everybody"; font-size: 8pt; font-style: italic; } }
@page :right { @top-right { content: string(chapter); font-size: 8pt; font-style: italic; } }
@page :first { @top-left { content: none; } @top-right { content: none; } @bottom-center { content: none; } }
h1 { string-set: chapter content(); }
"""
_FIGURE = re.compile(r"<p><img src=\"([^\"]+)\" alt=\"([^\"]*)\" ?/?></p>")


def markdown_html(markdown: str) -> str:
    """HTML body of a chapter; a paragraph holding only an image becomes a captioned figure."""
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark").enable("table").render(markdown)
    return _FIGURE.sub(r'<figure><img src="\1"><figcaption>\2</figcaption></figure>', html)


def chapter_title(markdown: str) -> str:
    return next((line[2:].strip() for line in markdown.splitlines() if line.startswith("# ")), BOOK)


def stamp_furniture(pdf: Path, title: str) -> None:
    """Running head (book title on even pages, chapter on odd) and a centred page number."""
    import pymupdf

    doc = pymupdf.open(pdf)
    for index, page in enumerate(doc):
        if index == 0:
            continue
        head = BOOK if index % 2 else title
        page.insert_text((MARGIN, 0.55 * 72), head, fontname="helv", fontsize=8)
        label = str(index + 1)
        width = pymupdf.get_text_length(label, fontname="helv", fontsize=9)
        page.insert_text(((page.rect.width - width) / 2, page.rect.height - 0.4 * 72), label, fontname="helv", fontsize=9)
    data = doc.tobytes(garbage=1)
    doc.close()
    pdf.write_bytes(data)


def chromium_pdf(html: str, out: Path, two_columns: bool) -> None:
    css = CSS + (TWO_COLUMNS if two_columns else "")
    page = out.with_suffix(".html")
    page.write_text(f"<!doctype html><html><head><meta charset='utf-8'><style>{css}</style></head><body>{html}</body></html>", encoding="utf-8")
    command = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--no-first-run", "--no-pdf-header-footer", "--allow-file-access-from-files", f"--print-to-pdf={out}", page.as_uri()]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    page.unlink()


def weasyprint_pdf(html: str, out: Path, two_columns: bool) -> None:
    css = CSS + WEASY_CSS + (TWO_COLUMNS if two_columns else "")
    page = out.parent / f".{out.stem}-weasy.html"  # beside the images/ link, so image paths resolve
    page.write_text(f"<!doctype html><html><head><meta charset='utf-8'><style>{css}</style></head><body>{html}</body></html>", encoding="utf-8")
    try:
        subprocess.run([WEASYPRINT, str(page), str(out)], check=True, capture_output=True, timeout=300)
    finally:
        page.unlink()


def libreoffice_pdf(markdown: str, html: str, out: Path, truth_dir: Path, via: str) -> None:
    """Writer's PDF export of pandoc's DOCX of the chapter, or of the chapter's HTML (Writer/Web)."""
    work = out.parent / f".{out.stem}-lo"
    work.mkdir(exist_ok=True)
    if via == "docx":
        (work / "in.md").write_text(markdown, encoding="utf-8")
        subprocess.run([PANDOC, "in.md", "-f", "gfm", "-o", "in.docx", f"--resource-path={truth_dir}"],
                       check=True, capture_output=True, timeout=120, cwd=work)
        source, target = work / "in.docx", "pdf:writer_pdf_Export"
    else:
        source = out.parent / f".{out.stem}-lo.html"  # beside the images/ link
        source.write_text(f"<!doctype html><html><head><meta charset='utf-8'><style>{CSS}</style></head><body>{html}</body></html>", encoding="utf-8")
        target = "pdf:writer_web_pdf_Export"
    try:
        subprocess.run([SOFFICE, "--headless", "--norestore", f"-env:UserInstallation={(work / 'profile').as_uri()}",
                        "--convert-to", target, "--outdir", str(work), str(source)], check=True, capture_output=True, timeout=300)
        (work / f"{source.stem}.pdf").replace(out)
    finally:
        if via != "docx":
            source.unlink()
        shutil.rmtree(work, ignore_errors=True)


def story_pdf(html: str, out: Path, images: Path, two_columns: bool) -> None:
    import pymupdf

    story = pymupdf.Story(html=html, user_css=STORY_CSS + (STORY_TWO_COLUMNS if two_columns else ""), archive=pymupdf.Archive(str(images.parent)))
    columns = 2 if two_columns else 1
    gap = 18
    width = (PAGE_W - 2 * MARGIN - gap * (columns - 1)) / columns
    rects = [pymupdf.Rect(MARGIN + k * (width + gap), MARGIN, MARGIN + k * (width + gap) + width, PAGE_H - MARGIN) for k in range(columns)]
    buffer = io.BytesIO()
    writer = pymupdf.DocumentWriter(buffer)
    more = True
    while more:
        device = writer.begin_page(pymupdf.Rect(0, 0, PAGE_W, PAGE_H))
        for rect in rects:
            more, _ = story.place(rect)
            story.draw(device)
            if not more:
                break
        writer.end_page()
    writer.close()
    out.write_bytes(buffer.getvalue())


LISTINGS = r"""
\usepackage{xcolor}
\lstset{basicstyle=\ttfamily\small, backgroundcolor=\color[gray]{0.92}, upquote=true, keepspaces=true,
  showstringspaces=false, breaklines=true, columns=fixed, frame=none}
"""
# A narrow column breaks long code lines and marks each break, as real two-column books do
# (listings' postbreak arrow; fvextra's breaklines with its own arrow); unmarked breaks in a column
# too narrow for the code, or verbatim running over the other column, leave text no reader can trust.
MARKED_BREAKS = r"\lstset{postbreak=\mbox{$\hookrightarrow$\space}}"
VERBATIM_BREAKS = r"""
\usepackage{fvextra}
\let\verbatim\relax\let\endverbatim\relax
\DefineVerbatimEnvironment{verbatim}{Verbatim}{breaklines}
"""
# pandoc -> xelatex cells: (document class, class options, fonts, code style, code+output in one box)
LATEX = {
    "latex-article-listings": ("article", "", "lmodern", "listings", False),
    "latex-book-verbatim": ("book", "oneside", "palatino", "verbatim", False),
    "latex-2col-listings-onebox": ("article", "twocolumn", "palatino", "listings-marked", True),
    "latex-2col-verbatim": ("article", "twocolumn", "dejavu", "verbatim-breaks", False),
    "latex-article-shaded-onebox": ("article", "", "dejavu", "highlight", True),
}
FONTS = {
    "lmodern": [],
    "palatino": ["-V", "mainfont=P052", "-V", "monofont=Nimbus Mono PS"],  # Debian fonts-urw-base35
    "dejavu": ["-V", "mainfont=DejaVu Serif", "-V", "sansfont=DejaVu Sans", "-V", "monofont=DejaVu Sans Mono"],
}
_CODE_THEN_OUTPUT = re.compile(r"^```+ ?python\n(.*?)\n```+\n\n```+\n(.*?)\n```+$", re.S | re.M)


def one_box(markdown: str) -> str:
    """Each python block followed straight away by an untagged (output) block, set in one box with a
    blank line between, as books that show a cell and what it printed together do."""
    return _CODE_THEN_OUTPUT.sub(lambda m: f"```python\n{m.group(1)}\n\n{m.group(2)}\n```", markdown)


def latex_pdf(markdown: str, out: Path, truth_dir: Path, cell: str) -> None:
    """pandoc -> xelatex with the cell's class, fonts and code style; runs in a scratch folder."""
    documentclass, options, font, code, _ = LATEX[cell]
    work = out.parent / f".{out.stem}-tex"
    work.mkdir(exist_ok=True)
    source = work / "in.md"
    source.write_text(markdown, encoding="utf-8")
    command = [str(PANDOC), str(source), "-f", "gfm", "-o", str(out), "--pdf-engine=xelatex", f"--resource-path={truth_dir}",
               "-V", f"documentclass={documentclass}", "-V", "geometry:margin=0.8in", "-V", "papersize=letter", *FONTS[font]]
    if options:
        command += ["-V", f"classoption={options}"]
    if documentclass == "book":
        command += ["--top-level-division=chapter"]
    if code.startswith("listings"):
        (work / "head.tex").write_text(LISTINGS + (MARKED_BREAKS if code.endswith("marked") else ""), encoding="utf-8")
        command += ["--listings", "-H", str(work / "head.tex")]
    elif code.startswith("verbatim"):
        command += ["--no-highlight"]
        if code.endswith("breaks"):
            (work / "head.tex").write_text(VERBATIM_BREAKS, encoding="utf-8")
            command += ["-H", str(work / "head.tex")]
    subprocess.run(command, check=True, capture_output=True, timeout=300, cwd=work)
    shutil.rmtree(work, ignore_errors=True)


# A book's own hand-written preamble instead of pandoc's template, as many LaTeX books have: listings with line
# numbers in the margin, a frame and bold keywords, and no upquote (a quote in code prints curly, as ’)
PLAIN_LATEX = r"""\documentclass[11pt,oneside]{book}
\usepackage{fontspec}
\usepackage[paperwidth=7in,paperheight=9.25in,margin=0.8in]{geometry}
\usepackage{graphicx,xcolor,listings,longtable,booktabs,hyperref}
\graphicspath{{TRUTH/}}
\lstset{basicstyle=\ttfamily\small, keywordstyle=\bfseries, language=Python, numbers=left, numberstyle=\tiny,
  frame=single, breaklines=true, showstringspaces=false}
\newcommand{\passthrough}[1]{#1}
\providecommand{\tightlist}{\setlength{\itemsep}{0pt}\setlength{\parskip}{0pt}}
\begin{document}
\input{body}
\end{document}
"""


def plain_latex_pdf(markdown: str, out: Path, truth_dir: Path) -> None:
    """pandoc writes the chapter's LaTeX body only; PLAIN_LATEX's preamble sets it with xelatex."""
    work = out.parent / f".{out.stem}-plain"
    work.mkdir(exist_ok=True)
    subprocess.run([PANDOC, "-f", "gfm", "-t", "latex", "--listings", "--top-level-division=chapter", "-o", str(work / "body.tex")],
                   input=markdown, text=True, check=True, capture_output=True, timeout=120)
    (work / "book.tex").write_text(PLAIN_LATEX.replace("TRUTH", str(truth_dir.resolve())), encoding="utf-8")
    for _ in range(2):  # the second run settles references
        subprocess.run(["xelatex", "-interaction=batchmode", "book.tex"], capture_output=True, timeout=300, cwd=work)
    if not (work / "book.pdf").exists():
        raise subprocess.CalledProcessError(1, "xelatex", stderr=(work / "book.log").read_bytes()[-500:])
    shutil.move(work / "book.pdf", out)
    shutil.rmtree(work, ignore_errors=True)


# Typst sets the running head itself: the book on even pages, the chapter on odd ones, none on the first
TYPST_HEAD = """#set page(header: context {
  let n = here().page()
  if n > 1 {
    set text(size: 8pt, style: "italic")
    if calc.even(n) { BOOK } else { align(right, TITLE) }
  }
})
"""


def _typst_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def typst_pdf(markdown: str, out: Path, two_columns: bool) -> None:
    """pandoc -> Typst markup -> PDF; compiled with out's folder as root, where the images/ link is."""
    work = out.parent / f".{out.stem}-typ"
    work.mkdir(exist_ok=True)
    try:
        (work / "in.md").write_text(markdown, encoding="utf-8")
        head = TYPST_HEAD.replace("BOOK", _typst_string(BOOK)).replace("TITLE", _typst_string(chapter_title(markdown)))
        (work / "head.typ").write_text(head, encoding="utf-8")
        source = out.parent / f".{out.stem}.typ"  # beside the images/ link, so image paths resolve
        command = [PANDOC3, "in.md", "-f", "gfm+implicit_figures", "-t", "typst", "-s", "-o", str(source), "-V", "page-numbering=1", "-H", "head.typ"]
        subprocess.run(command + (["-V", "columns=2"] if two_columns else []), check=True, capture_output=True, timeout=120, cwd=work)
        if Path(TYPST).name.startswith("python"):
            compile_ = [TYPST, "-c", "import sys, typst; typst.compile(sys.argv[1], output=sys.argv[2], root=sys.argv[3])", source, out, out.parent]
        else:
            compile_ = [TYPST, "compile", "--root", out.parent, source, out]
        subprocess.run(list(map(str, compile_)), check=True, capture_output=True, timeout=300)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        (out.parent / f".{out.stem}.typ").unlink(missing_ok=True)


_FENCE_LANGUAGE = re.compile(r"^(```+|~~~+) ?[\w+-]+[ \t]*$", re.M)


def groff_pdf(markdown: str, out: Path) -> None:
    """pandoc -> ms -> groff's PDF device in Times/Courier; the book and chapter in the ms page header."""
    title = chapter_title(markdown)
    header = f".ds LH {BOOK}\n.ds RH {title}\n"
    # code without its language, so unhighlighted: pandoc 2.17 highlights through string macros, and a line
    # starting with '...' (a REPL continuation) then reads as a troff request and leaves the page
    markdown = _FENCE_LANGUAGE.sub(r"\1", markdown)
    ms = subprocess.run([PANDOC, "-f", "gfm", "-t", "ms", "-s", "-V", "fontfamily=T", "-V", f"header-includes={header}"],
                        input=markdown, check=True, capture_output=True, text=True, timeout=120).stdout
    pdf = subprocess.run([GROFF, "-ms", "-Tpdf", "-k"], input=ms.encode(), check=True, capture_output=True, timeout=300).stdout
    out.write_bytes(pdf)


def wkhtmltopdf_pdf(html: str, out: Path) -> None:
    """The Chromium cells' page printed by wkhtmltopdf at the same size and margins (its switches, not @page)."""
    page = out.parent / f".{out.stem}-wk.html"  # beside the images/ link
    page.write_text(f"<!doctype html><html><head><meta charset='utf-8'><style>{CSS}</style></head><body>{html}</body></html>", encoding="utf-8")
    margin = f"{MARGIN / 72}in"
    command = [WKHTMLTOPDF, "--quiet", "--enable-local-file-access", "--page-width", f"{PAGE_W / 72}in", "--page-height", f"{PAGE_H / 72}in",
               "-T", margin, "-B", margin, "-L", margin, "-R", margin, str(page), str(out)]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=300)
    finally:
        page.unlink()


# pandoc 2's gfm reader has no implicit_figures: this filter marks a lone image as a figure (its alt text the
# caption), as that extension does, so DocBook and ConTeXt print the caption as the other cells do
FIGURES_FILTER = """function Para(para)
  if #para.content == 1 and para.content[1].t == "Image" then
    para.content[1].title = "fig:" .. para.content[1].title
    return para
  end
end
"""


def _pandoc_with_figures(markdown: str, reader: str, writer: str, work: Path) -> str:
    """The chapter in pandoc's `writer` format (standalone), lone images as captioned figures."""
    lua = work / f".figures-{os.getpid()}.lua"
    lua.write_text(FIGURES_FILTER, encoding="utf-8")
    try:
        return subprocess.run([PANDOC, "-f", reader, "-t", writer, "-s", "--lua-filter", str(lua)], input=markdown,
                              check=True, capture_output=True, text=True, timeout=120).stdout
    finally:
        lua.unlink()


def fop_docbook_pdf(markdown: str, out: Path) -> None:
    """pandoc -> DocBook 5 -> docbook-xsl-ns FO (FOP extensions, shaded verbatim) -> Apache FOP; the FO file
    sits beside the images/ link, so image paths resolve."""
    docbook = _pandoc_with_figures(markdown, "gfm", "docbook5", out.parent)
    source, fo = out.parent / f".{out.stem}.xml", out.parent / f".{out.stem}.fo"
    source.write_text(docbook, encoding="utf-8")
    try:
        subprocess.run([XSLTPROC, "--stringparam", "fop1.extensions", "1", "--stringparam", "shade.verbatim", "1",
                        "-o", str(fo), str(DOCBOOK_FO), str(source)], check=True, capture_output=True, timeout=300)
        subprocess.run([FOP, "-q", "-fo", str(fo), "-pdf", str(out)], check=True, capture_output=True, timeout=300)
    finally:
        source.unlink(missing_ok=True)
        fo.unlink(missing_ok=True)


def context_pdf(markdown: str, out: Path) -> None:
    """pandoc -> ConTeXt (its default template) -> `context --batchmode`, run beside the images/ link."""
    source = out.parent / f".{out.stem}-ctx.tex"
    # no bare-URL autolinks: a link whose text is a URL then nests a \useURL in another (pandoc 2.17), and
    # ConTeXt swallows the text from there to the next heading's title
    source.write_text(_pandoc_with_figures(markdown, "gfm-autolink_bare_uris", "context", out.parent), encoding="utf-8")
    try:
        subprocess.run([CONTEXT, "--batchmode", "--purgeall", source.name], check=True, capture_output=True, timeout=300, cwd=out.parent)
        source.with_suffix(".pdf").replace(out)
    finally:
        for leftover in out.parent.glob(f".{out.stem}-ctx.*"):
            leftover.unlink()


def texinfo_pdf(markdown: str, out: Path) -> None:
    """pandoc -> Texinfo (standalone) -> `texi2pdf --batch`, run beside the images/ link: the GNU manuals' toolchain."""
    source = out.parent / f"{out.stem}-texi.texi"  # no dot name: TeX will not write aux files named after one
    source.write_text(_pandoc_with_figures(markdown, "gfm", "texinfo", out.parent), encoding="utf-8")
    try:
        subprocess.run([TEXI2PDF, "--batch", "--quiet", "--clean", "-o", out.name, source.name], check=True, capture_output=True,
                       timeout=300, cwd=out.parent)
    finally:
        source.unlink()


TYPESETTINGS = {
    "chromium-1col": ("chromium", False),
    "chromium-2col": ("chromium", True),
    "story-1col": ("story", False),
    "story-2col": ("story", True),
    "weasyprint-1col": ("weasyprint", False),
    "weasyprint-2col": ("weasyprint", True),
    "libreoffice-docx": ("libreoffice", False),
    "libreoffice-html": ("libreoffice", False),
    **{cell: ("latex", LATEX[cell][1] == "twocolumn") for cell in LATEX},
    "typst-1col": ("typst", False),
    "typst-2col": ("typst", True),
    "groff-ms": ("groff", False),
    "wkhtmltopdf": ("wkhtmltopdf", False),
    "fop-docbook": ("fop", False),
    "context": ("context", False),
    "latex-plain-numbered": ("latex-plain", False),
    "notebook": ("notebook", False),
    "texinfo": ("texinfo", False),
}


def _pandoc_version(pandoc: str) -> tuple[int, ...]:
    try:
        first = subprocess.run([pandoc, "--version"], capture_output=True, text=True, timeout=60).stdout.split("\n")[0]
    except OSError:
        return ()
    return tuple(int(part) for part in re.findall(r"\d+", first)[:2])


def available(name: str) -> str | None:
    """None when the typesetting can be built here, else why not."""
    engine, _ = TYPESETTINGS[name]
    if engine == "chromium" and not CHROMIUM.exists():
        return f"{CHROMIUM} not found"
    if engine == "weasyprint" and shutil.which(WEASYPRINT) is None:
        return f"{WEASYPRINT} not found (pip install weasyprint into any venv, which needs pango (Debian: libpango-1.0-0), and set WEASYPRINT to its bin/weasyprint)"
    if engine == "libreoffice":
        missing = [tool for tool in (SOFFICE, PANDOC) if shutil.which(tool) is None]
        if missing:
            return f"{', '.join(missing)} not found (Debian: libreoffice-writer-nogui, pandoc)"
    if engine == "latex":
        missing = [tool for tool in ("pandoc", "xelatex") if shutil.which(tool) is None]
        if missing:
            return f"{', '.join(missing)} not found (Debian: pandoc texlive-xetex texlive-latex-recommended)"
        if LATEX[name][3] == "highlight" and subprocess.run(["kpsewhich", "framed.sty"], capture_output=True).returncode:
            return "framed.sty not found (Debian: texlive-latex-extra)"
        if LATEX[name][2] == "palatino" and "P052" not in subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout:
            return "the P052 (Palatino) font is not installed (Debian: fonts-urw-base35)"
    if engine == "typst":
        if _pandoc_version(PANDOC3) < (3, 1):
            return f"{PANDOC3} is not pandoc >= 3.1 (pip install pypandoc-binary into any venv and set PANDOC3 to its bundled pandoc)"
        if shutil.which(TYPST) is None or (Path(TYPST).name.startswith("python") and subprocess.run([TYPST, "-c", "import typst"], capture_output=True).returncode):
            return f"{TYPST} not found (the typst CLI, or pip install typst into any venv and set TYPST to its bin/python)"
    if engine == "groff":
        if shutil.which(PANDOC) is None or shutil.which(GROFF) is None:
            return "pandoc or groff not found (Debian: pandoc groff)"
        if subprocess.run([GROFF, "-Tpdf", "-Z"], input=b"", capture_output=True).returncode:
            return "groff has no PDF device (Debian: groff, not only groff-base)"
    if engine == "wkhtmltopdf" and shutil.which(WKHTMLTOPDF) is None:
        return "wkhtmltopdf not found (Debian: wkhtmltopdf)"
    if engine == "fop":
        missing = [tool for tool in (PANDOC, XSLTPROC, FOP) if shutil.which(tool) is None]
        if missing or not DOCBOOK_FO.exists():
            return f"{', '.join(missing) or DOCBOOK_FO} not found (Debian: pandoc xsltproc docbook-xsl-ns fop)"
    if engine == "context" and (shutil.which(PANDOC) is None or shutil.which(CONTEXT) is None):
        return "pandoc or context not found (Debian: pandoc context)"
    if engine == "latex-plain" and (shutil.which(PANDOC) is None or shutil.which("xelatex") is None):
        return "pandoc or xelatex not found (Debian: pandoc texlive-xetex texlive-latex-recommended)"
    if engine == "notebook":
        return pdf_notebook.available()
    if engine == "texinfo" and (shutil.which(PANDOC) is None or shutil.which(TEXI2PDF) is None):
        return "pandoc or texi2pdf not found (Debian: pandoc texinfo texlive-plain-generic)"
    return None


def build(name: str, truth_dir: Path, out_dir: Path) -> Path:
    """Typeset every `<name>.md` of truth_dir one way into out_dir; returns out_dir."""
    engine, two_columns = TYPESETTINGS[name]
    out_dir.mkdir(parents=True, exist_ok=True)
    images = truth_dir / "images"
    if images.is_dir() and not (out_dir / "images").exists():
        (out_dir / "images").symlink_to(images.resolve())
    for source in sorted(truth_dir.glob("*.md")):
        markdown = source.read_text(encoding="utf-8")
        html = markdown_html(markdown)
        pdf = out_dir / f"{source.stem}.pdf"
        if engine == "latex":
            try:
                latex_pdf(one_box(markdown) if LATEX[name][4] else markdown, pdf, truth_dir, name)
            except subprocess.CalledProcessError as error:
                print(f"({name}: {source.name} did not typeset: {error.stderr.decode(errors='replace').strip().splitlines()[-1:]})")
                continue
        elif engine == "chromium":
            chromium_pdf(html, pdf, two_columns)
        elif engine == "weasyprint":
            weasyprint_pdf(html, pdf, two_columns)
        elif engine == "typst":
            typst_pdf(markdown, pdf, two_columns)
        elif engine == "groff":
            groff_pdf(markdown, pdf)
        elif engine == "wkhtmltopdf":
            wkhtmltopdf_pdf(html, pdf)
        elif engine == "fop":
            fop_docbook_pdf(markdown, pdf)
        elif engine == "context":
            context_pdf(markdown, pdf)
        elif engine == "latex-plain":
            try:
                plain_latex_pdf(markdown, pdf, truth_dir)
            except subprocess.CalledProcessError as error:
                print(f"({name}: {source.name} did not typeset: {error.stderr!r})")
                continue
        elif engine == "notebook":
            pdf_notebook.typeset_notebook(markdown, out_dir, source.stem, images)
        elif engine == "texinfo":
            texinfo_pdf(markdown, pdf)
        elif engine == "libreoffice":
            libreoffice_pdf(markdown, html, pdf, truth_dir, name.rsplit("-", 1)[1])
        else:
            story_pdf(html, pdf, images, two_columns)
        if engine in ("chromium", "story", "libreoffice", "wkhtmltopdf"):  # the others set their own page numbers and running heads
            stamp_furniture(pdf, chapter_title(markdown))
        shutil.copyfile(source, out_dir / source.name)
    return out_dir
