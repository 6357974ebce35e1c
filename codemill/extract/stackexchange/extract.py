"""`extract_stackexchange`: scan a dump into a SQLite spill, then write thread shards, resumably.

Units of work in the job manifest: `scan` (the spill is complete; its info holds the shard boundaries
and scan counts) and one `shard-NNNNN` per output file. A rerun after a kill skips finished units, so
it ends with the same shards and no duplicates; the spill is deleted once every shard is written.
Given a data section (`executor=`), each shard left is one datatrove task on its executor
(codemill/extract/tasks.py); the scan stays in this process.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
import time
from concurrent.futures import as_completed
from pathlib import Path

from codemill.common.atomic import atomic_write_json
from codemill.common.digest import fingerprint
from codemill.common.manifest import JobManifest
from codemill.common.processes import process_pool
from codemill.common.progress import progress
from codemill.extract.stackexchange import spill
from codemill.recipe.stackexchange import StackExchangeOptions
from codemill.extract.stackexchange.rows import DumpError
from codemill.extract.stackexchange.scan import Scanner
from codemill.extract.stackexchange.source import DumpSource, resolve_source, stream
from codemill.extract.stackexchange.summary import SkipLog, StackExchangeSummary
from codemill.extract.stackexchange.threads import write_shard
from codemill.extract.tasks import clear_units, run_units, saved_results
from codemill.recipe.data import DataConfig

SCHEMA_VERSION = 1
SPILL_NAME = ".stackexchange-spill.sqlite"
TASKS_DIR = ".extract-stackexchange.tasks"  # datatrove logs and per-shard results while shards run as tasks


def shard_name(index: int) -> str:
    return f"threads-{index:05d}.jsonl.gz"


def extract_stackexchange(source: str | os.PathLike, out_dir: str | os.PathLike, *,
                          options: StackExchangeOptions = StackExchangeOptions(), workers: int = 1,
                          force: bool = False, show_progress: bool = True,
                          executor: DataConfig | None = None) -> StackExchangeSummary:
    """Extract Q&A threads from a dump folder, Posts.xml or .7z into `out_dir`; see docs/stackexchange.md.

    With `executor` (a recipe's data section) the shards are written by datatrove tasks on that executor,
    `executor.workers` at once, instead of `workers` processes."""
    started = time.monotonic()
    out_dir = Path(out_dir)
    summary = StackExchangeSummary(source=str(source), out_dir=str(out_dir),
                                   filters=options.model_dump())
    manifest = None  # set once this run owns out_dir: only then may it replace summary.json
    try:
        dump = resolve_source(source, options.site)
        summary.site = dump.site
        manifest, replaced = _open_manifest(dump, out_dir, options, force)
        scan = manifest.done.get("scan") or _scan(dump, out_dir, options, manifest, show_progress)
        for path in replaced:  # only once the new scan has succeeded
            path.unlink(missing_ok=True)
        shards = _run_shards if executor is None else _shard_tasks(out_dir, manifest.fingerprint, executor)
        _write_shards(scan["starts"], dump.site, out_dir, options, manifest, workers, show_progress, summary, shards)
    except (ValueError, DumpError, OSError, sqlite3.Error) as error:
        summary.failed.append(_failure(source, out_dir, error))
        summary.seconds = time.monotonic() - started
        if manifest is not None:
            _write_summary(out_dir, summary)
        return summary
    _fill_summary(summary, manifest, scan)
    if not summary.failed:
        (out_dir / SPILL_NAME).unlink(missing_ok=True)
    summary.seconds = time.monotonic() - started
    _write_summary(out_dir, summary)
    return summary


_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}


def _failure(source, out_dir: Path, error: Exception) -> tuple[str, str]:
    """(path, reason): a full or read-only disk is the output folder's problem, not the dump's."""
    full = isinstance(error, OSError) and error.errno in _WRITE_ERRNOS
    full = full or isinstance(error, sqlite3.Error) and any(word in str(error) for word in ("full", "readonly"))
    if full:
        return str(out_dir), (f"cannot write the output ({error}); free space on the disk holding {out_dir} "
                              "(or choose another -o), then rerun the same command: finished shards are kept")
    return (str(out_dir) if str(error).startswith(f"{out_dir}:") else str(source)), str(error)


def _fingerprint(dump: DumpSource, options: StackExchangeOptions) -> str:
    files = [(str(path.resolve()), path.stat().st_size, path.stat().st_mtime_ns) for path in dump.files()]
    settings = {"version": SCHEMA_VERSION, "site": dump.site, "options": options.model_dump(mode="json"), "files": files}
    return fingerprint(settings)


def _open_manifest(dump: DumpSource, out_dir: Path, options: StackExchangeOptions,
                   force: bool) -> tuple[JobManifest, list[Path]]:
    """The job's manifest, and (with --force) the earlier outputs to delete once the new scan succeeds."""
    manifest = JobManifest(out_dir, "stackexchange", _fingerprint(dump, options))
    existing = sorted(out_dir.glob("threads-*.jsonl.gz")) if out_dir.is_dir() else []
    if force:
        manifest.reset()
        (out_dir / SPILL_NAME).unlink(missing_ok=True)
        shutil.rmtree(out_dir / TASKS_DIR, ignore_errors=True)
        return manifest, existing
    if existing and not manifest.done:
        raise ValueError(f"{out_dir}: holds thread shards from a run with another source or other settings; "
                         "pass --force to replace them, or choose another output folder")
    return manifest, []


def _scan(dump: DumpSource, out_dir: Path, options: StackExchangeOptions, manifest: JobManifest,
          show_progress: bool) -> dict:
    """Stream Users.xml and Posts.xml into a fresh spill; mark `scan` done with the shard boundaries."""
    out_dir.mkdir(parents=True, exist_ok=True)
    partial, store = out_dir / (SPILL_NAME + ".partial"), out_dir / SPILL_NAME
    writer, skips = spill.SpillWriter(partial), SkipLog()
    scanner = Scanner(writer, options, skips)
    jobs = ([(dump.users, scanner.on_user)] if dump.users else []) + [(dump.posts, scanner.on_post)]
    total_mib = sum(member.size for member, _ in jobs) / 2**20
    try:
        with progress(f"scan {dump.site} (MiB)", round(total_mib, 1), enabled=show_progress) as bar:
            stream(jobs, lambda size: bar.advance(size / 2**20), scanner.on_bad_row if options.skip_bad_rows else None)
        writer.finish()
    except BaseException:
        writer.abandon()
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, store)
    outliers, questions, answers = spill.drop_id_outliers(store)
    for post_id in outliers:
        skips.add("fabricated_id_outlier", post_id)
    scanner.counts["questions_kept"] -= questions
    scanner.counts["answers_kept"] -= answers
    orphans, first_ids = spill.orphan_answers(store)
    if orphans:
        skips.merge({"answer_of_dropped_or_missing_question": {"count": orphans, "first_ids": first_ids}})
    info = {"starts": spill.shard_starts(store, options.threads_per_shard), "counts": scanner.counts,
            "skipped": skips.to_dict()}
    manifest.mark_done("scan", info)
    return info


