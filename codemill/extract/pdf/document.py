"""One PDF -> markdown plus a per-page report, entirely in memory."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from codemill.extract.pdf.mupdf import pymupdf

from codemill.extract.pdf.blocks import build_blocks, classify
from codemill.extract.pdf.bullets import mark_drawn_bullets
from codemill.recipe.pdf import PdfOptions
from codemill.extract.pdf.contents import mark_contents
from codemill.extract.pdf.fonts import FontMeter
from codemill.extract.pdf.furniture import mark_furniture
from codemill.extract.pdf.inline import document_words
from codemill.extract.pdf.lines import Line
from codemill.extract.pdf.ocr import ocr_available, ocr_page
from codemill.extract.pdf.page import page_lines, set_document_edges
from codemill.extract.pdf.quality import add_warning, interleaving_suspected, set_confidence, unmapped_share, unsplit_columns, warning_counts
from codemill.extract.pdf.render import render_parts
from codemill.extract.pdf.ruled import join_continued_tables, mark_ruled_tables
from codemill.extract.pdf.styles import (front_matter_styles, heading_style, measure, numbered_depths, rank_headings,
                                         trusted_heading_styles)


class PdfError(Exception):
    """A PDF that cannot be converted at all; the message says why in one line."""


@dataclass
class Conversion:
    """The markdown of one PDF and the report written beside it."""

    markdown: str
    report: dict = field(default_factory=dict)


def open_pdf(path: str | Path) -> pymupdf.Document:
    """Open a PDF or raise PdfError naming what is wrong (missing, corrupt, encrypted, empty)."""
    path = Path(path)
    if not path.is_file():
        raise PdfError(f"{path}: no such file")
    try:
        doc = pymupdf.open(path, filetype="pdf")
    except Exception as error:  # pymupdf raises several types for damaged files
        raise PdfError(f"{path}: not a readable PDF ({_first_line(error)})") from None
    if doc.needs_pass and not doc.authenticate(""):
        doc.close()
        raise PdfError(f"{path}: encrypted (password protected); decrypt it first, e.g. `qpdf --decrypt`")
    if doc.page_count == 0:
        doc.close()
        raise PdfError(f"{path}: the PDF has no pages")
    return doc


def _first_line(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def convert_pdf(path: str | Path, options: PdfOptions = PdfOptions(), pages: range | None = None) -> Conversion:
    """Convert one PDF (optionally a page range) to markdown; raises PdfError for unusable files."""
    started = time.perf_counter()
    doc = open_pdf(path)
    try:
        conversion = convert_document(doc, options, pages)
    finally:
        doc.close()
    conversion.report["source"] = str(path)
    conversion.report["timings"]["total_s"] = round(time.perf_counter() - started, 4)
    return conversion


def pdf_to_markdown(path: str | Path, options: PdfOptions = PdfOptions()) -> str:
    """The markdown of one PDF, for callers that only want the text."""
    return convert_pdf(path, options).markdown


@dataclass
class PageBatch:
    """What reading a range of pages yields; batches of one PDF are concatenated before assembly."""

    reports: list[dict] = field(default_factory=list)
    lines: list[list[Line]] = field(default_factory=list)
    heights: list[float] = field(default_factory=list)
    ocr_text: dict[int, str] = field(default_factory=dict)
    read_s: float = 0.0

    def extend(self, other: "PageBatch") -> None:
        self.reports += other.reports
        self.lines += other.lines
        self.heights += other.heights
        self.ocr_text.update(other.ocr_text)
        self.read_s += other.read_s


def read_pages(doc: pymupdf.Document, pages: range, options: PdfOptions) -> PageBatch:
    """Read the given pages' lines (in reading order) and their report entries."""
    clock = time.perf_counter()
    batch = PageBatch()
    fonts = FontMeter()
    backdrops: set[tuple[int, int, int]] = set()
    for number in pages:
        report, lines, text = _read_page(doc, number, options, fonts, backdrops)
        batch.reports.append(report)
        batch.lines.append(lines)
        batch.heights.append(doc[number].rect.height)
        if text:
            batch.ocr_text[number] = text
    batch.read_s = time.perf_counter() - clock
    return batch


def convert_document(doc: pymupdf.Document, options: PdfOptions, pages: range | None = None) -> Conversion:
    pages = pages if pages is not None else range(doc.page_count)
    title = (doc.metadata or {}).get("title") or None
    return assemble(read_pages(doc, pages, options), options, getattr(doc, "name", ""), title)


