"""PDF -> markdown: codemill against pymupdf4llm (layout mode and legacy mode) and plain get_text(),
on a matrix of typesettings of the same ground truth, and on real books typeset by their authors.

The matrix: the py4e chapters as the shared data has them (xelatex, one column), and the same
ground-truth markdown typeset at run time by benchmarks/pdf_typesettings.py: headless Chromium, pymupdf's
Story and WeasyPrint (one and two columns each), LibreOffice Writer (PDF export of pandoc's DOCX and of the
HTML) and pandoc -> xelatex (article, book, twocolumn with marked code breaks; listings with shaded boxes,
plain verbatim, pandoc's shaded highlighting; Latin Modern, Palatino (P052), DejaVu; some with each code
block and its output set in one box), and two toolchains never tuned on: Typst (pandoc -> typst, one and
two columns; PANDOC3 and TYPST name the tools) and groff (pandoc -> ms -> `groff -ms -Tpdf`). A
typesetting whose tool is missing (and that no earlier `--cache` run built) is skipped with a note. One
table is printed per typesetting.

`--wild` scores the real books in ../shared/data/pdfs/wild/ (Sphinx -> pdfTeX, Asciidoctor PDF, and the
printed py4e interior, whose ground truth is the code of the py4e chapters): code found whole (text,
then exact indentation) and heading recall, every method on the same books. `--cli-speed` times
`codemill extract pdf` as a process over whole folders, start-up included; `--cli-against ROOT` times
another version's `codemill` package (unpacked under ROOT) in the same run, turn about with this one,
and says whether both wrote the same outputs; `--typesettings ''` leaves the matrix out.

Every method converts the same ground-truth PDFs in its own subprocess (pymupdf4llm's layout mode
changes pymupdf's global state), timed over `--repeats` runs; the medians are reported. The markdown
of the last run is scored here against the ground truth:

  similarity     whole-document normalised Levenshtein similarity (1.0 = identical)
  head P/R       heading precision / recall on text only; `lvl` also requires the same level
  code exact     share of ground-truth code blocks found verbatim (ignoring leading spaces) in an output code block
  code indent    the same, with indentation exact
  nested indent  `code indent` over the ground-truth blocks that contain indented lines
  furniture/pg   running-head and page-number lines that survived, per page

Figures: every typesetting prints a figure's caption under it, and the ground truth writes a figure
as `![caption](path)`; before scoring, `![caption](path)` becomes `caption` in the ground truth and
in every method's output alike, so no method gains or loses by how it marks images.

Run: .venv/bin/python benchmarks/extract_pdf.py [--data ../shared/data/pdfs/py4e] [--repeats 3] [--wild] [--cli-speed [--cli-against ROOT]] [--cache DIR] [--keep DIR]
     [--typesettings all | xelatex,chromium-1col,...,latex-2col-verbatim]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "pdfs" / "py4e"
WILD_DIR = ROOT.parent / "shared" / "data" / "pdfs" / "wild"
WILD = WILD_DIR / "py4e-2024-02-22-interior.pdf"
METHODS = ["codemill", "pymupdf4llm-layout", "pymupdf4llm-legacy", "get_text"]


def convert_with(method: str, pdfs: list[Path], out_dir: Path) -> tuple[float, int]:
    """Convert every PDF with one method (inside this process); return (seconds, pages)."""
    import pymupdf

    if method.startswith("pymupdf4llm"):
        import pymupdf4llm

        pymupdf4llm.use_layout(method == "pymupdf4llm-layout")
    if method == "codemill":
        from codemill.extract.pdf.document import pdf_to_markdown
    pages = sum(pymupdf.open(p).page_count for p in pdfs)
    started = time.perf_counter()
    for pdf in pdfs:
        if method == "codemill":
            text = pdf_to_markdown(pdf)
        elif method.startswith("pymupdf4llm"):
            text = pymupdf4llm.to_markdown(str(pdf), show_progress=False)
        else:
            with pymupdf.open(pdf) as doc:
                text = "\n".join(page.get_text() for page in doc)
        (out_dir / f"{pdf.stem}.md").write_text(text, encoding="utf-8")
    return time.perf_counter() - started, pages


def run_method(method: str, pdfs: list[Path], repeats: int, out_dir: Path) -> dict:
    """Time one method over `repeats` fresh subprocesses; its outputs land in out_dir."""
    seconds = []
    for _ in range(repeats):
        command = [sys.executable, __file__, "--worker", method, "--out", str(out_dir), *map(str, pdfs)]
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        if result.returncode != 0:
            raise SystemExit(f"{method} failed:\n{result.stderr[-2000:]}")
        timing = json.loads(result.stdout.strip().splitlines()[-1])
        seconds.append(timing["seconds"])
    pages = timing["pages"]
    median = statistics.median(seconds)
    return {"seconds": median, "pages": pages, "pages_per_s": pages / median}


# ---------------------------------------------------------------- scoring


def _clean(text: str) -> str:
    text = re.sub(r"\\(?=[!-/:-@\[-`{-~])", "", text)  # markdown escapes, `\_` included
    text = re.sub(r"[*_`]", "", text)
    return " ".join(text.lower().split())


def headings(markdown: str) -> list[tuple[int, str]]:
    found = []
    in_code = False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        match = None if in_code else re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if match and _clean(match.group(2)):
            found.append((len(match.group(1)), _clean(match.group(2))))
    return found


def code_blocks(markdown: str) -> list[list[str]]:
    """Fenced and indented code blocks, as a CommonMark parser sees them (so list content is not code)."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(markdown)
    blocks = [t.content.split("\n") for t in tokens if t.type in ("fence", "code_block")]
    return [_trim_block(b) for b in blocks if any(t.strip() for t in b)]


