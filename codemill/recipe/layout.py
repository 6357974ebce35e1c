"""The run folder, `runs/<name>/` by default: the one place that knows where each stage reads and writes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunLayout:
    """Paths of one run. Stages receive the folders they need from it; nothing else spells them out."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    def extracted(self, source) -> Path:
        """A source's extracted folder: its own `extracted` key, else `extract/<name>`."""
        return source.extracted if source.extracted is not None else self.root / "extract" / source.name

    @property
    def dataset(self) -> Path:
        return self.root / "dataset"

    @property
    def dataset_work(self) -> Path:
        """The data build's resume state (datatrove's intermediate files, logs and completions)."""
        return self.root / "dataset.work"

    @property
    def synthesize(self) -> Path:
        """`codemill data synthesize`'s samples and drops."""
        return self.root / "synthesize"

    @property
    def synthesize_cache(self) -> Path:
        """Teacher replies; outside `dataset.work/`, so a changed filter or a new input file never throws them away."""
        return self.synthesize / "cache"

    @property
    def base_model(self) -> Path:
        """The base model built from `model.tiny`; absent for Hub or local models."""
        return self.root / "base_model"

    @property
    def finetune(self) -> Path:
        return self.root / "finetune"

    @property
    def adapter(self) -> Path:
        return self.finetune / "adapter"

    @property
    def eval(self) -> Path:
        return self.root / "eval"

    def eval_dir(self, which: str, benchmark: str) -> Path:
        """`which` is "base" or "finetuned"."""
        return self.eval / which / benchmark

    @property
    def compare(self) -> Path:
        return self.root / "compare"

    @property
    def report(self) -> Path:
        return self.root / "report.html"

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    @property
    def hash_cache(self) -> Path:
        return self.root / ".hash-cache.json"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def log(self, stage_key: str) -> Path:
        """Library output of one stage (`extract:py4e` -> `logs/extract-py4e.log`)."""
        return self.logs / f"{stage_key.replace(':', '-')}.log"
