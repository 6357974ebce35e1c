"""Many PDFs -> `<stem>.md` + `<stem>.json` each, spread over processes by page range, resumable.

A PDF is read in page chunks (in parallel when `workers > 1`); once all of its chunks are in, the
whole-document decisions are made and both files are written atomically, then the PDF is marked
done in a manifest. A bad PDF is reported and skipped; the others go on. Given the recipe's data
section (`executor=`), each PDF is instead one datatrove task on its executor (codemill/extract/tasks.py).
"""

from __future__ import annotations

import gc
import os
import shutil
from collections import Counter
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from codemill.common.atomic import atomic_write_json, atomic_write_text
from codemill.common.digest import fingerprint
from codemill.common.manifest import JobManifest
from codemill.common.processes import process_pool
from codemill.common.progress import progress
from codemill.recipe.pdf import PdfOptions
from codemill.extract.pdf.document import PageBatch, PdfError, assemble, open_pdf, read_pages

if TYPE_CHECKING:
    from codemill.recipe.data import DataConfig

CHUNK_PAGES = 32
GC_ALLOCATIONS = 100_000  # allocations between two runs of the cyclic collector while PDFs are read
TASKS_DIR = ".extract-pdf.tasks"  # datatrove logs and per-PDF results while PDFs run as tasks


@dataclass
class ExtractSummary:
    """What one run did: files written, files skipped as already done, and failures with reasons."""

    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    pages: int = 0
    damaged: list[tuple[Path, str]] = field(default_factory=list)  # written, but the file needed repair
    page_warnings: Counter = field(default_factory=Counter)  # warning id -> pages, over the PDFs written
    scanned_pages: int = 0  # pages with images but no text layer, left unread without --ocr


