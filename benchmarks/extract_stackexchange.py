"""StackExchange dump -> threads: codemill against BeautifulSoup + markdownify per post, same run.

1. converter: every post of the sample converted in this process by codemill's converter and by
   markdownify (BeautifulSoup + html.parser); median posts per CPU-second over --repeats. Fidelity of both, by
   rendering each output back to HTML with markdown-it (CommonMark + tables + strikethrough):
     code exact  share of posts whose every <pre> comes back byte-for-byte as a code block
     text exact  share of posts whose visible text comes back unchanged (ignoring whitespace, which
                 block boundaries change)
     links exact share of posts whose (text, url) links come back unchanged
2. end to end on the sample, each pipeline in a subprocess: posts/s (wall clock), posts per CPU-second
   (user + system time of the process and its workers: the per-core rate, robust to a busy machine)
   and peak RSS (whole process tree, polled every 50 ms).
   The baseline reads Posts.xml with ElementTree, joins answers in a dict and converts with markdownify.
3. scale: a synthetic Posts.xml of each --scale-mb size, made by repeating the sample with fresh ids,
   extracted by codemill (1 worker and --workers); the baseline runs on the smallest size only.
4. optionally (--scale-7z-mb), the same from a .7z archive streamed without unpacking.

Run: .venv/bin/python benchmarks/extract_stackexchange.py [--repeats 3] [--scale-mb 100,1000] [--workers 2]
     [--scale-7z-mb 200]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "data" / "stackexchange" / "cardano.stackexchange.com"
SITE_URL = "https://cardano.stackexchange.com"


def sample_bodies(posts: Path) -> list[str]:
    from lxml import etree

    bodies = []
    for _, row in etree.iterparse(str(posts), tag="row"):
        bodies.append(row.get("Body") or "")
        row.clear()
    return bodies


def converters():
    from markdownify import MarkdownConverter

    from codemill.extract.stackexchange.html_markdown import html_to_markdown

    baseline = MarkdownConverter(heading_style="ATX", code_language="")
    return {"codemill": lambda body: html_to_markdown(body, None, SITE_URL), "bs4+markdownify": baseline.convert}


def time_converter(convert, bodies: list[str], repeats: int) -> float:
    """Posts per CPU-second of this process (robust to other jobs on the machine), median of `repeats`."""
    runs = []
    for _ in range(repeats):
        started = time.process_time()
        for body in bodies:
            convert(body)
        runs.append(time.process_time() - started)
    return len(bodies) / statistics.median(runs)


def _expected(body: str):
    import lxml.html
    from bs4 import BeautifulSoup

    codes = []
    for pre in BeautifulSoup(body, "html.parser").find_all("pre"):
        inner = pre.find_all("code", recursive=False)
        text = (inner[0] if len(inner) == 1 else pre).get_text()
        codes.append(text if text.endswith("\n") else text + "\n")
    root = lxml.html.fromstring(f"<div>{body}</div>")
    return codes, "".join(root.text_content().split()), _links(root)


def _links(root) -> list[tuple[str, str]]:
    return [(" ".join(a.text_content().split()), urljoin(SITE_URL, a.get("href", ""))) for a in root.iter("a")]


def fidelity(convert, bodies: list[str]) -> dict:
    import lxml.html
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table").enable("strikethrough")
    code = text = links = 0
    for body in bodies:
        codes, visible, expected_links = _expected(body)
        markdown = convert(body)
        got_codes = [t.content for t in md.parse(markdown) if t.type in ("fence", "code_block")]
        root = lxml.html.fromstring(f"<div>{md.render(markdown)}</div>")
        code += got_codes == codes
        text += "".join(root.text_content().split()) == visible
        links += _links(root) == expected_links
    n = len(bodies)
    return {"code_exact": code / n, "text_exact": text / n, "links_exact": links / n}


# ---- end to end, in subprocesses -------------------------------------------------------------------
def baseline_extract(folder: Path, out_dir: Path) -> int:
    """What a hand-glued pipeline does: ElementTree rows, a dict join in memory, markdownify per post."""
    import xml.etree.ElementTree as ET

    convert = converters()["bs4+markdownify"]
    users, questions, answers, rows = {}, {}, {}, 0
    for _, row in ET.iterparse(folder / "Users.xml"):
        if row.tag == "row":
            users[row.get("Id")] = row.get("DisplayName")
        row.clear()
    for _, row in ET.iterparse(folder / "Posts.xml"):
        if row.tag != "row":
            continue
        rows += 1
        attrs = dict(row.attrib)
        row.clear()
        if attrs.get("PostTypeId") == "1":
            questions[attrs["Id"]] = attrs
        elif attrs.get("PostTypeId") == "2":
            answers.setdefault(attrs.get("ParentId"), []).append(attrs)
    out_dir.mkdir(parents=True, exist_ok=True)
    with gzip.open(out_dir / "threads.jsonl.gz", "wt", encoding="utf-8") as out:
        for qid, q in questions.items():
            thread = {"question_id": qid, "title": q.get("Title"), "question": convert(q.get("Body", "")),
                      "author": users.get(q.get("OwnerUserId")),
                      "answers": [{"id": a["Id"], "markdown": convert(a.get("Body", "")), "score": a.get("Score")}
                                  for a in answers.get(qid, [])]}
            out.write(json.dumps(thread, ensure_ascii=False) + "\n")
    return rows


def child(args) -> None:
    started = time.perf_counter()
    if args.child == "baseline":
        rows = baseline_extract(Path(args.source), Path(args.out))
    else:
        from codemill.extract.stackexchange.extract import extract_stackexchange

        summary = extract_stackexchange(args.source, args.out, workers=args.workers, show_progress=False)
        assert not summary.failed, summary.failed
        rows = summary.rows_read["posts"]
    import resource

    cpu = sum(getattr(resource.getrusage(who), field) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
              for field in ("ru_utime", "ru_stime"))
    print(json.dumps({"rows": rows, "seconds": time.perf_counter() - started, "cpu_seconds": cpu}))


def measured_run(kind: str, source: Path, out: Path, workers: int = 1) -> dict:
    """Run one pipeline in a subprocess, polling the RSS of its whole process tree."""
    import psutil

    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, __file__, "--child", kind, "--source", str(source), "--out", str(out),
               "--workers", str(workers)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, cwd=ROOT)
    watched, peak = psutil.Process(process.pid), 0
    while process.poll() is None:
        try:
            tree = [watched] + watched.children(recursive=True)
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    result = json.loads(process.stdout.read().decode().strip().splitlines()[-1])
    result.update(kind=kind, workers=workers, peak_rss_mib=peak / 2**20, posts_per_s=result["rows"] / result["seconds"])
    return result


def make_scaled(sample: Path, target_mb: int, folder: Path) -> Path:
    """A site folder whose Posts.xml repeats the sample's rows with fresh ids until about `target_mb`."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(sample / "Users.xml", folder / "Users.xml")
    lines = [line for line in (sample / "Posts.xml").read_text(encoding="utf-8-sig").splitlines()
             if line.lstrip().startswith("<row ")]
    step = 1 + max(int(m) for m in re.findall(r' Id="(\d+)"', "\n".join(lines)))
    ids = re.compile(r' (Id|ParentId|AcceptedAnswerId)="(\d+)"')
    written, copy = 0, 0
    with open(folder / "Posts.xml", "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<posts>\n')
        while written < target_mb * 2**20:
            offset = copy * step
            block = "\n".join(ids.sub(lambda m: f' {m.group(1)}="{int(m.group(2)) + offset}"', line) for line in lines)
            out.write(block + "\n")
            written += len(block) + 1
            copy += 1
        out.write("</posts>\n")
    return folder


def make_archive(folder: Path) -> Path:
    """The folder's XML files in one .7z beside it (LZMA2 preset 1: quick to build for a benchmark)."""
    import py7zr

    archive = folder.parent / f"{folder.name}.7z"
    with py7zr.SevenZipFile(archive, "w", filters=[{"id": py7zr.FILTER_LZMA2, "preset": 1}]) as out:
        for name in ("Users.xml", "Posts.xml"):
            out.write(folder / name, name)
    shutil.rmtree(folder)
    return archive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scale-mb", default="100,1000", help="comma-separated Posts.xml sizes; '' to skip")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scale-7z-mb", type=int, default=0, help="also stream a .7z of a Posts.xml this big")
    parser.add_argument("--child", choices=["codemill", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--source", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    bodies = sample_bodies(SAMPLE / "Posts.xml")
    print(f"## converter: {len(bodies)} posts of {SAMPLE.name}, median of {args.repeats}")
    rates = {}
    for name, convert in converters().items():
        rates[name] = time_converter(convert, bodies, args.repeats)
        scores = fidelity(convert, bodies)
        print(f"{name:16s} {rates[name]:9,.0f} posts/cpu-s   code exact {scores['code_exact']:.1%}   "
              f"text exact {scores['text_exact']:.1%}   links exact {scores['links_exact']:.1%}")
    print(f"ratio codemill / baseline: {rates['codemill'] / rates['bs4+markdownify']:.2f}x")

    work = Path(tempfile.mkdtemp(prefix="se-bench-"))
    try:
        print("\n## end to end on the sample (subprocess each; posts = all rows of Posts.xml)")
        report([measured_run("baseline", SAMPLE, work / "b"), measured_run("codemill", SAMPLE, work / "c")])
        sizes = [int(size) for size in args.scale_mb.split(",") if size.strip()]
        for index, size in enumerate(sizes):
            folder = make_scaled(SAMPLE, size, work / f"scaled-{size}" / "scaled.stackexchange.com")
            actual = (folder / "Posts.xml").stat().st_size / 2**20
            print(f"\n## scale: synthetic Posts.xml {actual:,.0f} MiB")
            runs = [measured_run("codemill", folder, work / "sc1"), measured_run("codemill", folder, work / "scn", args.workers)]
            if index == 0:
                runs.insert(0, measured_run("baseline", folder, work / "sb"))
            report(runs)
            shutil.rmtree(folder.parent, ignore_errors=True)
        if args.scale_7z_mb:
            archive = make_archive(make_scaled(SAMPLE, args.scale_7z_mb, work / "z" / "scaled.stackexchange.com"))
            print(f"\n## scale from .7z: {archive.stat().st_size / 2**20:,.0f} MiB archive "
                  f"(Posts.xml {args.scale_7z_mb} MiB), streamed without unpacking")
            report([measured_run("codemill", archive, work / "z7")])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(runs: list[dict]) -> None:
    base = next((r for r in runs if r["kind"] == "baseline"), None)
    for run in runs:
        ratio = ""
        if base and run is not base:
            per_cpu = (run["rows"] / run["cpu_seconds"]) / (base["rows"] / base["cpu_seconds"])
            ratio = f"   {run['posts_per_s'] / base['posts_per_s']:.2f}x baseline wall, {per_cpu:.2f}x per CPU-s"
        print(f"{run['kind']:9s} workers={run['workers']}  {run['rows']:>9,} posts  {run['seconds']:7.1f} s  "
              f"{run['posts_per_s']:8,.0f} posts/s  {run['rows'] / run['cpu_seconds']:8,.0f} posts/cpu-s  "
              f"peak RSS {run['peak_rss_mib']:7,.0f} MiB{ratio}")


if __name__ == "__main__":
    main()
