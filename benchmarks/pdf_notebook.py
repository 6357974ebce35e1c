"""Typeset a ground-truth chapter as a Jupyter notebook printed by nbconvert, for the extract pdf benchmark.

The chapter's markdown becomes a notebook: every ``` python fence a code cell (numbered in order, so
nbconvert prints its `[n]:` prompt in the margin), an untagged fence right after a code cell that cell's
stdout (printed unprompted under it), any other fence a markdown cell holding it, and the prose between
fences markdown cells. The first-level heading is left out of the cells and set as the notebook's title
metadata, so nbconvert's title block prints it and the other headings keep their levels below it.
`jupyter nbconvert --to pdf` (LaTeX via xelatex: shaded tcolorbox per cell, prompts left of the box,
a date under the title) prints it. The ground truth is the chapter's markdown unchanged: the prompts,
boxes and date are print furniture, the title is the chapter's `#` heading, outputs are its fences.
Jupyter's markdown has no footnotes: nbconvert prints a note's mark as text and leaves the note out,
so the truth's notes cost every method alike.
NBCONVERT names the tool (default `jupyter-nbconvert`); a missing tool makes `available` say so.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

NBCONVERT = os.environ.get("NBCONVERT", "jupyter-nbconvert")
_FENCE = re.compile(r"(^``` ?\w*\n.*?^```\n)", re.S | re.M)
_FENCE_PARTS = re.compile(r"``` ?(\w*)\n(.*?)```\n", re.S)


def _lines(text: str) -> list[str]:
    """A notebook's multi-line string: a list of lines, each with its newline but the last."""
    return text.splitlines(keepends=True)


def notebook(markdown: str) -> dict:
    """The nbformat 4 notebook of a chapter (plain JSON, so no Jupyter package is needed to build it)."""
    title = next((line[2:].strip() for line in markdown.splitlines() if line.startswith("# ")), "")
    if title:
        markdown = re.sub(r"^# .*\n+", "", markdown, count=1, flags=re.M)
    cells: list[dict] = []
    for part in _FENCE.split(markdown):
        fence = _FENCE_PARTS.fullmatch(part)
        if fence and fence.group(1) == "python":
            count = sum(c["cell_type"] == "code" for c in cells) + 1
            cells.append({"cell_type": "code", "execution_count": count, "metadata": {}, "outputs": [],
                          "source": _lines(fence.group(2).rstrip("\n"))})
        elif fence and cells and cells[-1]["cell_type"] == "code" and not cells[-1]["outputs"]:
            cells[-1]["outputs"].append({"output_type": "stream", "name": "stdout", "text": _lines(fence.group(2))})
        elif fence:
            cells.append({"cell_type": "markdown", "metadata": {}, "source": _lines(f"```\n{fence.group(2)}```")})
        elif part.strip():
            cells.append({"cell_type": "markdown", "metadata": {}, "source": _lines(part.strip())})
    metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                "language_info": {"name": "python"}, **({"title": title} if title else {})}
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 4}


def available() -> str | None:
    """None when nbconvert (and the xelatex it calls) can be run, else why not."""
    if shutil.which(NBCONVERT) is None:
        return f"{NBCONVERT} not found (set NBCONVERT)"
    if shutil.which("xelatex") is None:
        return "xelatex not found"
    return None


def typeset_notebook(markdown: str, out_dir: Path, name: str = "chapter", images: Path | None = None) -> Path:
    """Write `<name>.ipynb` and nbconvert's `<name>.pdf` into out_dir and return the PDF; `images`, when
    given, is linked as out_dir/images so the markdown cells' image paths resolve."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if images is not None and images.is_dir() and not (out_dir / "images").exists():
        (out_dir / "images").symlink_to(images.resolve())
    source = out_dir / f"{name}.ipynb"
    source.write_text(json.dumps(notebook(markdown), indent=1, ensure_ascii=False), encoding="utf-8")
    subprocess.run([NBCONVERT, "--to", "pdf", "--output-dir", str(out_dir), str(source)],
                   check=True, capture_output=True, timeout=300, cwd=out_dir)
    return out_dir / f"{name}.pdf"
