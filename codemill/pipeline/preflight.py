"""Check, in seconds, what a recipe needs before any heavy work starts, and report every problem at once.

Sources reachable (the file exists, or the url answers a HEAD request), free disk for the downloads,
the base model's config readable, the benchmarks loadable, a GPU with enough memory when the recipe
needs one, a usable wandb mode. Each problem is one line naming the recipe key and what to do.

The Hugging Face Hub is probed first with one short connection; when it does not answer, the process
(and every stage it starts) runs with `HF_HUB_OFFLINE=1`, so the hub clients read their cache instead of
waiting on retries.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from codemill.recipe.base import RecipeError
from codemill.recipe.sources import SourceConfig
from codemill.extract.fetch import FetchError, cache_root, probe
from codemill.common.hub import hub_offline
from codemill.extract.remote import remotes

PROBE_TIMEOUT_S = 4.0
GIB = 1024**3
STAGES = ("extract", "data", "finetune", "eval")


class PreflightError(RecipeError):
    """The recipe cannot run here; one line per problem."""


def hub_endpoint() -> str:
    return os.environ.get("HF_ENDPOINT") or "https://huggingface.co"


def hub_reachable(timeout: float = PROBE_TIMEOUT_S) -> bool:
    """One TCP connection to the Hub's endpoint; False at once when HF_HUB_OFFLINE is set."""
    if hub_offline():
        return False
    parts = urllib.parse.urlsplit(hub_endpoint())
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname or "", port), timeout=timeout).close()
        return True
    except OSError:
        return False


def settle_hub_mode() -> bool:
    """Probe the Hub; when it does not answer, set HF_HUB_OFFLINE=1 for this process and its children."""
    if hub_reachable():
        return True
    os.environ["HF_HUB_OFFLINE"] = "1"
    return False


def _is_local(name: str | Path | None) -> bool:
    return name is not None and (Path(name).exists() or str(name).startswith((".", "/", "~")))


def _source_problems(index: int, source: SourceConfig, online: bool) -> tuple[list[str], int]:
    """Problems with one source, and the bytes it still has to download."""
    key = f"sources[{index}]"
    if source.path is not None:
        extracted = source.extracted is not None and source.extracted.is_dir() and any(source.extracted.iterdir())
        if not source.path.exists() and not extracted:
            return [f"{key}.path: {source.path} does not exist; fix the path, or give the source as url: or site:"], 0
        return [], 0
    if source.dataset is not None:
        return _dataset_problems(key, source, online), 0
    problems, needed = [], 0
    for remote in remotes(source):
        if remote.target.is_file():
            continue
        try:
            needed += probe(remote.url, timeout=PROBE_TIMEOUT_S) or 0
        except FetchError as error:
            if source.site is not None:
                problems.append(f"{key}.site: cannot reach the {source.site} dump at {remote.url} ({error}); set "
                                "CODEMILL_STACKEXCHANGE_URL to a mirror, or give the dump as url: or path:")
            else:
                problems.append(f"{key}.url: cannot reach {remote.url} ({error}); check the address and the "
                                "connection, or download it yourself and give it as path:")
    return problems, needed


def _dataset_problems(key: str, source: SourceConfig, online: bool) -> list[str]:
    from huggingface_hub import HfApi, snapshot_download

    try:
        if online:
            HfApi().dataset_info(source.dataset, timeout=PROBE_TIMEOUT_S * 2)
        else:
            snapshot_download(source.dataset, repo_type="dataset", local_files_only=True)
    except Exception as error:  # hub errors come in many types; each becomes one line
        if not online:
            return [f"{key}.dataset: {source.dataset} is not in the Hugging Face cache and the Hub is unreachable; "
                    "connect to the internet once, or copy the dataset into the cache (HF_HOME)"]
        return [f"{key}.dataset: cannot read {source.dataset} on the Hub ({type(error).__name__}); check the name, "
                "and for a gated dataset accept its terms and run `hf auth login`"]
    return []