def _trim_block(block: list[str]) -> list[str]:
    lines = [t.rstrip() for t in block]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    indent = min(len(t) - len(t.lstrip()) for t in lines if t)
    return [t[indent:] for t in lines]


def _contains(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def code_scores(truth: list[list[str]], found: list[list[str]]) -> tuple[int, int, int, int]:
    """(verbatim-ignoring-indent hits, exact-indent hits, nested blocks, nested exact hits)."""
    flat_found = [[t.strip() for t in b if t.strip()] for b in found]
    exact = text = nested = nested_exact = 0
    for block in truth:
        is_nested = any(t.startswith(" ") for t in block)
        ok_text = any(_contains(f, [t.strip() for t in block if t.strip()]) for f in flat_found)
        ok_exact = any(_contains(f, block) for f in found)
        text += ok_text
        exact += ok_exact
        nested += is_nested
        nested_exact += is_nested and ok_exact
    return text, exact, nested, nested_exact


def furniture_lines(markdown: str, truth: str) -> int:
    """Running-head text and bare page numbers in the output beyond what the ground truth has."""
    title = next((h for level, h in headings(truth) if level == 1), None)
    heads = ["python for everybody"] + ([title] if title else [])
    out_plain, truth_plain = _clean(markdown), _clean(truth)
    surplus = sum(max(0, out_plain.count(h) - truth_plain.count(h)) for h in heads)
    numbers = lambda md: Counter(t.strip() for t in _outside_code(md) if re.fullmatch(r"\s*\d{1,3}\s*", t))
    out_numbers, truth_numbers = numbers(markdown), numbers(truth)
    return surplus + sum(max(0, n - truth_numbers[k]) for k, n in out_numbers.items())


def _outside_code(markdown: str) -> list[str]:
    kept, in_code = [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        elif not in_code and not line.startswith("    "):
            kept.append(line)
    return kept


_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")


def without_image_links(markdown: str) -> str:
    """`![caption](path)` -> `caption`: the caption is what every typesetting prints."""
    return _IMAGE.sub(lambda m: m.group(1), markdown)


def score(out_dir: Path, truth_dir: Path, pdfs: list[Path], pages: int) -> dict:
    from rapidfuzz.distance import Levenshtein

    sims, furniture = [], 0
    h_tp = h_fp = h_fn = hl_tp = hl_fp = hl_fn = 0
    code_text = code_exact = nested = nested_exact = code_total = 0
    for pdf in pdfs:
        truth = without_image_links((truth_dir / f"{pdf.stem}.md").read_text(encoding="utf-8"))
        output = without_image_links((out_dir / f"{pdf.stem}.md").read_text(encoding="utf-8"))
        sims.append(Levenshtein.normalized_similarity(" ".join(output.split()), " ".join(truth.split())))
        th, oh = headings(truth), headings(output)
        t_text, o_text = Counter(h for _, h in th), Counter(h for _, h in oh)
        t_lvl, o_lvl = Counter(th), Counter(oh)
        h_tp += sum((t_text & o_text).values())
        h_fp += sum((o_text - t_text).values())
        h_fn += sum((t_text - o_text).values())
        hl_tp += sum((t_lvl & o_lvl).values())
        hl_fp += sum((o_lvl - t_lvl).values())
        hl_fn += sum((t_lvl - o_lvl).values())
        truth_code = code_blocks(truth)
        text_hits, exact_hits, n_nested, n_nested_exact = code_scores(truth_code, code_blocks(output))
        code_text += text_hits
        code_exact += exact_hits
        nested += n_nested
        nested_exact += n_nested_exact
        code_total += len(truth_code)
        furniture += furniture_lines(output, truth)
    ratio = lambda a, b: a / b if b else 0.0
    return {
        "similarity": statistics.mean(sims),
        "head_p": ratio(h_tp, h_tp + h_fp),
        "head_r": ratio(h_tp, h_tp + h_fn),
        "head_lvl_p": ratio(hl_tp, hl_tp + hl_fp),
        "head_lvl_r": ratio(hl_tp, hl_tp + hl_fn),
        "code_exact": ratio(code_text, code_total),
        "code_indent": ratio(code_exact, code_total),
        "nested_indent": ratio(nested_exact, nested),
        "furniture_per_page": furniture / pages,
    }


# ---------------------------------------------------------------- report

COLUMNS = [
    ("similarity", "similarity"),
    ("head_p", "head P"),
    ("head_r", "head R"),
    ("head_lvl_p", "head P lvl"),
    ("head_lvl_r", "head R lvl"),
    ("code_exact", "code exact"),
    ("code_indent", "code indent"),
    ("nested_indent", "nested indent"),
    ("furniture_per_page", "furniture/pg"),
    ("pages_per_s", "pages/s"),
]


def print_table(results: dict[str, dict]) -> None:
    header = "| method | " + " | ".join(name for _, name in COLUMNS) + " | codemill speed-up |"
    print(header)
    print("|" + "---|" * (len(COLUMNS) + 2))
    ours = results["codemill"]["pages_per_s"]
    for method, row in results.items():
        cells = [f"{row[key]:.3f}" if key != "pages_per_s" else f"{row[key]:.1f}" for key, _ in COLUMNS]
        speedup = "1.0x" if method == "codemill" else f"{ours / row['pages_per_s']:.1f}x"
        print(f"| {method} | " + " | ".join(cells) + f" | {speedup} |")


def wild_books(data: Path) -> list[tuple[Path, list[list[str]], list[tuple[int, str]]]]:
    """(pdf, ground-truth listings, ground-truth headings) for each real book under `wild/` that has
    them: `<name>/<name>.listings.jsonl` + `.headings.txt` from the book's sources, and the py4e
    interior, whose ground truth is the code of the py4e chapters in `data` (it prints those chapters)."""
    books = []
    for folder in sorted(p for p in WILD_DIR.glob("*") if p.is_dir()):
        pdf, listings = folder / f"{folder.name}.pdf", folder / f"{folder.name}.listings.jsonl"
        if not (pdf.exists() and listings.exists()):
            continue
        truth = [_trim_block(json.loads(row)["code"].split("\n")) for row in listings.read_text(encoding="utf-8").splitlines() if row.strip()]
        heads = folder / f"{folder.name}.headings.txt"
        books.append((pdf, [b for b in truth if b], headings(heads.read_text(encoding="utf-8")) if heads.exists() else []))
    if WILD.exists() and data.is_dir():
        truth = [b for md in sorted(data.glob("*.md")) for b in code_blocks(md.read_text(encoding="utf-8"))]
        books.append((WILD, truth, []))
    return books


_COUNTER = re.compile(r"^(?:(?:chapter|appendix|part)\s+[\divxlc\w]{1,4}[.:]?\s+|(?:\d+(?:\.\d+)*\.?|[a-z](?:\.\d+)+\.?|[a-z]\.)\s+)", re.I)


def plain_heading(text: str) -> str:
    """A heading without the typesetter's counter ('chapter 1.', '2.1.'), its source attributes
    ('{discrete}'), typographic quotes and LaTeX's spaced ellipsis: the source headings have none of these."""
    text = re.sub(r"\s*\{[^}]*\}$", "", text.replace(". . .", "...").replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"'))
    return _COUNTER.sub("", text, count=1).strip()


_CALLOUT = re.compile(r"\s*(?:#|//|--|;)?\s*<\d+>\s*$|\s*[\u2460-\u2473\u2776-\u277f]\s*$")


def without_callouts(block: list[str]) -> list[str]:
    """Listing lines without their callout marks (`# <1>` in the source, a circled 1 in print)."""
    return [_CALLOUT.sub("", line) for line in block]


def wild_scores(args: argparse.Namespace) -> None:
    """Code found whole (text, then exact indentation) and heading recall on real books, every
    method on the same books in the same run; speed on each book as pages/s."""
    books = wild_books(args.data)
    if not books:
        print(f"(skipping the wild books: none found under {WILD_DIR})")
        return
    print("\n### wild books (their authors' own toolchains)\n")
    print("| book | pages | method | code found | code indent | nested indent | head R | head R lvl | pages/s |")
    print("|---|---|---|---|---|---|---|---|---|")
    methods = ["codemill"] + [m for m in args.methods.split(",") if m in METHODS and m != "codemill"]
    with tempfile.TemporaryDirectory() as tmp:
        for pdf, truth, truth_heads in books:
            for method in methods:
                out_dir = Path(tmp) / pdf.stem / method
                out_dir.mkdir(parents=True)
                repeats = args.slow_repeats if method.startswith("pymupdf4llm") else args.repeats
                timing = run_method(method, [pdf], repeats, out_dir)
                output = (out_dir / f"{pdf.stem}.md").read_text(encoding="utf-8")
                found_code = [without_callouts(b) for b in code_blocks(output)]
                text_hits, exact_hits, nested, nested_exact = code_scores([without_callouts(b) for b in truth], found_code)
                heads = "| - | -"
                if truth_heads:
                    found = Counter((level, plain_heading(h)) for level, h in headings(output))
                    truth_heads = [(level, plain_heading(h)) for level, h in truth_heads]
                    recall = sum((Counter(h for _, h in truth_heads) & Counter(h for _, h in found.elements())).values())
                    recall_lvl = sum((Counter(truth_heads) & found).values())
                    heads = f"| {recall / len(truth_heads):.3f} | {recall_lvl / len(truth_heads):.3f}"
                ratio = lambda a, b: f"{a / b:.3f}" if b else "-"
                print(f"| {pdf.stem} | {timing['pages']} | {method} | {ratio(text_hits, len(truth))} | {ratio(exact_hits, len(truth))} "
                      f"| {ratio(nested_exact, nested)} {heads} | {timing['pages_per_s']:.1f} |", flush=True)


def cli_speed(folders: list[Path], repeats: int, against: Path | None = None) -> None:
    """`codemill extract pdf FOLDER... -o OUT` as a process, start-up included: pages per second of
    wall time and per CPU second (user + system of the process and its children, which is what one
    core delivers even on a busy machine). `against`: a folder holding another version's `codemill`
    package (e.g. `git archive <commit> codemill`), timed in the same run, turn about with this one,
    and its outputs compared with this tree's (markdown byte for byte, report json but its timings)."""
    import compileall
    import os
    import resource

    import pymupdf

    pdfs = [p for folder in folders for p in sorted(folder.rglob("*.pdf"))]
    if not pdfs:
        print("(skipping the CLI speed run: no PDFs)")
        return
    pages = sum(pymupdf.open(p).page_count for p in pdfs)
    codemill = Path(sys.executable).with_name("codemill")
    versions = {"this tree": None, **({str(against): against} if against else {})}
    for root in (ROOT, against):  # as installed: compiled once (PYTHONDONTWRITEBYTECODE would recompile every start)
        if root is not None:
            compileall.compile_dir(root / "codemill", quiet=1)
    walls: dict[str, list[float]] = {name: [] for name in versions}
    cpus: dict[str, list[float]] = {name: [] for name in versions}
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as keep:
        outputs = {name: Path(keep) / str(i) for i, name in enumerate(versions)}
        for repeat in range(repeats):
            order = list(versions.items()) if repeat % 2 == 0 else list(reversed(versions.items()))
            for name, root in order:
                env = dict(os.environ, PYTHONPATH=str(root.resolve())) if root else None
                out = outputs[name]
                subprocess.run(["rm", "-rf", str(out)], check=True)
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                result = subprocess.run([str(codemill), "extract", "pdf", *map(str, folders), "-o", str(out), "--workers", "1"],
                                        capture_output=True, text=True, env=env)
                walls[name].append(time.perf_counter() - started)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpus[name].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
                if result.returncode not in (0, 1):
                    raise SystemExit(f"codemill extract pdf ({name}) failed:\n{result.stderr[-2000:]}")
        print(f"\nCLI, one process, {len(pdfs)} PDFs / {pages} pages, start-up included, median of {repeats} "
              f"(1-minute load average before: {load:.2f}, after: {os.getloadavg()[0]:.2f}):")
        for name in versions:
            wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
            print(f"  {name}: {pages / wall:.1f} pages/s wall, {pages / cpu:.1f} pages per CPU second ({cpu:.2f} CPU s)")
        if against:
            ours, theirs = outputs.values()
            differ = different_outputs(ours, theirs)
            print(f"  outputs: {'identical (timings aside)' if not differ else 'DIFFERENT: ' + ', '.join(differ)}")


def different_outputs(ours: Path, theirs: Path) -> list[str]:
    """Names of the `<stem>.md` / `<stem>.json` files that differ between two output folders (or exist
    in one only); the report json is compared without its timings."""
    names = sorted({p.name for folder in (ours, theirs) for p in folder.glob("*")
                    if p.suffix in (".md", ".json") and not p.name.startswith(".")})
    differ = []
    for name in names:
        a, b = ours / name, theirs / name
        if not (a.exists() and b.exists()):
            differ.append(name)
        elif name.endswith(".json"):
            reports = [json.loads(p.read_text(encoding="utf-8")) for p in (a, b)]
            for report in reports:
                report.pop("timings", None)
            differ += [name] if reports[0] != reports[1] else []
        elif a.read_bytes() != b.read_bytes():
            differ.append(name)
    return differ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pdfs", nargs="*", type=Path)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of <name>.pdf + <name>.md pairs")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per method (median reported)")
    parser.add_argument("--slow-repeats", type=int, default=1, help="timed runs for pymupdf4llm's two modes")
    parser.add_argument("--wild", action="store_true", help="also score every method on the real books in wild/")
    parser.add_argument("--typesettings", default="all",
                        help="comma-separated typesettings to score (all by default)")
    parser.add_argument("--cli-speed", nargs="*", type=Path, metavar="FOLDER",
                        help="time `codemill extract pdf` as a process over these folders (default: the py4e data and wild/)")
    parser.add_argument("--cli-against", type=Path, metavar="ROOT",
                        help="with --cli-speed: also time the codemill package under ROOT (another version), turn about")
    parser.add_argument("--cache", type=Path, help="keep the typeset PDFs here and reuse them on the next run")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated methods (codemill always runs)")
    parser.add_argument("--keep", type=Path, help="keep every method's markdown of the matrix here (<cell>-out/<method>/)")
    parser.add_argument("--worker", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        seconds, pages = convert_with(args.worker, args.pdfs, args.out)
        print(json.dumps({"seconds": seconds, "pages": pages}))
        return
    if not args.data.is_dir():
        raise SystemExit(f"{args.data}: ground-truth folder not found (see ../shared/data/README.md)")
    with tempfile.TemporaryDirectory() as tmp:
        import pdf_typesettings

        built = args.cache or Path(tmp)
        names = ["xelatex", *pdf_typesettings.TYPESETTINGS] if args.typesettings == "all" else args.typesettings.split(",")
        for name in [n for n in names if n]:
            folder = typeset(name, args.data, built / name)
            if folder is not None:
                benchmark_typesetting(name, folder, args, (args.keep or Path(tmp)) / f"{name}-out")
    if args.wild:
        wild_scores(args)
    if args.cli_speed is not None:
        cli_speed(args.cli_speed or [args.data, WILD_DIR], args.repeats, args.cli_against)


def typeset(name: str, data: Path, folder: Path) -> Path | None:
    """The folder of PDF + ground-truth pairs for one typesetting, built now unless it is xelatex's."""
    import pdf_typesettings

    if name == "xelatex":
        return data
    if name not in pdf_typesettings.TYPESETTINGS:
        raise SystemExit(f"unknown typesetting {name!r}; choose from xelatex, {', '.join(pdf_typesettings.TYPESETTINGS)}")
    if folder.is_dir() and any(folder.glob("*.pdf")):
        return folder  # built by an earlier run with --cache (the tool need not be here now)
    missing = pdf_typesettings.available(name)
    if missing:
        print(f"\n(skipping {name}: {missing})")
        return None
    return pdf_typesettings.build(name, data, folder)


def benchmark_typesetting(name: str, folder: Path, args: argparse.Namespace, out_root: Path) -> None:
    pdfs = sorted(p for p in folder.glob("*.pdf") if (p.with_suffix(".md")).exists())
    results = {}
    for method in ["codemill"] + [m for m in args.methods.split(",") if m in METHODS and m != "codemill"]:
        out_dir = out_root / method
        out_dir.mkdir(parents=True, exist_ok=True)
        repeats = args.slow_repeats if method.startswith("pymupdf4llm") else args.repeats
        timing = run_method(method, pdfs, repeats, out_dir)
        results[method] = {**score(out_dir, folder, pdfs, timing["pages"]), **timing}
    print(f"\n### {name}: {len(pdfs)} documents, {results['codemill']['pages']} pages\n")
    print_table(results)


if __name__ == "__main__":
    main()
