"""`codemill run`'s two model stages: `run_base_model` (the tiny model a recipe builds) and `run_finetune`.

torch and transformers are imported when a stage runs, so importing the package stays light.
"""

from __future__ import annotations

import json
from pathlib import Path

from codemill.common.summary import Summary, set_aside
from codemill.recipe.finetune import ModelConfig


def run_base_model(model: ModelConfig, inputs: Path, out_dir: Path, *, force: bool, seed: int) -> Summary:
    """Build `model.tiny` into `out_dir`, its tokenizer trained on the dataset at `inputs`; kept when already
    built, unless `force` (then the earlier one is set aside as `<out_dir>.previous`)."""
    from codemill.finetune.base_model import ensure_tiny_model

    if model.tiny is None:
        raise ValueError("model: only a `tiny:` model is built by codemill; name_or_path models are read as they are")
    if force:
        set_aside(out_dir)
    built = ensure_tiny_model(model.tiny, Path(inputs), Path(out_dir), seed=seed)
    config = json.loads((built / "config.json").read_text(encoding="utf-8"))
    return Summary(counts={"vocab size": config.get("vocab_size", 0)}, outputs=[built])


def run_finetune(recipe, inputs: Path, out_dir: Path, *, force: bool, model: str) -> Summary:
    """Train the recipe's adapter (its `model` and `finetune` sections) on the dataset at `inputs` from the
    base `model` into `out_dir`; resumes from the last checkpoint unless `force`, which sets the earlier
    run aside. `finetune.gpus` > 1 starts one process per GPU (they read the recipe's run folder)."""
    out_dir = Path(out_dir)
    if force:
        set_aside(out_dir)
    if recipe.finetune.gpus > 1:
        from codemill.finetune.launch import launch_recipe

        if out_dir != recipe.layout.finetune:
            raise ValueError(f"finetune.gpus: the training processes write {recipe.layout.finetune}, not {out_dir}")
        launch_recipe(recipe, recipe.finetune.gpus, resume=not force)
    else:
        from codemill.finetune.train import finetune

        finetune(recipe, resume=not force, dataset_dir=Path(inputs), out_dir=out_dir, model_path=model)
    info_file = out_dir / "run_info.json"
    info = json.loads(info_file.read_text(encoding="utf-8")) if info_file.is_file() else {}
    counts = {key.replace("_", " "): info[key] for key in ("global_step", "train_rows") if key in info}
    return Summary(counts=counts, outputs=[out_dir])