def find_pdfs(inputs: list[str | os.PathLike]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """PDF files named directly or found (recursively) under folders; missing inputs are failures."""
    found: list[Path] = []
    missing: list[tuple[Path, str]] = []
    for item in map(Path, inputs):
        if item.is_dir():
            inside = sorted(p for p in item.rglob("*") if p.suffix.lower() == ".pdf" and p.is_file())
            if not inside:
                missing.append((item, "no .pdf files in this folder (searched recursively)"))
            found.extend(inside)
        elif item.is_file():
            found.append(item)
        else:
            missing.append((item, "no such file or folder"))
    unique = list(dict.fromkeys(p.resolve() for p in found))
    return unique, missing


def output_names(pdfs: list[Path]) -> dict[Path, str]:
    """`<stem>` for each PDF; stems shared by several PDFs get `-2`, `-3`, ... in input order."""
    names: dict[Path, str] = {}
    used: set[str] = set()
    for pdf in pdfs:
        name, n = pdf.stem, 1
        while name.lower() in used:
            n += 1
            name = f"{pdf.stem}-{n}"
        used.add(name.lower())
        names[pdf] = name
    return names


def _fingerprint(options: PdfOptions) -> str:
    return fingerprint(options, 16)


def _source_stamp(pdf: Path) -> dict:
    stat = pdf.stat()
    return {"size": stat.st_size, "mtime": int(stat.st_mtime)}


@contextmanager
def rare_collections():
    """Reading PDFs allocates millions of short-lived objects but almost no reference cycles (a few
    hundred over the 436 shared pages), yet at Python's default threshold (700) the cyclic collector ran
    ~550 times there, four of them full passes over every page read so far: ~0.4 CPU s of nothing
    collected. It runs every `GC_ALLOCATIONS` allocations instead, while this block lasts."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], GC_ALLOCATIONS), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


@rare_collections()
def _read_chunk(pdf: str, start: int, stop: int, options: PdfOptions) -> PageBatch:
    """Worker task: read one page range of one PDF."""
    doc = open_pdf(pdf)
    try:
        return read_pages(doc, range(start, stop), options)
    finally:
        doc.close()


class _Job:
    """One PDF in flight: its chunks as they come back, then assembly and writing."""

    def __init__(self, pdf: Path, name: str, page_count: int, title: str | None):
        self.pdf, self.name, self.page_count, self.title = pdf, name, page_count, title
        self.chunks: dict[int, PageBatch | None] = {}
        self.error: str | None = None
        self.repaired = False  # the PDF reader had to repair the file (truncated or damaged)
        self.ranges = [(s, min(s + CHUNK_PAGES, page_count)) for s in range(0, page_count, CHUNK_PAGES)]

    def complete(self) -> bool:
        return len(self.chunks) == len(self.ranges)

    def batch(self) -> PageBatch:
        whole = PageBatch()
        for start, _ in self.ranges:
            whole.extend(self.chunks[start])
        return whole


def extract_pdfs(
    inputs: list[str | os.PathLike] | str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    options: PdfOptions = PdfOptions(),
    workers: int = 1,
    force: bool = False,
    show_progress: bool = True,
    executor: DataConfig | None = None,
) -> ExtractSummary:
    """Convert every PDF under `inputs` into `out_dir`; skip PDFs already done unless `force`.

    With `executor` (the recipe's data section: `executor`, `workers`, `ray`, `slurm`) each PDF left to do
    is one datatrove task on that executor, `executor.workers` at once, instead of `workers` processes."""
    inputs = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = ExtractSummary()
    pdfs, summary.failed = find_pdfs(inputs)
    manifest = JobManifest(out_dir, "extract-pdf", fingerprint=_fingerprint(options))
    if force:
        manifest.reset()
        shutil.rmtree(out_dir / TASKS_DIR, ignore_errors=True)
    names = output_names(pdfs)
    if executor is not None:
        _run_as_tasks(pdfs, names, options, out_dir, manifest, summary, executor)
        return summary
    jobs = []
    for pdf in pdfs:
        job = _plan(pdf, names[pdf], out_dir, manifest, summary)
        if job is not None:
            jobs.append(job)
    total = sum(job.page_count for job in jobs)
    with progress("extract pdf (pages)", total=total, enabled=show_progress) as bar, rare_collections():
        if workers > 1 and jobs:
            _run_parallel(jobs, options, workers, out_dir, manifest, summary, bar)
        else:
            for job in jobs:
                _read_all(job, options, bar)
                _finish(job, options, out_dir, manifest, summary)
    return summary


def _is_done(pdf: Path, name: str, out_dir: Path, manifest: JobManifest) -> bool:
    """Marked done for this very file, with both outputs still there (raises OSError when the PDF is gone)."""
    done = manifest.done.get(str(pdf))
    outputs_exist = (out_dir / f"{name}.md").exists() and (out_dir / f"{name}.json").exists()
    return done is not None and done.get("source") == _source_stamp(pdf) and outputs_exist


def _plan(pdf: Path, name: str, out_dir: Path, manifest: JobManifest, summary: ExtractSummary) -> _Job | None:
    """Open the PDF to count its pages; None when it is already done or cannot be read."""
    try:
        if _is_done(pdf, name, out_dir, manifest):
            summary.skipped.append(pdf)
            return None
        return _open_job(pdf, name)
    except (PdfError, OSError) as error:
        summary.failed.append((pdf, _reason(pdf, error)))
        return None


def _open_job(pdf: Path, name: str) -> _Job:
    """Open the PDF for its page count, title and whether the reader had to repair it."""
    doc = open_pdf(pdf)
    try:
        job = _Job(pdf, name, doc.page_count, (doc.metadata or {}).get("title") or None)
        job.repaired = bool(getattr(doc, "is_repaired", False))
        return job
    finally:
        doc.close()


def _read_all(job: _Job, options: PdfOptions, bar) -> None:
    """Read every chunk of one PDF in this process, opening the file once (not once per chunk, which
    also loaded its fonts again); each chunk still starts its own font verdicts, as in a worker."""
    doc = None

    def read(start: int, stop: int) -> PageBatch:
        nonlocal doc
        if doc is None:
            doc = open_pdf(job.pdf)
        return read_pages(doc, range(start, stop), options)

    try:
        for start, stop in job.ranges:
            _collect(job, start, lambda: read(start, stop), bar)
    finally:
        if doc is not None:
            doc.close()


def _reason(pdf: Path, error: Exception) -> str:
    """The error's message without the file name in front (the summary prints the path itself)."""
    text = str(error)
    prefix = f"{pdf}: "
    return text[len(prefix) :] if text.startswith(prefix) else text


def _collect(job: _Job, start: int, read, bar) -> None:
    """Store one chunk's pages; a chunk that fails marks its PDF failed (the others go on)."""
    try:
        job.chunks[start] = read()
    except Exception as error:
        job.chunks[start] = None
        job.error = job.error or _reason(job.pdf, error)
    bar.advance(next(stop - s for s, stop in job.ranges if s == start))


def _finish(job: _Job, options: PdfOptions, out_dir: Path, manifest: JobManifest, summary: ExtractSummary) -> None:
    """Assemble and write one PDF's outputs atomically, then mark it done."""
    _record(job.pdf, _write(job, options, out_dir), out_dir, manifest, summary)


def _write(job: _Job, options: PdfOptions, out_dir: Path) -> dict:
    """Assemble one PDF and write its outputs atomically; return what the summary needs (JSON-ready)."""
    error = job.error
    if error is None:
        try:
            conversion = assemble(job.batch(), options, str(job.pdf), job.title)
            error = _no_text(conversion.report, job.repaired)
            if error is None:
                conversion.report["repaired"] = job.repaired
                atomic_write_text(out_dir / f"{job.name}.md", conversion.markdown)
                atomic_write_json(out_dir / f"{job.name}.json", conversion.report)
        except Exception as failure:  # never let one book stop the others
            error = f"conversion failed: {type(failure).__name__}: {failure}"
    if error is not None:
        return {"error": error}
    reports = conversion.report["page_reports"]
    return {"error": None, "name": job.name, "source": _source_stamp(job.pdf), "pages": job.page_count,
            "warning_counts": dict(conversion.report["warning_counts"]), "repaired": job.repaired,
            "read_pages": sum(1 for r in reports if r["status"] != "skipped"), "reported_pages": len(reports),
            "scanned_pages": sum(1 for r in reports if r["status"] == "skipped" and "no text layer" in (r["reason"] or ""))}


def _record(pdf: Path, result: dict, out_dir: Path, manifest: JobManifest, summary: ExtractSummary) -> None:
    """Mark one written PDF done and count it, or list it as failed."""
    if result["error"] is not None:
        summary.failed.append((pdf, result["error"]))
        return
    manifest.mark_done(str(pdf), {"source": result["source"], "name": result["name"]})
    summary.written.append(out_dir / f"{result['name']}.md")
    summary.pages += result["pages"]
    summary.page_warnings.update(result["warning_counts"])
    summary.scanned_pages += result["scanned_pages"]
    if result["repaired"]:
        summary.damaged.append((pdf, f"damaged file, repaired by the PDF reader: {result['read_pages']} of {result['reported_pages']} "
                                     "pages gave text; check it or get a clean copy"))


def _no_text(report: dict, repaired: bool) -> str | None:
    """Why a converted PDF is a failure: no page gave text (scanned without --ocr, blank, or damaged)."""
    reports = report["page_reports"]
    if any(r["status"] != "skipped" for r in reports):
        return None
    scanned = sum(1 for r in reports if "no text layer" in (r["reason"] or ""))
    if scanned:
        return f"no text on any page ({scanned} of {len(reports)} pages are images without a text layer: a scan? rerun with --ocr)"
    if repaired:
        return f"no text on any page: the file is damaged (truncated?) and the PDF reader's repair recovered no text from its {len(reports)} pages"
    return f"no text on any page ({len(reports)} blank pages)"


def _run_parallel(jobs, options, workers, out_dir, manifest, summary, bar) -> None:
    """Submit every chunk of every PDF; finish each PDF as soon as its last chunk is back."""
    with process_pool(workers) as pool:
        pending: dict[Future, tuple[_Job, int]] = {}
        for job in jobs:
            for start, stop in job.ranges:
                pending[pool.submit(_read_chunk, str(job.pdf), start, stop, options)] = (job, start)
        for future, (job, start) in pending.items():
            _collect(job, start, future.result, bar)
            if job.complete():
                _finish(job, options, out_dir, manifest, summary)


@rare_collections()
def _convert_task(pdf: str, name: str, options: PdfOptions, out_dir: str) -> dict:
    """Task body: read, assemble and write one PDF in this process, as `workers=1` does; raises UnitFailed."""
    from codemill.extract.tasks import UnitFailed

    try:
        job = _open_job(Path(pdf), name)
    except (PdfError, OSError) as error:
        raise UnitFailed(_reason(Path(pdf), error)) from None
    with progress("", enabled=False) as bar:
        _read_all(job, options, bar)
    result = _write(job, options, Path(out_dir))
    if result["error"] is not None:
        raise UnitFailed(result["error"])
    return result


def _run_as_tasks(pdfs: list[Path], names: dict[Path, str], options: PdfOptions, out_dir: Path,
                  manifest: JobManifest, summary: ExtractSummary, data: DataConfig) -> None:
    """Each PDF not yet done is one datatrove task; a result an earlier, killed run saved is recorded, not redone.
    (datatrove is imported here: the command's own processes never need it.)"""
    from codemill.extract.tasks import clear_units, run_units, saved_results

    work_dir = out_dir.resolve() / TASKS_DIR
    saved = saved_results(work_dir, manifest.fingerprint)
    pending, todo = [], {}
    for pdf in pdfs:
        try:
            if _is_done(pdf, names[pdf], out_dir, manifest):
                summary.skipped.append(pdf)
                continue
            stamp = _source_stamp(pdf)
        except OSError as error:
            summary.failed.append((pdf, _reason(pdf, error)))
            continue
        pending.append(pdf)
        if saved.get(str(pdf), {}).get("source") != stamp:  # none saved, or saved for an older copy of the file
            saved.pop(str(pdf), None)
            todo[str(pdf)] = (str(pdf), names[pdf], options, str(out_dir.resolve()))
    outcome = run_units(data, _convert_task, todo, work_dir, manifest.fingerprint, "extract pdf")
    results = {**saved, **outcome.results}
    for pdf in pending:
        _record(pdf, results.get(str(pdf)) or {"error": outcome.failed[str(pdf)]}, out_dir, manifest, summary)
    clear_units(work_dir, outcome)
