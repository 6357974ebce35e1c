"""The folders and settings one dataset build uses, as a plain picklable object."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from codemill.recipe.layout import RunLayout


@dataclass
class BuildPlan:
    """Where each stage reads and writes, plus the settings the final assembly needs."""

    run_dir: str
    data: dict  # the recipe's `data` section, as plain values
    sources: list[dict]  # name, type, weight, license, attribution of each source
    recipe_yaml: str  # the resolved recipe, shown in the dataset card
    stages: list[str] = field(default_factory=list)  # stage names in run order (their logs hold the counts)
    benchmark_sources: dict = field(default_factory=dict)  # decontamination benchmark -> what was read

    @property
    def dataset_dir(self) -> Path:
        return RunLayout(self.run_dir).dataset

    @property
    def work_dir(self) -> Path:
        return RunLayout(self.run_dir).dataset_work

    def folder(self, name: str) -> str:
        return str(self.work_dir / name)

    def logs(self, stage: str) -> str:
        return str(self.work_dir / "logs" / stage)