def _hub_file_problem(key: str, repo: str, filename: str, online: bool) -> str | None:
    """None when `filename` of the model `repo` is readable (a local folder, the cache, or the Hub)."""
    if _is_local(repo):
        if not (Path(repo) / filename).is_file():
            return f"{key}: {repo} has no {filename}; give a model folder saved with save_pretrained, or a Hub id"
        return None
    from huggingface_hub import hf_hub_download, try_to_load_from_cache

    cached = try_to_load_from_cache(repo, filename)
    if isinstance(cached, str):
        return None
    if not online:
        return (f"{key}: {repo}: {filename} is not in the Hugging Face cache and the Hub is unreachable; connect "
                f"once, or run `hf download {repo} {filename}` where there is internet and copy HF_HOME here")
    try:
        hf_hub_download(repo, filename, etag_timeout=PROBE_TIMEOUT_S * 2)
    except Exception as error:  # gated, missing, or a network failure: one line either way
        hint = "accept its licence on the Hub and run `hf auth login`" if "Gated" in type(error).__name__ else \
            "check the model id"
        return f"{key}: cannot read {filename} of {repo} ({type(error).__name__}); {hint}"
    return None


def _model_config_path(recipe) -> str | None:
    if recipe.model.tiny is not None or not recipe.model.name_or_path:
        return None
    name = recipe.model.name_or_path
    if _is_local(name):
        return str(Path(name) / "config.json")
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(name, "config.json")
    return cached if isinstance(cached, str) else None


def _benchmark_problems(recipe, stages: set[str]) -> list[str]:
    problems = []
    decont = recipe.data.decontamination
    if "data" in stages and decont.enabled and decont.benchmarks:
        from codemill.datasets.benchmarks import load_benchmarks

        try:
            load_benchmarks(recipe.data.decontamination)
        except Exception as error:  # the loader's own message names the key; anything else is wrapped
            problems.append(str(error) if isinstance(error, ValueError) else
                            f"data.decontamination: cannot load the benchmarks ({type(error).__name__}: {error})")
    if "eval" in stages:
        from codemill.benchmarks import load_benchmark

        for number, spec in enumerate(recipe.eval.benchmarks):
            try:
                load_benchmark(spec.name, spec.data_file, limit=1, config=spec.config, revision=spec.revision)
            except Exception as error:
                where = f"data_file {spec.data_file}" if spec.data_file else "the Hugging Face Hub"
                problems.append(f"eval.benchmarks[{number}]: cannot load {spec.name} from {where} "
                                f"({type(error).__name__}: {str(error)[:200]}); set data_file to a local copy")
        if recipe.eval.benchmarks:
            from codemill.sandbox import SandboxUnavailable, detect

            try:
                detect(recipe.eval.sandbox.backend)  # no sandbox, no eval: say so before training, not after
            except SandboxUnavailable as error:
                problems.append(f"eval.sandbox: {error}")
    return [line.split("\n")[0] for line in problems]


def needs_gpu(recipe) -> bool:
    """A real base model trains on a GPU; on a CPU only in fp32 (small models) and never 4-bit."""
    if recipe.model.tiny is not None:
        return False
    return recipe.finetune.method == "qlora" or recipe.finetune.precision != "fp32"


def cuda_devices() -> int:
    """CUDA GPUs torch can use; without an NVIDIA driver on the machine, 0 without importing torch."""
    if not any(Path("/dev").glob("nvidia[0-9]*")) and shutil.which("nvidia-smi") is None:
        return 0
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def _gpu_problems(recipe, config_path: str | None) -> list[str]:
    if not needs_gpu(recipe):
        return []
    count = cuda_devices()
    wanted = recipe.finetune.gpus
    if count == 0:
        return [f"finetune: {recipe.finetune.method} of {recipe.model.name_or_path} needs a CUDA GPU and none was "
                "found; run on a GPU machine (Colab: Runtime > Change runtime type > T4 GPU)"]
    if count < wanted:
        return [f"finetune.gpus: {wanted} GPUs asked for, {count} found; lower finetune.gpus or use a bigger machine"]
    if config_path is None:
        return []
    from codemill.finetune.estimate import estimate_recipe

    try:
        estimate = estimate_recipe(recipe, str(Path(config_path).parent), wanted)
    except Exception as error:  # the estimate is advice; a model it cannot read was reported above
        return [f"model.name_or_path: cannot estimate memory from {config_path} ({type(error).__name__}: {error})"]
    import torch

    smallest = min(torch.cuda.get_device_properties(i).total_memory for i in range(wanted))
    if estimate.per_gpu > smallest:
        return [f"finetune: the estimate is {estimate.per_gpu / GIB:.1f} GiB per GPU but the GPU has "
                f"{smallest / GIB:.1f} GiB; use method: qlora, a smaller batch_size or seq_len, or more GPUs "
                "(`codemill finetune RECIPE --estimate`)"]
    return []


