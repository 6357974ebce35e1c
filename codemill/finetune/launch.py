"""`--gpus N`: start N training processes with `accelerate launch` and one of the shipped configs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import torch

from codemill.finetune.estimate import uses_fsdp

ACCELERATE_CONFIGS = Path(__file__).parent / "accelerate"


def accelerate_config(finetune) -> Path:
    """FSDP for QLoRA (or when the recipe asks for it), DDP otherwise."""
    return ACCELERATE_CONFIGS / ("fsdp_qlora.yaml" if uses_fsdp(finetune) else "ddp.yaml")


def launch_command(recipe_path: Path, recipe, gpus: int, resume: bool, reset_optimizer: bool = False) -> list[str]:
    """accelerate on GPUs; torchrun (gloo DDP) on a CPU-only machine, where accelerate starts one process."""
    if torch.cuda.is_available():
        command = [sys.executable, "-m", "accelerate.commands.launch", "--config_file",
                   str(accelerate_config(recipe.finetune)), "--num_processes", str(gpus)]
    else:
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(gpus)]
    command += ["-m", "codemill.finetune.worker", str(recipe_path)]
    return command + (["--resume"] if resume else []) + (["--reset-optimizer"] if reset_optimizer else [])


def launch(recipe_path: Path, recipe, gpus: int, resume: bool, reset_optimizer: bool = False) -> int:
    """Run the distributed job to completion; returns its exit code."""
    if torch.cuda.is_available() and gpus > torch.cuda.device_count():
        raise ValueError(f"--gpus {gpus}: only {torch.cuda.device_count()} CUDA device(s) visible")
    return subprocess.call(launch_command(recipe_path, recipe, gpus, resume, reset_optimizer))
