"""`codemill finetune push RUN_DIR --repo-id ID`: the adapter (and a merged model) to the Hugging Face Hub,
each with a model card naming the base, the data sources and their licences, and the eval results."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from huggingface_hub import EvalResult, HfApi, ModelCard, ModelCardData

from codemill.finetune.merge import adapter_base, find_adapter
from codemill.recipe.layout import RunLayout

BENCHMARK_NAMES = {"humaneval": ("openai_humaneval", "HumanEval"), "mbpp": ("mbpp", "MBPP")}


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def eval_scores(run_dir: Path) -> dict[str, dict[str, dict[str, float]]]:
    """`{benchmark: {"base"|"finetuned": {"pass@1": x, ...}}}` from the run's eval/*/*/results.json."""
    scores: dict[str, dict[str, dict[str, float]]] = {}
    for results in sorted(RunLayout(run_dir).eval.glob("*/*/results.json")):
        which, benchmark = results.parent.parent.name, results.parent.name
        passk = _read_json(results).get("pass_at_k") or {}
        if passk:
            scores.setdefault(benchmark, {})[which] = passk
    return scores


def data_sources(run_dir: Path) -> list[dict]:
    """The recipe's sources with their licences (stated, else those found in the records)."""
    layout = RunLayout(run_dir)
    recipe = yaml.safe_load((layout.finetune / "recipe.yaml").read_text(encoding="utf-8")) or {}
    found = _read_json(layout.dataset / "stats.json").get("licenses_by_source", {})
    return [{"name": s.get("name"), "type": s.get("type"), "path": str(s.get("path", "")),
             "license": s.get("license") or ", ".join(found.get(s.get("name"), [])) or "not stated: check before use",
             "attribution": s.get("attribution") or "per record"} for s in recipe.get("sources", [])]


def model_card(run_dir: Path, repo_id: str, merged: bool) -> ModelCard:
    """The card of the adapter (`merged=False`) or of the merged model."""
    adapter = find_adapter(run_dir)
    info = _read_json(adapter.parent / "run_info.json")
    base = adapter_base(adapter)
    scores = eval_scores(run_dir)
    results = [EvalResult(task_type="text-generation", dataset_type=BENCHMARK_NAMES.get(b, (b, b))[0],
                          dataset_name=BENCHMARK_NAMES.get(b, (b, b))[1], metric_type=k, metric_value=v)
               for b, by_model in scores.items() for k, v in by_model.get("finetuned", {}).items()]
    data = ModelCardData(base_model=base, library_name="transformers" if merged else "peft",
                         tags=["codemill", info.get("method", "lora"), "code"], model_name=repo_id,
                         eval_results=results or None)
    sources = data_sources(run_dir)
    lines = [
        f"# {repo_id}", "",
        f"{'A merged model' if merged else 'A ' + info.get('method', 'LoRA').upper() + ' adapter'} fine-tuned from "
        f"`{base}` by codemill on {info.get('train_rows', '?')} training rows ({info.get('format', 'chat')} format, "
        f"{info.get('global_step', '?')} steps, {info.get('precision', '?')}).", "",
        "The saved `generation_config.json` stops on every end-of-turn id of the chat template "
        f"({info.get('stop_token_ids')}).", "",
        "## Data sources and licences", "",
        "| source | type | licence | attribution |", "|---|---|---|---|",
        *[f"| {s['name']} | {s['type']} | {s['license']} | {s['attribution']} |" for s in sources],
        "", "The base model's own licence applies too: see its model card.", "",
        "## Evaluation", "",
    ]
    if scores:
        lines += ["| benchmark | metric | base | fine-tuned |", "|---|---|---|---|"]
        for benchmark, by_model in scores.items():
            for metric in sorted(set(by_model.get("base", {})) | set(by_model.get("finetuned", {}))):
                cells = [f"{by_model[m][metric]:.3f}" if metric in by_model.get(m, {}) else "–" for m in ("base", "finetuned")]
                lines.append(f"| {benchmark} | {metric} | {cells[0]} | {cells[1]} |")
    else:
        lines.append("Not evaluated yet (`codemill eval` or `codemill run` writes eval/*/*/results.json).")
    return ModelCard.from_template(data, template_str="---\n{{ card_data }}\n---\n\n" + "\n".join(lines) + "\n")


def push_folder(api: HfApi, folder: Path, repo_id: str, card: ModelCard, private: bool) -> str:
    """Write the card into `folder` and upload it all to `repo_id` (created when missing); returns the repo URL."""
    card.save(folder / "README.md")
    url = api.create_repo(repo_id, private=private, exist_ok=True)
    api.upload_folder(repo_id=repo_id, folder_path=str(folder), commit_message="codemill: upload fine-tune")
    return str(url)


def push_run(run_dir: str | Path, repo_id: str, merged_dir: str | Path | None = None,
             merged_repo_id: str | None = None, private: bool = True, endpoint: str | None = None) -> list[str]:
    """Push the adapter (and the merged folder, when given) with their cards; returns the repo URLs."""
    from huggingface_hub.errors import HfHubHTTPError, LocalTokenNotFoundError, OfflineModeIsEnabled

    run_dir = Path(run_dir)
    adapter = find_adapter(run_dir)
    if merged_dir is not None and not (Path(merged_dir) / "config.json").exists():
        raise ValueError(f"{merged_dir}: no merged model here (run `codemill finetune merge RUN_DIR -o DIR` first)")
    api = HfApi(endpoint=endpoint)
    targets = [(adapter, repo_id, False)]
    if merged_dir is not None:
        targets.append((Path(merged_dir), merged_repo_id or f"{repo_id}-merged", True))
    try:
        return [push_folder(api, folder, repo, model_card(run_dir, repo, merged), private)
                for folder, repo, merged in targets]
    except OfflineModeIsEnabled:
        raise ValueError("push to the hub: HF_HUB_OFFLINE is set; unset it to upload (the model cards are written "
                         f"to {', '.join(str(f / 'README.md') for f, _, _ in targets)})") from None
    except (HfHubHTTPError, LocalTokenNotFoundError, OSError) as error:
        raise ValueError(f"push to the hub failed: {error} (log in with `hf auth login` or set HF_TOKEN)") from None