def _write_shards(starts: list[int], site: str, out_dir: Path, options: StackExchangeOptions,
                  manifest: JobManifest, workers: int, show_progress: bool, summary: StackExchangeSummary,
                  run_shards) -> None:
    """Write every shard not yet marked done with `run_shards` (here, in processes, or as tasks)."""
    bounds = {index: (low, starts[index + 1] if index + 1 < len(starts) else None) for index, low in enumerate(starts)}
    todo = [index for index in bounds if not manifest.is_done(f"shard-{index:05d}")]
    summary.shards_resumed = len(bounds) - len(todo)
    store = out_dir / SPILL_NAME
    for leftover in out_dir.glob(".threads-*.tmp"):  # from a run killed while writing a shard
        leftover.unlink(missing_ok=True)
    if todo and not store.exists():
        raise ValueError(f"{store}: the spill of a finished scan is missing; rerun with --force to start over")
    args = {index: (store, out_dir / shard_name(index), *bounds[index], site, options) for index in todo}
    with progress(f"write {site} shards", len(bounds), enabled=show_progress) as bar:
        bar.advance(summary.shards_resumed)
        for index, info, error in run_shards(args, workers):
            if error is None:
                manifest.mark_done(f"shard-{index:05d}", info)
            else:
                summary.failed.append((str(out_dir / shard_name(index)), error))
            bar.advance(1)


def _run_shards(args: dict[int, tuple], workers: int):
    """Yield `(index, info, error)` per shard as each finishes; one failed shard does not stop the rest."""
    if workers <= 1 or len(args) <= 1:
        for index, call in args.items():
            try:
                yield index, write_shard(*call), None
            except Exception as error:
                yield index, None, f"{type(error).__name__}: {error}"
        return
    with process_pool(workers) as pool:
        futures = {pool.submit(write_shard, *call): index for index, call in args.items()}
        for future in as_completed(futures):
            try:
                yield futures[future], future.result(), None
            except Exception as error:
                yield futures[future], None, f"{type(error).__name__}: {error}"


def _shard_tasks(out_dir: Path, fingerprint: str, data: DataConfig):
    """A `run_shards` that writes each shard in a datatrove task on `data`'s executor; yields once all are back."""
    work_dir = out_dir.resolve() / TASKS_DIR

    def run_shards(args: dict[int, tuple], workers: int):
        saved = {name: info for name, info in saved_results(work_dir, fingerprint).items() if (out_dir / name).exists()}
        units = {shard_name(index): (store.resolve(), out.resolve(), *rest)  # tasks may run in another folder
                 for index, (store, out, *rest) in args.items() if shard_name(index) not in saved}
        outcome = run_units(data, write_shard, units, work_dir, fingerprint, "extract stackexchange")
        results = {**saved, **outcome.results}
        for index in args:
            name = shard_name(index)
            yield index, results.get(name), outcome.failed.get(name)
        clear_units(work_dir, outcome)

    return run_shards


def _fill_summary(summary: StackExchangeSummary, manifest: JobManifest, scan: dict) -> None:
    skips = SkipLog(scan["skipped"])
    counts = scan["counts"]
    summary.rows_read = {"posts": counts["posts"], "users": counts["users"]}
    summary.questions_kept, summary.answers_kept = counts["questions_kept"], counts["answers_kept"]
    done = manifest.done
    for index in range(len(scan["starts"])):
        info = done.get(f"shard-{index:05d}")
        if info is None:
            continue
        summary.shards.append(shard_name(index))
        summary.threads_written += info["threads"]
        summary.answers_written += info["answers"]
        skips.merge(info["skipped"])
    summary.skipped = skips.to_dict()


def _write_summary(out_dir: Path, summary: StackExchangeSummary) -> None:
    if out_dir.is_dir():
        with contextlib.suppress(OSError) if summary.failed else contextlib.nullcontext():  # a full disk is reported
            atomic_write_json(out_dir / "summary.json", summary.to_dict())
