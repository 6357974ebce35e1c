"""Which launcher and accelerate config `--gpus N` picks."""

from __future__ import annotations

from pathlib import Path

import yaml

from codemill.finetune.config import FinetuneConfig
from codemill.finetune.launch import accelerate_config, launch_command
from tests.finetune.conftest import tiny_recipe


def test_qlora_and_explicit_fsdp_use_the_fsdp_config():
    assert accelerate_config(FinetuneConfig(method="qlora")).name == "fsdp_qlora.yaml"
    assert accelerate_config(FinetuneConfig(method="lora", distributed="fsdp")).name == "fsdp_qlora.yaml"
    assert accelerate_config(FinetuneConfig(method="lora")).name == "ddp.yaml"


def test_shipped_configs_are_valid_accelerate_yaml():
    for name, kind in (("ddp.yaml", "MULTI_GPU"), ("fsdp_qlora.yaml", "FSDP")):
        config = yaml.safe_load((Path(accelerate_config(FinetuneConfig()).parent) / name).read_text())
        assert config["distributed_type"] == kind


def test_command_runs_the_worker_with_resume(tmp_path):
    command = launch_command(tmp_path / "r.yaml", tiny_recipe(tmp_path), 2, resume=True)
    assert command[-4:] == ["-m", "codemill.finetune.worker", str(tmp_path / "r.yaml"), "--resume"]
    assert "2" in command
