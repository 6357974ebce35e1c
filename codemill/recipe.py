"""One recipe YAML drives every stage: sources, data, model, finetune and eval sections."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from codemill.config import RecipeError, StrictModel, read_yaml, validate_config
from codemill.datasets.config import DataConfig
from codemill.evals.config import EvalConfig
from codemill.extract.config import SourceConfig
from codemill.finetune.config import FinetuneConfig, ModelConfig


class Recipe(StrictModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    output_dir: Path | None = None  # default: runs/<name>
    sources: list[SourceConfig] = []
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    finetune: FinetuneConfig = FinetuneConfig()
    eval: EvalConfig = EvalConfig()

    @field_validator("sources")
    @classmethod
    def _unique_source_names(cls, sources: list[SourceConfig]) -> list[SourceConfig]:
        names = [source.name for source in sources]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"source names must be unique; repeated: {', '.join(repeated)}")
        return sources

    @property
    def run_dir(self) -> Path:
        return self.output_dir if self.output_dir is not None else Path("runs") / self.name


def load_recipe(path: str | Path) -> Recipe:
    """Read and validate a recipe file; any problem raises RecipeError naming the file and key."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise RecipeError(f"{path}: a recipe must be a mapping of sections, got {type(data).__name__}")
    return validate_config(Recipe, data, source=str(path))
