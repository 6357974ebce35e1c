"""Fault injection: ordinary mistakes and faults across every command, as a new user would make them.

Each case sets up a fresh folder, runs the real `codemill` command line (a subprocess), and checks
three things: the exit code, that the user got one clear line (no traceback), and that what was there
before (or what a clean run produces) is intact. Kill cases also check that no process of the command
is left. Prints a markdown table: case, exit code, message, outputs intact, pass.

    .venv/bin/python benchmarks/faults.py [--only SUBSTRING]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.faults.procs import codemill, launch, left_behind, ours, stop, wait_until  # noqa: E402

SITE = "python-primer.example.stackexchange.com"
SMOKE = REPO / "samples" / "evals" / "smoke.jsonl"
DATA = """\
data:
  validation_fraction: 0.2
  decontamination: {benchmarks: [humaneval], humaneval_path: samples/evals/smoke.jsonl}
"""
BOOK_SOURCE = "sources:\n  - {name: primer, type: pdf, path: samples/pdfs, extracted: samples/textbook}\n"


@dataclass
class Outcome:
    code: int
    message: str
    intact: bool | None  # None: nothing to keep
    ok: bool


def _samples(root: Path, *names: str) -> None:
    for name in names:
        shutil.copytree(REPO / "samples" / name, root / "samples" / name)


def _digest(folder: Path, pattern: str = "*") -> str:
    """Content of every non-hidden file under `folder` (the lock file and temp files are hidden)."""
    hasher = hashlib.sha256()
    for path in sorted(folder.rglob(pattern)) if folder.exists() else []:
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts):
            hasher.update(str(path.relative_to(folder)).encode())
            data = path.read_bytes()
            hasher.update(gzip.decompress(data) if path.suffix == ".gz" else data)
    return hasher.hexdigest()


def _message(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith(("error:", "failed:", "interrupted"))]
    return (lines[0] if lines else (stderr.strip().splitlines() or [""])[-1])[:150]


def _clean(stderr: str) -> bool:
    return "Traceback" not in stderr


def _expect(done: subprocess.CompletedProcess, code: int | tuple, words: str, intact: bool | None = None) -> Outcome:
    codes = code if isinstance(code, tuple) else (code,)
    text = done.stdout + done.stderr
    ok = done.returncode in codes and words in text and _clean(done.stderr) and intact is not False
    return Outcome(done.returncode, _message(done.stderr) or _message(done.stdout), intact, ok)


# --- cases: each takes a fresh folder and returns an Outcome -----------------------------------------------


def pdf_out_is_a_file(root: Path) -> Outcome:
    (root / "out").write_text("keep me")
    done = codemill(["extract", "pdf", str(REPO / "samples/pdfs"), "-o", "out"], root)
    return _expect(done, 2, "is a file, not a folder", (root / "out").read_text() == "keep me")


def pdf_out_under_a_file(root: Path) -> Outcome:
    (root / "notes").write_text("keep me")
    done = codemill(["extract", "pdf", str(REPO / "samples/pdfs"), "-o", "notes/md"], root)
    return _expect(done, 2, "is a file, so no folder can be made under it", (root / "notes").read_text() == "keep me")


def pdf_empty_folder(root: Path) -> Outcome:
    (root / "books").mkdir()
    return _expect(codemill(["extract", "pdf", "books", "-o", "md"], root), 1, "no .pdf files in this folder")


def pdf_missing_input(root: Path) -> Outcome:
    return _expect(codemill(["extract", "pdf", "nowhere.pdf", "-o", "md"], root), 1, "no such file or folder")


def pdf_text_file_named_pdf(root: Path) -> Outcome:
    (root / "fake.pdf").write_text("this is not a PDF\n")
    return _expect(codemill(["extract", "pdf", "fake.pdf", "-o", "md"], root), 1, "fake.pdf")


def pdf_truncated(root: Path) -> Outcome:
    data = (REPO / "samples/pdfs/01-values-and-names.pdf").read_bytes()
    (root / "cut.pdf").write_bytes(data[: len(data) // 3])
    return _expect(codemill(["extract", "pdf", "cut.pdf", "-o", "md"], root), 1, "cut.pdf")


@contextmanager
def lock_held(root: Path, folder: str):
    """Another process holds codemill's lock on `folder` until the block ends (then it is SIGKILLed)."""
    holder = subprocess.Popen([sys.executable, "-c", "import time\nfrom codemill.common.lock import folder_lock\n"
                               f"with folder_lock({folder!r}):\n    print('locked', flush=True); time.sleep(60)"],
                              cwd=root, stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
    holder.stdout.readline()
    try:
        yield holder
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()


def pdf_one_bad_among_good(root: Path) -> Outcome:
    shutil.copytree(REPO / "samples/pdfs", root / "books")
    (root / "books" / "zz-broken.pdf").write_bytes(b"%PDF-1.7\n garbage")
    done = codemill(["extract", "pdf", "books", "-o", "md"], root)
    return _expect(done, 1, "zz-broken.pdf", len(list((root / "md").glob("*.md"))) == 3)


def pdf_into_a_busy_folder(root: Path) -> Outcome:
    with lock_held(root, "md") as holder:
        done = codemill(["extract", "pdf", str(REPO / "samples/pdfs"), "-o", "md"], root)
    return _expect(done, 2, f"pid {holder.pid}", not list((root / "md").glob("*.md")))


def pdf_workers_killed(root: Path) -> Outcome:
    args = ["extract", "pdf", str(REPO / "samples/pdfs"), "-o", "md", "--workers", "2"]
    process, tag = launch(args, root)
    wait_until(lambda: len(ours(tag)) >= 3 or process.poll() is not None, timeout=60, every=0.02)
    code, _ = stop(process, signal.SIGKILL)
    left = left_behind(tag)
    rerun = codemill(args, root)
    codemill([*args[:3], "-o", "fresh"], root)  # the same input extracted once, uninterrupted
    same = _digest(root / "md", "*.md") == _digest(root / "fresh", "*.md") and rerun.returncode == 0  # reports hold timings
    return Outcome(code, f"{len(left)} process(es) left; rerun exit {rerun.returncode}", same, not left and same)


def se_missing_source(root: Path) -> Outcome:
    return _expect(codemill(["extract", "stackexchange", "nowhere", "-o", "se"], root), 1, "no such file or folder")


def _bad_byte(root: Path) -> Path:
    dump = root / SITE
    shutil.copytree(REPO / "samples/stackexchange", dump)
    lines = (dump / "Posts.xml").read_bytes().split(b"\n")
    index = [i for i, line in enumerate(lines) if line.lstrip().startswith(b"<row")][3]
    lines[index] = lines[index].replace(b'Body="', b'Body="\xff', 1)
    (dump / "Posts.xml").write_bytes(b"\n".join(lines))
    return dump


def se_bad_byte(root: Path) -> Outcome:
    return _expect(codemill(["extract", "stackexchange", str(_bad_byte(root)), "-o", "se"], root), 1, "--skip-bad-rows")


def se_bad_byte_skipped(root: Path) -> Outcome:
    done = codemill(["extract", "stackexchange", str(_bad_byte(root)), "-o", "se", "--skip-bad-rows"], root)
    outcome = _expect(done, 0, "skipped unreadable_row: 1")
    outcome.message = next(line for line in done.stderr.splitlines() if "unreadable_row" in line).strip()[:150]
    return outcome


def se_truncated_xml(root: Path) -> Outcome:
    dump = root / SITE
    shutil.copytree(REPO / "samples/stackexchange", dump)
    data = (dump / "Posts.xml").read_bytes()
    (dump / "Posts.xml").write_bytes(data[: len(data) // 2])
    return _expect(codemill(["extract", "stackexchange", str(dump), "-o", "se"], root), 1, "truncated")


def se_damaged_7z(root: Path) -> Outcome:
    (root / f"{SITE}.7z").write_bytes(b"7z\xbc\xaf\x27\x1c" + os.urandom(200))
    return _expect(codemill(["extract", "stackexchange", f"{SITE}.7z", "-o", "se"], root), 1, "7z archive")


def se_disk_full(root: Path) -> Outcome:
    (root / "small").mkdir()
    command = (f"mount -t tmpfs -o size=24k tmpfs small && {sys.executable} -m codemill.cli extract stackexchange "
               f"{REPO / 'samples/stackexchange'} --site {SITE} -o small/se")
    done = subprocess.run(["unshare", "-rm", "sh", "-c", command], cwd=root, capture_output=True, text=True,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    return _expect(done, 1, "free space on the disk holding small/se")


def se_other_settings_in_folder(root: Path) -> Outcome:
    base = ["extract", "stackexchange", str(REPO / "samples/stackexchange"), "--site", SITE, "-o", "se"]
    codemill(base, root)
    before = _digest(root / "se")
    done = codemill([*base, "--min-question-score", "5"], root)
    return _expect(done, 1, "pass --force", _digest(root / "se") == before)


def _se_killed(root: Path, sig: int) -> Outcome:
    shutil.copytree(REPO / "samples/stackexchange", root / "dump")
    args = ["extract", "stackexchange", "dump", "--site", SITE, "-o", "se", "--workers", "2", "--threads-per-shard", "2"]
    process, tag = launch(args, root)
    wait_until(lambda: len(ours(tag)) >= 3 or process.poll() is not None, timeout=60, every=0.02)
    code, err = stop(process, sig)
    left = left_behind(tag)
    rerun = codemill(args, root)
    codemill([*args[:5], "-o", "fresh", "--threads-per-shard", "2"], root)  # uninterrupted, for comparison
    same = rerun.returncode == 0 and _digest(root / "se", "threads-*") == _digest(root / "fresh", "threads-*")
    clean = _clean(err) and (sig == signal.SIGKILL or code in (0, 143, 130))
    message = _message(err) if sig != signal.SIGKILL else ""
    return Outcome(code, f"{message} [{len(left)} process(es) left]".strip(), same, not left and same and clean)


def se_workers_kill9(root: Path) -> Outcome:
    return _se_killed(root, signal.SIGKILL)


def se_workers_sigterm(root: Path) -> Outcome:
    return _se_killed(root, signal.SIGTERM)


def se_workers_ctrl_c(root: Path) -> Outcome:
    return _se_killed(root, signal.SIGINT)


def _recipe(root: Path, text: str, name: str = "r.yaml") -> str:
    (root / name).write_text(text)
    return name


def recipe_yaml_syntax(root: Path) -> Outcome:
    name = _recipe(root, "name: x\nfinetune:\n  lora: {r: 8\n")
    return _expect(codemill(["data", "build", name], root), 2, "invalid YAML: line")


def recipe_duplicate_key(root: Path) -> Outcome:
    name = _recipe(root, "name: x\nfinetune:\n  learning_rate: 0.1\n  learning_rate: 0.2\n")
    return _expect(codemill(["finetune", name, "--estimate"], root), 2, "duplicate key 'learning_rate' on lines 3 and 4")


def recipe_typo_key(root: Path) -> Outcome:
    name = _recipe(root, "name: x\nfinetune:\n  learning_rat: 0.1\n")
    return _expect(codemill(["run", name], root), 2, "did you mean 'learning_rate'")


def recipe_wrong_type(root: Path) -> Outcome:
    name = _recipe(root, "name: x\nfinetune:\n  lora: {r: sixteen}\n")
    return _expect(codemill(["run", name], root), 2, "finetune.lora.r: must be an integer, got 'sixteen'")


def recipe_repeated_source(root: Path) -> Outcome:
    name = _recipe(root, "name: x\nsources:\n  - {name: a, type: pdf, path: b/}\n  - {name: a, type: pdf, path: c/}\n")
    done = codemill(["run", name], root)
    outcome = _expect(done, 2, "source names must be unique; repeated: a")
    outcome.ok = outcome.ok and "path" not in done.stderr
    return outcome


def recipe_missing(root: Path) -> Outcome:
    return _expect(codemill(["run", "nowhere.yaml"], root), 2, "no such recipe file")


def recipe_binary(root: Path) -> Outcome:
    (root / "r.yaml").write_bytes(bytes(range(256)))
    return _expect(codemill(["run", "r.yaml"], root), 2, "r.yaml")


def recipe_missing_eval_file(root: Path) -> Outcome:
    _samples(root, "textbook", "evals")
    name = _recipe(root, "name: x\n" + BOOK_SOURCE + DATA + "eval:\n  benchmarks: [{name: humaneval, data_file: gone.jsonl}]\n")
    done = codemill(["run", name], root)
    return _expect(done, 2, "gone.jsonl", not (root / "runs" / "x" / "dataset").exists())


def data_nothing_left(root: Path) -> Outcome:
    _samples(root, "textbook", "evals")
    name = _recipe(root, "name: x\n" + BOOK_SOURCE + DATA + "  filters: {min_chars: 1000000}\n")
    return _expect(codemill(["data", "build", name], root), 2, "no training records are left: length dropped")


def data_no_sources(root: Path) -> Outcome:
    _samples(root, "evals")
    name = _recipe(root, "name: x\n" + DATA)
    return _expect(codemill(["data", "build", name], root), 2, "no sources")


def data_killed_then_rerun(root: Path) -> Outcome:
    _samples(root, "textbook", "evals")
    clean, killed = (_recipe(root, f"name: {n}\n" + BOOK_SOURCE + DATA, f"{n}.yaml") for n in ("clean", "killed"))
    codemill(["data", "build", clean], root)
    left, codes = [], []
    for stage, sig in (("prepare", signal.SIGKILL), ("exact_filter", signal.SIGTERM), ("minhash_filter", signal.SIGKILL)):
        process, tag = launch(["data", "build", killed], root)
        logs = root / "runs/killed/dataset.work/logs" / stage / "completions"
        wait_until(lambda: any(logs.glob("*")) or process.poll() is not None, timeout=120, every=0.01)
        codes.append(stop(process, sig)[0])
        left += left_behind(tag)
    rerun = codemill(["data", "build", killed], root)
    same = all(_digest(root / f"runs/{n}/dataset/data") for n in ("clean", "killed")) and \
        _digest(root / "runs/clean/dataset/data") == _digest(root / "runs/killed/dataset/data")
    return Outcome(rerun.returncode, f"exit codes when killed {codes}; {len(left)} process(es) left", same,
                   not left and same and rerun.returncode == 0)


def data_on_a_busy_run(root: Path) -> Outcome:
    _samples(root, "textbook", "evals")
    name = _recipe(root, "name: x\n" + BOOK_SOURCE + DATA)
    with lock_held(root, "runs/x"):
        done = codemill(["data", "build", name], root)
    return _expect(done, 2, "is being written by another codemill command", not (root / "runs/x/dataset").exists())


def extract_inside_a_busy_run(root: Path) -> Outcome:
    with lock_held(root, "runs/x"):
        done = codemill(["extract", "stackexchange", str(REPO / "samples/stackexchange"), "--site", SITE,
                         "-o", "runs/x/extract/se"], root)
    return _expect(done, 2, "enclosing folder", not list((root / "runs/x/extract/se").glob("threads-*")))


def stale_lock_taken_over(root: Path) -> Outcome:
    with lock_held(root, "se") as holder:
        pass  # the holder is killed with its lock still recorded in the folder
    done = codemill(["extract", "stackexchange", str(REPO / "samples/stackexchange"), "--site", SITE, "-o", "se"], root)
    outcome = _expect(done, 0, f"taking over the lock of pid {holder.pid}")
    outcome.message = next((line for line in done.stderr.splitlines() if "taking over" in line), "")[:150]
    return outcome


def finetune_no_dataset(root: Path) -> Outcome:
    name = _recipe(root, "name: x\nmodel:\n  tiny: {}\nfinetune: {max_steps: 1}\n")
    return _expect(codemill(["finetune", name], root), 2, "dataset")


def finetune_estimate_missing_model(root: Path) -> Outcome:
    name = _recipe(root, "name: x\nmodel:\n  name_or_path: ./no-such-model\n")
    return _expect(codemill(["finetune", name, "--estimate"], root), 2, "no-such-model")


def eval_out_is_a_file(root: Path) -> Outcome:
    (root / "res").write_text("keep me")
    done = codemill(["eval", "--samples", str(SMOKE), "--data-file", str(SMOKE), "-o", "res"], root)
    return _expect(done, 2, "is a file, not a folder", (root / "res").read_text() == "keep me")


def eval_out_under_a_file(root: Path) -> Outcome:
    (root / "res").write_text("keep me")
    done = codemill(["eval", "--samples", str(SMOKE), "--data-file", str(SMOKE), "-o", "res/humaneval"], root)
    return _expect(done, 2, "so no folder can be made under it", (root / "res").read_text() == "keep me")


def eval_binary_samples(root: Path) -> Outcome:
    (root / "s.jsonl").write_bytes(os.urandom(4096))
    done = codemill(["eval", "--samples", "s.jsonl", "--data-file", str(SMOKE), "-o", "res"], root)
    return _expect(done, 2, "s.jsonl: not UTF-8 text")


def eval_samples_bad_json(root: Path) -> Outcome:
    (root / "s.jsonl").write_text('{"task_id": "HumanEval/0", "completion": "  return 1"}\n{oops\n')
    done = codemill(["eval", "--samples", "s.jsonl", "--data-file", str(SMOKE), "-o", "res"], root)
    return _expect(done, (1, 2), "s.jsonl")


def eval_missing_samples(root: Path) -> Outcome:
    return _expect(codemill(["eval", "--samples", "gone.jsonl", "-o", "res"], root), 2, "gone.jsonl")


def eval_model_and_samples(root: Path) -> Outcome:
    done = codemill(["eval", "--samples", str(SMOKE), "--model", "x", "-o", "res"], root)
    return _expect(done, 2, "exactly one of --model or --samples")


def eval_binary_data_file(root: Path) -> Outcome:
    (root / "d.jsonl").write_bytes(os.urandom(4096))
    done = codemill(["eval", "--samples", str(SMOKE), "--data-file", "d.jsonl", "-o", "res"], root)
    return _expect(done, 2, "d.jsonl")


def compare_missing(root: Path) -> Outcome:
    return _expect(codemill(["compare", "a", "b", "-o", "cmp"], root), (1, 2), "a")


def report_missing(root: Path) -> Outcome:
    return _expect(codemill(["report", "runs/none"], root), 2, "no such run folder")


def report_empty_folder(root: Path) -> Outcome:
    (root / "runs" / "empty").mkdir(parents=True)
    return _expect(codemill(["report", "runs/empty"], root), (0, 1, 2), "runs/empty")  # a page saying what is missing is fine too


def run_killed_in_data(root: Path) -> Outcome:
    _samples(root, "textbook", "evals")
    name = _recipe(root, "name: x\n" + BOOK_SOURCE + DATA + "model:\n  tiny: {}\nfinetune: {max_steps: 1}\neval: {benchmarks: []}\n")
    process, tag = launch(["run", name], root)
    logs = root / "runs/x/dataset.work/logs/prepare/completions"
    wait_until(lambda: any(logs.glob("*")) or process.poll() is not None, timeout=120, every=0.01)
    code, _ = stop(process, signal.SIGKILL)
    left = left_behind(tag)
    again = codemill(["data", "build", name], root)  # takes the run folder's lock: nothing may hold it
    return Outcome(code, f"{len(left)} process(es) left; data build after it: exit {again.returncode}",
                   again.returncode == 0, not left and again.returncode == 0)


CASES: list[Callable[[Path], Outcome]] = [
    pdf_out_is_a_file, pdf_out_under_a_file, pdf_empty_folder, pdf_missing_input, pdf_text_file_named_pdf,
    pdf_truncated, pdf_one_bad_among_good, pdf_into_a_busy_folder, pdf_workers_killed,
    se_missing_source, se_bad_byte, se_bad_byte_skipped, se_truncated_xml, se_damaged_7z, se_disk_full,
    se_other_settings_in_folder, se_workers_kill9, se_workers_sigterm, se_workers_ctrl_c,
    recipe_yaml_syntax, recipe_duplicate_key, recipe_typo_key, recipe_wrong_type, recipe_repeated_source,
    recipe_missing, recipe_binary, recipe_missing_eval_file,
    data_nothing_left, data_no_sources, data_killed_then_rerun, data_on_a_busy_run,
    extract_inside_a_busy_run, stale_lock_taken_over,
    finetune_no_dataset, finetune_estimate_missing_model,
    eval_out_is_a_file, eval_out_under_a_file, eval_binary_samples, eval_samples_bad_json, eval_missing_samples,
    eval_model_and_samples, eval_binary_data_file,
    compare_missing, report_missing, report_empty_folder, run_killed_in_data,
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rows, passed, started = [], 0, time.monotonic()
    for case in CASES:
        if args.only not in case.__name__:
            continue
        with tempfile.TemporaryDirectory(prefix="codemill-fault-") as folder:
            try:
                outcome = case(Path(folder))
            except Exception as error:  # the harness itself failed on this case: report it, go on
                outcome = Outcome(-1, f"harness: {type(error).__name__}: {error}"[:150], None, False)
        passed += outcome.ok
        intact = {True: "yes", False: "NO", None: "-"}[outcome.intact]
        message = outcome.message.replace("|", "\\|")
        rows.append(f"| {case.__name__} | {outcome.code} | {message} | {intact} | {'ok' if outcome.ok else 'FAIL'} |")
        print(rows[-1], file=sys.stderr, flush=True)
    print("| case | exit | message (first line) | outputs intact | result |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"\n{passed}/{len(rows)} cases pass in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
