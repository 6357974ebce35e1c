"""`codemill extract pdf INPUT... -o OUT_DIR [--workers N] [--force] [--executor local|ray|slurm] [--recipe R]`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from codemill.common.console import console, fail
from codemill.common.lock import folder_lock
from codemill.extract.cli import EXECUTOR_OPTION, RECIPE_OPTION, task_executor
from codemill.recipe.base import RecipeError, validate_config


def pdf_command(
    inputs: list[Path] = typer.Argument(..., help="PDF files or folders (searched recursively)."),
    out_dir: Path = typer.Option(..., "--out", "-o", help="Folder for <stem>.md and <stem>.json per PDF."),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Processes reading page ranges in parallel."),
    force: bool = typer.Option(False, "--force", help="Redo PDFs that an earlier run already converted."),
    language: Optional[str] = typer.Option(None, help="Language tag for code blocks when content does not tell."),
    ocr: bool = typer.Option(False, "--ocr", help="OCR pages without a text layer (needs pytesseract + tesseract)."),
    image_placeholders: bool = typer.Option(False, "--image-placeholders", help="Keep a markdown image placeholder where each image stood."),
    executor_name: Optional[str] = EXECUTOR_OPTION,
    recipe: Optional[Path] = RECIPE_OPTION,
) -> None:
    """Convert textbook PDFs to markdown from their own text layer (headings, code, lists, footnotes)."""
    from codemill.extract.pdf.runner import extract_pdfs
    from codemill.recipe.pdf import PdfOptions

    settings = {"language": language, "ocr": ocr, "image_placeholders": image_placeholders}
    executor = task_executor(executor_name, recipe, workers)
    try:
        options = validate_config(PdfOptions, settings, source="command line")
    except RecipeError as error:
        raise fail(str(error)) from None
    with folder_lock(out_dir):
        summary = extract_pdfs(inputs, out_dir, options=options, workers=workers, force=force, executor=executor)
    for path, reason in summary.failed:
        console.print(f"[bold red]failed:[/] {path}: {reason}", markup=True, soft_wrap=True, highlight=False)
    for path, reason in summary.damaged:
        console.print(f"[bold yellow]damaged:[/] {path}: {reason}", markup=True, soft_wrap=True, highlight=False)
    if summary.page_warnings:
        counts = ", ".join(f"{name} {n}" for name, n in summary.page_warnings.most_common())
        console.print(f"pages with warnings (see <stem>.json): {counts}", markup=False, soft_wrap=True)
    if summary.scanned_pages and not ocr:
        console.print(f"{summary.scanned_pages} page(s) have images but no text layer; rerun with --ocr to read them",
                      markup=False, soft_wrap=True)
    console.print(
        f"{len(summary.written)} PDF(s) converted ({summary.pages} pages), {len(summary.skipped)} already done, "
        f"{len(summary.failed)} failed, {len(summary.damaged)} damaged -> {out_dir}",
        markup=False,
        soft_wrap=True,
    )
    if summary.failed or summary.damaged:
        raise typer.Exit(1)