def _wandb_problems(recipe) -> list[str]:
    mode = os.environ.get("WANDB_MODE") or recipe.finetune.wandb.mode
    key = "WANDB_MODE" if os.environ.get("WANDB_MODE") else "finetune.wandb.mode"
    if mode not in ("auto", "online", "offline", "disabled", "dryrun", "run"):
        return [f"{key}: unknown wandb mode {mode!r}; use online, offline or disabled"]
    if mode in ("disabled", "auto"):
        return []
    if importlib.util.find_spec("wandb") is None:
        return [f"{key}: {mode} needs the wandb package; pip install wandb, or set mode: disabled"]
    netrc = Path(os.environ.get("NETRC") or "~/.netrc").expanduser()
    logged_in = os.environ.get("WANDB_API_KEY") or (netrc.is_file() and "api.wandb.ai" in netrc.read_text(errors="ignore"))
    if mode in ("online", "run") and not logged_in:
        return [f"{key}: online needs a W&B login; set WANDB_API_KEY or run `wandb login`, or use mode: offline or auto"]
    return []


def _disk_problems(needed: int) -> list[str]:
    if not needed:
        return []
    folder = cache_root()
    probe_at = next((p for p in [folder, *folder.parents] if p.exists()), Path("/"))
    free = shutil.disk_usage(probe_at).free
    if free < needed * 1.1:
        return [f"sources: the downloads need {needed / GIB:.1f} GiB but {folder} has {free / GIB:.1f} GiB free; "
                "free some space or set CODEMILL_CACHE to a bigger disk"]
    return []


def uses_hub(recipe, stages: set[str]) -> bool:
    model = recipe.model.name_or_path
    decont = recipe.data.decontamination
    return any([
        any(source.dataset for source in recipe.sources) and "extract" in stages,
        model is not None and not _is_local(model) and stages & {"finetune", "eval"},
        "eval" in stages and any(spec.data_file is None for spec in recipe.eval.benchmarks),
        "data" in stages and decont.enabled and any(getattr(decont, f"{name}_path") is None for name in decont.benchmarks),
        "data" in stages and recipe.data.tokenizer is not None and not _is_local(recipe.data.tokenizer),
    ])


def check_recipe(recipe, stages: set[str] | None = None) -> list[str]:
    """Every problem that would stop `stages` of the recipe, as `key: what to do` lines (empty: all clear)."""
    stages = set(stages or STAGES)
    online = settle_hub_mode() if uses_hub(recipe, stages) else not hub_offline()
    problems: list[str] = []
    if "extract" in stages and recipe.sources:
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda item: _source_problems(item[0], item[1], online), enumerate(recipe.sources)))
        for found, _ in results:
            problems += found
        problems += _disk_problems(sum(needed for _, needed in results))
    if stages & {"finetune", "eval"} and recipe.model.name_or_path:
        problem = _hub_file_problem("model.name_or_path", recipe.model.name_or_path, "config.json", online)
        problems += [problem] if problem else []
    if "data" in stages and recipe.data.tokenizer:
        problem = _hub_file_problem("data.tokenizer", recipe.data.tokenizer, "tokenizer_config.json", online)
        problems += [problem] if problem else []
    problems += _benchmark_problems(recipe, stages)
    if "finetune" in stages:
        problems += _gpu_problems(recipe, _model_config_path(recipe))
        problems += _wandb_problems(recipe)
    return problems


def preflight(recipe, recipe_path: str | Path, stages: set[str] | None = None) -> None:
    """Raise PreflightError listing every problem (`<recipe>: <key>: <what to do>`), before anything starts."""
    problems = check_recipe(recipe, stages)
    if problems:
        lines = "\n".join(f"{recipe_path}: {line}" for line in problems)
        raise PreflightError(f"preflight: {len(problems)} problem(s), nothing was started:\n{lines}")