def assemble(batch: PageBatch, options: PdfOptions, source: str, title: str | None) -> Conversion:
    """Whole-document decisions (furniture, styles, headings) and rendering over all read pages."""
    clock = time.perf_counter()
    mark_furniture(batch.lines, batch.heights)
    for index, role in mark_contents(batch.lines).items():
        batch.reports[index]["role"] = role
        if role == "index" and "interleaved" in batch.reports[index]["warnings"]:
            batch.reports[index]["warnings"].remove("interleaved")  # left out of the markdown: its order does not matter
    set_document_edges(batch.lines)
    notes: dict[int, list[str]] = {}
    parts = _assemble(batch.lines, batch.ocr_text, options, notes)
    markdown = "\n\n".join(text for _, text in parts) + "\n" if parts else ""
    _finish_page_reports(batch.reports, parts, notes)
    layout_s = time.perf_counter() - clock
    timings = {"total_s": round(batch.read_s + layout_s, 4), "read_s": round(batch.read_s, 4), "layout_s": round(layout_s, 4)}
    report = {
        "source": source,
        "title": title,
        "pages": len(batch.reports),
        "page_reports": batch.reports,
        "warnings": _document_warnings(batch.reports),
        "warning_counts": warning_counts(batch.reports),
        "timings": timings,
    }
    return Conversion(markdown, report)


def _read_page(doc: pymupdf.Document, number: int, options: PdfOptions, fonts: FontMeter,
               backdrops: set[tuple[int, int, int]]) -> tuple[dict, list[Line], str]:
    """Lines of one page and its report entry; pages without text are OCR'd or reported as skipped.
    `backdrops`: the (left, right, top) of text backdrops found on the pages read before."""
    report = {"page": number + 1, "status": "text", "reason": None, "warnings": []}
    try:
        page = doc[number]
        drawings = _page_drawings(page)
        lines = page_lines(page, number, fonts, drawings)
    except Exception as error:  # a damaged page must not stop the rest of the book
        report.update(status="skipped", reason=f"unreadable page: {_first_line(error)}")
        add_warning(report, "no_text")
        return report, [], ""
    if lines:
        if interleaving_suspected(lines) or unsplit_columns(lines):
            add_warning(report, "interleaved")
        if unmapped_share(lines) > 0.02:
            add_warning(report, "unmapped_font")
        _mark_figure_regions(page, lines, drawings, backdrops)
        mark_ruled_tables(drawings, lines)
        mark_drawn_bullets(drawings, lines)
        if options.image_placeholders:
            lines = _insert_images(lines, _image_lines(page, number))
        return report, lines, ""
    has_images = bool(page.get_images(full=False))
    reason = "no text layer (scanned page)" if has_images else "blank page (no text, no images)"
    add_warning(report, "no_text")
    if not has_images:
        report.update(status="skipped", reason=reason)
        return report, [], ""
    if not options.ocr:
        report.update(status="skipped", reason=f"{reason}; enable `ocr` to read it")
        return report, [], ""
    missing = ocr_available()
    if missing:
        report.update(status="skipped", reason=f"{reason}; OCR unavailable: {missing}")
        return report, [], ""
    report.update(status="ocr", reason=reason, warnings=["ocr"])
    return report, [], ocr_page(page)


def _page_drawings(page: pymupdf.Page) -> list[dict]:
    """The page's vector drawings, read once for figures, ruled tables and drawn bullets."""
    try:
        return page.get_drawings()
    except Exception:  # damaged drawing commands must not cost the page its text
        return []


def _mark_figure_regions(page: pymupdf.Page, lines: list[Line], drawings: list[dict], backdrops: set[tuple[int, int, int]]) -> None:
    """Flag lines that sit inside a sizeable cluster of vector drawings (a diagram's labels)."""
    area = page.rect.get_area()
    drawings = [d for d in drawings if not _behind_the_page(d, area, lines, backdrops)]
    if not drawings:
        return
    try:
        regions = [r for r in page.cluster_drawings(drawings=drawings) if r.get_area() >= 0.03 * area]
    except Exception:  # damaged drawing commands must not cost the page its text
        return
    for line in lines:
        if any(r.x0 - 2 <= line.x0 and line.x1 <= r.x1 + 2 and r.y0 - 2 <= line.y0 and line.y1 <= r.y1 + 2 for r in regions):
            line.extra["in_figure"] = True


def _behind_the_page(drawing: dict, area: float, lines: list[Line], backdrops: set[tuple[int, int, int]]) -> bool:
    """One rectangle over most of the page that holds most of its text: a background tint or a frame
    round the text, which would otherwise make the whole page one figure (a figure's own backdrop holds
    only its labels). The same backdrop cut short where the text ends (wkhtmltopdf paints the body's
    background only as tall as a chapter's last page needs) is known by its edges from earlier pages."""
    items = drawing.get("items") or ()
    if not (len(items) == 1 and items[0][0] in ("re", "qu")):
        return False
    r = drawing["rect"]
    edges = (round(r.x0), round(r.x1), round(r.y0))
    if r.get_area() < 0.4 * area and edges not in backdrops:
        return False
    inside = sum(r.x0 - 2 <= line.x0 and line.x1 <= r.x1 + 2 and r.y0 - 2 <= line.y0 and line.y1 <= r.y1 + 2 for line in lines)
    if inside < 0.8 * len(lines):
        return False
    backdrops.add(edges)
    return True


