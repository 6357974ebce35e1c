"""`codemill report`: the page shows every part of a run, says "not run" for missing parts, escapes
untrusted text, and renders in headless Chromium with its charts and without console errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codemill.cli import app
from codemill.evals.compare import compare_runs
from codemill.pipeline.report import write_report
from codemill.pipeline.report_inputs import ReportInputError
from tests.pipeline import fake_run
from tests.pipeline.headless_chromium import find_chromium, open_page

REPO = Path(__file__).resolve().parents[2]


class _Tags(HTMLParser):
    """Every start tag and its attributes, to check what the browser would actually build."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def _section(html: str, name: str) -> str:
    match = re.search(rf'<section id="{name}">(.*?)</section>', html, re.S)
    assert match, f"no {name} section"
    return match.group(1)


def _groups(html: str) -> dict[str, str]:
    """The problems section split into its fixed, broken and unchanged parts."""
    parts = re.split(r'<h3 id="(fixed|broken|unchanged)">', _section(html, "problems"))
    return dict(zip(parts[1::2], parts[2::2]))


@pytest.fixture
def full_run(tmp_path: Path) -> Path:
    return fake_run.write_full_run(tmp_path / "runs" / "demo")


def test_full_run_shows_every_part(full_run):
    html = write_report(full_run).read_text(encoding="utf-8")
    assert "Not run" not in html and "Could not read" not in html
    assert "extract:textbook" in html and "41.5 s" in html and "writing this page" in html
    dataset = _section(html, "dataset")
    assert "190 (15.8%)" in dataset and "too_short: 180" in dataset and "documents: 1200" in dataset
    assert "tokens.train" in dataset and "412,345" in dataset
    assert "cardano-train-0" in dataset and "12 records" in dataset and "HumanEval/3" in dataset
    assert "duplicate_of</b>: py4e-3" in dataset and "filter_reason</b>: too_short" in dataset
    assert "best validation loss" in _section(html, "training") and "2.2000 at step 20" in html
    evaluation = _section(html, "evaluation")
    assert "<td>base</td>" in evaluation and "<td>finetuned</td>" in evaluation
    assert "33.3%" in evaluation and "50.0%" in evaluation and "19.0 – 81.0%" in evaluation and "+16.7 pts" in evaluation
    assert "finetuned vs base" in evaluation and "+16.7 pts (-17.0 to +50.0)" in evaluation and "2 / 1" in evaluation
    assert "not significant at 5%" in evaluation
    assert "tiny model" in html


def test_flat_stats_layout_from_the_architecture_doc(tmp_path):
    (tmp_path / "dataset").mkdir()
    (tmp_path / "dataset" / "stats.json").write_text(json.dumps(
        {"quality": {"in": 10, "out": 4}, "total_tokens": 99}))
    dataset = _section(write_report(tmp_path).read_text(encoding="utf-8"), "dataset")
    assert "6 (60.0%)" in dataset and "total_tokens" in dataset


def test_fixed_and_broken_lists_pair_base_and_finetuned_code(full_run):
    groups = _groups(write_report(full_run).read_text(encoding="utf-8"))
    fixed, broken, unchanged = groups["fixed"], groups["broken"], groups["unchanged"]
    assert fake_run.FIXED in fixed and "HumanEval/4" in fixed and fake_run.BROKEN not in fixed
    assert fake_run.BROKEN in broken and fake_run.FIXED not in broken
    assert "return sorted(x)" in fixed and "return x[::-1]" in broken
    assert fixed.count('class="side"') == 4 and broken.count('class="side"') == 2
    assert all(f"HumanEval/{i}<" in unchanged for i in (0, 3, 5)) and fake_run.FIXED + "<" not in unchanged


def test_untrusted_text_is_escaped(full_run):
    html = write_report(full_run).read_text(encoding="utf-8")
    tags = _tags(html)
    assert not any(tag == "script" for tag, _ in tags)
    assert not any(tag == "img" for tag, _ in tags)
    assert not any(name.startswith("on") for _, attrs in tags for name in attrs)
    assert not any(str(attrs.get("href", "")).startswith("javascript:") for _, attrs in tags)
    assert "&lt;script&gt;window.__injected = 1" in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html


def test_chart_labels_from_run_files_are_escaped(full_run):
    compare = json.loads((full_run / "compare" / "compare.json").read_text())
    compare["benchmarks"] = {"<script>x</script>": compare["benchmarks"]["humaneval"]}
    (full_run / "compare" / "compare.json").write_text(json.dumps(compare))
    html = write_report(full_run).read_text(encoding="utf-8")
    assert "<script>x" not in html and "&lt;script&gt;x" in html


def test_empty_run_folder_says_not_run_for_each_part(tmp_path):
    html = write_report(tmp_path).read_text(encoding="utf-8")
    for name in ("dataset", "training", "evaluation", "problems"):
        assert "Not run" in _section(html, name), name
    assert "<svg" not in html


def test_damaged_files_are_named_and_the_rest_still_renders(full_run):
    (full_run / "compare" / "compare.json").write_text('{"benchmarks": ', encoding="utf-8")
    with open(full_run / "finetune" / "metrics.jsonl", "a", encoding="utf-8") as handle:
        handle.write('{"loss": 0.5, "st')
    html = write_report(full_run).read_text(encoding="utf-8")
    for name in ("evaluation", "problems"):
        section = _section(html, name)
        assert "Could not read" in section and "compare.json: not valid JSON (line 1" in section
    training = _section(html, "training")
    assert "<svg" in training and "1 unreadable lines in metrics.jsonl skipped" in training
    assert "190 (15.8%)" in _section(html, "dataset")


