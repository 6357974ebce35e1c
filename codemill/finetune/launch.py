"""`--gpus N`: start N training processes with `accelerate launch` and one of the shipped configs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

ACCELERATE_CONFIGS = Path(__file__).parent / "accelerate"
GIB = 1024**3


def strategy(recipe, gpu_memory_gb: float | None) -> str:
    """'ddp' or 'fsdp'. `auto`: DDP (one full copy per GPU, no gather per layer) unless a QLoRA model does
    not fit one GPU of `gpu_memory_gb` (the recipe's `gpu_memory_gb` wins); then FSDP shards it."""
    ft = recipe.finetune
    if ft.distributed != "auto":
        return ft.distributed
    if ft.method != "qlora":
        return "ddp"
    limit = ft.gpu_memory_gb or gpu_memory_gb
    if limit is None:
        return "fsdp"
    from codemill.finetune.base_model import resolve_base_model
    from codemill.finetune.estimate import estimate_recipe

    try:
        single = estimate_recipe(recipe, resolve_base_model(recipe), gpus=1)
    except (OSError, ValueError):
        return "fsdp"
    return "ddp" if single.per_gpu <= limit * GIB else "fsdp"


def accelerate_config(kind: str) -> Path:
    return ACCELERATE_CONFIGS / ("fsdp_qlora.yaml" if kind == "fsdp" else "ddp.yaml")


def fsdp_launched() -> bool:
    """True inside a process that `accelerate launch` started with an FSDP config."""
    return os.environ.get("ACCELERATE_USE_FSDP", "false").lower() in ("true", "1")


def launch_command(recipe_path: Path, recipe, gpus: int, resume: bool, reset_optimizer: bool = False,
                   kind: str = "ddp", cuda: bool | None = None) -> list[str]:
    """accelerate on GPUs; torchrun (gloo DDP) on a CPU-only machine, where accelerate starts one process.

    Under FSDP, checkpointing is FSDP's own (it wraps each decoder layer); the trainer's is then turned off."""
    if torch.cuda.is_available() if cuda is None else cuda:
        command = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(accelerate_config(kind)),
                   "--num_processes", str(gpus)]
        if kind == "fsdp":
            command += ["--fsdp_activation_checkpointing", str(recipe.finetune.gradient_checkpointing).lower()]
    else:
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(gpus)]
    command += ["-m", "codemill.finetune.worker", str(recipe_path)]
    return command + (["--resume"] if resume else []) + (["--reset-optimizer"] if reset_optimizer else [])


def launch(recipe, gpus: int, resume: bool, reset_optimizer: bool = False) -> int:
    """Run the distributed job to completion; returns its exit code.

    The workers read the validated recipe (with any `--set` overrides) written into the run folder,
    never the user's file again."""
    from codemill.finetune.outputs import write_recipe

    if torch.cuda.is_available() and gpus > torch.cuda.device_count():
        raise ValueError(f"--gpus {gpus}: only {torch.cuda.device_count()} CUDA device(s) visible")
    memory = torch.cuda.get_device_properties(0).total_memory / GIB if torch.cuda.is_available() else None
    kind = strategy(recipe, memory)
    path = Path(recipe.run_dir) / "finetune-launch.yaml"
    write_recipe(recipe, path)
    return subprocess.call(launch_command(path, recipe, gpus, resume, reset_optimizer, kind=kind))


def launch_recipe(recipe, gpus: int, resume: bool) -> None:
    """`codemill run`'s finetune stage with `finetune.gpus` > 1."""
    from codemill.finetune.train import FinetuneError

    code = launch(recipe, gpus, resume)
    if code != 0:
        raise FinetuneError(f"distributed training ({gpus} processes) exited with status {code}; its log is above")