def _drop_figure_labels(flow: list[Line]) -> None:
    """Text inside a diagram, set in a font the document hardly uses elsewhere, is part of the figure."""
    chars: dict[str, int] = {}
    for line in flow:
        for span in line.spans:
            chars[span.font] = chars.get(span.font, 0) + len(span.text)
    total = sum(chars.values()) or 1
    for line in flow:
        if line.extra.get("in_figure") and line.kind == "text" and line.share("mono") < 0.5:
            font = max(line.spans, key=lambda s: len(s.text)).font
            if chars[font] < 0.02 * total:
                line.kind = "figure"


def _image_lines(page: pymupdf.Page, number: int) -> list[Line]:
    """Placeholder lines for images, placed in the flow by their position on the page."""
    from codemill.extract.pdf.spans import Span

    lines = []
    for index, info in enumerate(page.get_image_info()):
        x0, y0, x1, y1 = info["bbox"]
        span = Span("", "", 0.0, False, False, False, x0, y0, x1, y1, y1)
        markdown = f"![image](page-{number + 1}-image-{index + 1})"
        lines.append(Line(spans=[span], page=number, kind="image", extra={"markdown": markdown}))
    return lines


def _insert_images(lines: list[Line], images: list[Line]) -> list[Line]:
    """Put each image placeholder before the first line that starts below the image's top."""
    for image in sorted(images, key=lambda line: line.y0):
        at = next((i for i, line in enumerate(lines) if line.kind != "image" and line.y0 >= image.y0), len(lines))
        lines.insert(at, image)
    return lines


def _finish_page_reports(reports: list[dict], parts: list[tuple[int, str]], notes: dict[int, list[str]]) -> None:
    """Each page's warnings from rendering, its confidence, and where its text sits in the markdown
    (`chars`: [start, end) ranges, so a consumer can drop the pages it does not trust)."""
    by_page = {report["page"] - 1: report for report in reports}
    offset = 0
    for page, text in parts:
        report = by_page.get(page)
        if report is not None:
            ranges = report.setdefault("chars", [])
            if ranges and ranges[-1][1] + 2 == offset:
                ranges[-1][1] = offset + len(text)
            else:
                ranges.append([offset, offset + len(text)])
        offset += len(text) + 2
    for page, warnings in notes.items():
        for warning in warnings:
            if page in by_page:
                add_warning(by_page[page], warning)
    for report in reports:
        report.setdefault("chars", [])
        set_confidence(report)


def _assemble(per_page: list[list[Line]], ocr_text: dict[int, str], options: PdfOptions, notes: dict[int, list[str]]) -> list[tuple[int, str]]:
    """Classify, group and render every text page into (page, markdown) parts; OCR'd pages are
    added in page order. Rendering notes page warnings (code that does not parse) into `notes`."""
    flow = [line for lines in per_page for line in lines]
    _drop_figure_labels(flow)
    style = measure([line for line in flow if line.kind == "text"])
    classify(flow, style)
    blocks = join_continued_tables(build_blocks(flow, style))
    trusted = trusted_heading_styles([b.first for b in blocks if b.kind == "heading"], style.body_size)
    trusted -= front_matter_styles([b.first for b in blocks if b.kind == "heading"], _title_pages(per_page))
    for block in blocks:
        if block.kind == "heading" and heading_style(block.first) not in trusted:
            block.kind = "paragraph"
    style.heading_depths = numbered_depths([b.first for b in blocks if b.kind == "heading"])
    style.heading_levels = rank_headings(trusted, style.body_family, style.heading_depths)
    vocabulary = document_words(flow)
    parts = render_parts(blocks, style, vocabulary, options.language, notes)
    return _with_ocr_pages(parts, ocr_text) if ocr_text else parts


def _title_pages(per_page: list[list[Line]]) -> set[int]:
    """Pages among the first three that hold only a few short lines (no paragraph): a cover or title page."""
    pages = set()
    for lines in per_page[:3]:
        body = [line for line in lines if line.kind not in ("furniture", "image")]
        long = [len(line.text) > 40 and line.kind == "text" for line in body]
        if body and len(body) <= 8 and not any(a and b for a, b in zip(long, long[1:])):
            pages.add(body[0].page)
    return pages


def _with_ocr_pages(parts: list[tuple[int, str]], ocr_text: dict[int, str]) -> list[tuple[int, str]]:
    """Rendered parts with each OCR'd page's text placed before the first part of a later page."""
    merged, pending = [], sorted(ocr_text.items())
    for page, text in parts:
        while pending and pending[0][0] < page:
            merged.append(pending.pop(0))
        merged.append((page, text))
    merged.extend(pending)
    return [(page, text) for page, text in merged if text]


def _document_warnings(page_reports: list[dict]) -> list[str]:
    skipped = [r["page"] for r in page_reports if r["status"] == "skipped"]
    ocr = [r["page"] for r in page_reports if r["status"] == "ocr"]
    warnings = []
    if skipped:
        warnings.append(f"{len(skipped)} page(s) skipped: {_page_list(skipped)}")
    if ocr:
        warnings.append(f"{len(ocr)} page(s) read by OCR: {_page_list(ocr)}")
    return warnings


def _page_list(pages: list[int]) -> str:
    return ", ".join(map(str, pages[:20])) + (" ..." if len(pages) > 20 else "")
