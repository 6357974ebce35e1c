"""Which launcher, strategy and accelerate config `--gpus N` picks."""

from __future__ import annotations

import yaml

from codemill.finetune.launch import accelerate_config, launch_command, strategy
from tests.finetune.conftest import tiny_recipe


def test_qlora_uses_ddp_when_the_4bit_model_fits_one_gpu_and_fsdp_otherwise(tiny_run):
    qlora = tiny_recipe(tiny_run, method="qlora")
    assert strategy(qlora, gpu_memory_gb=16) == "ddp"  # the tiny model fits a T4 many times over
    assert strategy(qlora, gpu_memory_gb=0.001) == "fsdp"
    assert strategy(qlora, gpu_memory_gb=None) == "fsdp"  # nothing to compare with: shard
    assert strategy(tiny_recipe(tiny_run, method="lora"), gpu_memory_gb=0.001) == "ddp"
    assert strategy(tiny_recipe(tiny_run, distributed="fsdp"), gpu_memory_gb=80) == "fsdp"


def test_shipped_configs_are_valid_accelerate_yaml():
    for kind, expected in (("ddp", "MULTI_GPU"), ("fsdp", "FSDP")):
        config = yaml.safe_load(accelerate_config(kind).read_text())
        assert config["distributed_type"] == expected
    fsdp = yaml.safe_load(accelerate_config("fsdp").read_text())["fsdp_config"]
    assert fsdp["fsdp_state_dict_type"] == "FULL_STATE_DICT"  # every rank gathers a whole adapter to save


def test_fsdp_command_uses_fsdp_checkpointing_and_passes_the_flags(tmp_path):
    recipe = tiny_recipe(tmp_path, gradient_checkpointing=True)
    command = launch_command(tmp_path / "r.yaml", recipe, 2, resume=True, reset_optimizer=True, kind="fsdp", cuda=True)
    assert command[command.index("--fsdp_activation_checkpointing") + 1] == "true"
    assert command[-5:] == ["-m", "codemill.finetune.worker", str(tmp_path / "r.yaml"), "--resume", "--reset-optimizer"]
    cpu = launch_command(tmp_path / "r.yaml", recipe, 2, resume=False, cuda=False)
    assert "torch.distributed.run" in cpu and "--fsdp_activation_checkpointing" not in cpu