def test_without_compare_uses_raw_results_and_derives_the_lists(tmp_path):
    run = tmp_path / "run"
    fake_run.write_eval(run, with_compare=False)
    html = write_report(run).read_text(encoding="utf-8")
    assert "without intervals" in _section(html, "evaluation")
    groups = _groups(html)
    fixed, broken = groups["fixed"], groups["broken"]
    assert "derived from the samples" in _section(html, "problems")
    assert fake_run.FIXED in fixed and "HumanEval/4" in fixed and fake_run.BROKEN in broken
    assert "Not run" in _section(html, "dataset")


def test_each_side_shows_its_first_passing_sample(tmp_path):
    run = tmp_path / "run"
    fake_run.write_eval(run, with_compare=False)
    tuned = run / "eval" / "finetuned" / "humaneval" / "samples.jsonl"
    second = {"task_id": "HumanEval/5", "sample_index": 1, "completion": "    return 'second try'\n",
              "status": "pass", "error": None, "runtime_s": 0.01}
    tuned.write_text(json.dumps(second) + "\n" + tuned.read_text(encoding="utf-8"), encoding="utf-8")
    fixed = _groups(write_report(run).read_text(encoding="utf-8"))["fixed"]
    entry = fixed[fixed.index("<b>HumanEval/5</b>"):]
    entry = entry[:entry.index("</details>")]
    assert re.search(r"fine-tuned\s*1/2 <span class=\"pass\">pass</span>", entry)
    assert "second try" in entry and "return None" in entry


def test_reads_what_the_real_compare_writes(tmp_path):
    run = tmp_path / "run"
    fake_run.write_eval(run, with_compare=False)
    compare_runs([run / "eval" / "base" / "humaneval", run / "eval" / "finetuned" / "humaneval"], run / "compare")
    html = write_report(run).read_text(encoding="utf-8")
    evaluation = _section(html, "evaluation")
    assert "<td>base</td>" in evaluation and "<td>finetuned</td>" in evaluation and "finetuned vs base" in evaluation
    assert "33.3%" in evaluation and "50.0%" in evaluation and " – " in evaluation
    fixed, broken = _groups(html)["fixed"], _groups(html)["broken"]
    assert "Lists from compare/compare.json" in _section(html, "problems") and fake_run.FIXED in fixed and fake_run.BROKEN in broken


def test_eval_results_without_pass_at_1_are_named(tmp_path):
    run = tmp_path / "run"
    fake_run.write_eval(run, with_compare=False)
    results = run / "eval" / "base" / "humaneval" / "results.json"
    results.write_text(json.dumps({"pass_at_k": {}}))
    assert f"{results}: no numeric pass_at_k" in _section(write_report(run).read_text(encoding="utf-8"), "evaluation")


def test_missing_run_folder_is_an_error(tmp_path):
    with pytest.raises(ReportInputError, match="no such run folder"):
        write_report(tmp_path / "nope")


def test_cli_writes_the_report_and_names_a_missing_folder(full_run, tmp_path):
    runner = CliRunner()
    written = runner.invoke(app, ["report", str(full_run)])
    assert written.exit_code == 0, written.output
    assert (full_run / "report.html").is_file() and "report.html" in written.output
    missing = runner.invoke(app, ["report", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "no such run folder" in missing.output


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's chromium, installed on the spot (as root with apt) when missing; skip only if that fails."""
    if find_chromium() is None:
        subprocess.run(["bash", str(REPO / "scripts" / "system-deps.sh")], check=False, timeout=900)
    executable = find_chromium()
    if executable is None:
        pytest.skip("chromium is not installed and could not be installed (needs root and apt-get)")
    return executable


PAGE_CHECK = """JSON.parse(JSON.stringify({
  title: document.title,
  charts: [...document.querySelectorAll('.chart svg')].map(svg => {
    const box = svg.getBoundingClientRect();
    return {width: box.width, height: box.height, lines: svg.querySelectorAll('path').length,
            text: svg.textContent};
  }),
  injected: window.__injected || 0,
  scripts: document.scripts.length,
  code: [...document.querySelectorAll('.side pre code')].map(node => node.textContent).join('\\n'),
  sections: [...document.querySelectorAll('section h2')].map(node => node.textContent),
}))"""


def test_report_renders_in_headless_chromium(chromium, full_run, tmp_path):
    page = write_report(full_run)
    visit = open_page(chromium, page, tmp_path / "profile", PAGE_CHECK)
    result = visit.result
    assert result["title"] == "codemill report: demo"
    assert result["sections"] == ["Stages", "Dataset", "Training", "Evaluation", "Fixed and broken problems"]
    assert len(result["charts"]) == 2
    for chart in result["charts"]:
        assert chart["width"] > 200 and chart["height"] > 100 and chart["lines"] > 5
    assert "validation loss" in result["charts"][0]["text"] and "humaneval" in result["charts"][1]["text"]
    assert result["injected"] == 0 and result["scripts"] == 0 and not visit.dialogs
    assert fake_run.SCRIPT_PAYLOAD in result["code"]
    assert visit.console_errors == []
    assert visit.requests == [page.resolve().as_uri()]
    assert visit.screenshot.startswith(b"\x89PNG")
    if os.environ.get("CODEMILL_REPORT_SCREENSHOT"):
        Path(os.environ["CODEMILL_REPORT_SCREENSHOT"]).write_bytes(visit.screenshot)
