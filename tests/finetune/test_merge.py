"""Merging: the merged model's logits equal base + adapter logits."""

from __future__ import annotations

import json

import pytest
import torch
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import AutoModelForCausalLM, AutoTokenizer

from codemill.finetune.base_model import resolve_base_model
from codemill.finetune.merge import merge_adapter
from tests.finetune.conftest import tiny_recipe


def test_merged_logits_match_base_plus_adapter(tiny_run):
    base_path = resolve_base_model(tiny_recipe(tiny_run))
    torch.manual_seed(0)
    lora = LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", init_lora_weights=False)
    peft_model = get_peft_model(AutoModelForCausalLM.from_pretrained(base_path), lora)
    adapter = tiny_run / "finetune" / "adapter"
    peft_model.save_pretrained(adapter)
    AutoTokenizer.from_pretrained(base_path).save_pretrained(adapter)
    (tiny_run / "finetune" / "run_info.json").write_text(json.dumps({"base_model": base_path}))

    merged_dir = merge_adapter(tiny_run, tiny_run / "merged")
    merged = AutoModelForCausalLM.from_pretrained(merged_dir).eval()
    with_adapter = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base_path), str(adapter)).eval()
    plain_base = AutoModelForCausalLM.from_pretrained(base_path).eval()
    ids = torch.randint(5, 300, (2, 16))
    with torch.no_grad():
        expected, got, untouched = with_adapter(input_ids=ids).logits, merged(input_ids=ids).logits, plain_base(input_ids=ids).logits
    assert not torch.allclose(expected, untouched, atol=1e-3)  # the adapter does change the output
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)
    assert not any("lora" in name for name, _ in merged.named_parameters())


def test_merge_checks_ram_before_loading(tiny_run):
    from codemill.finetune.merge import base_bytes, check_ram

    base_path = resolve_base_model(tiny_recipe(tiny_run))
    size = base_bytes(base_path)
    assert size == sum(p.numel() for p in AutoModelForCausalLM.from_pretrained(base_path).parameters()) * 4
    check_ram(size, 2 * size, base_path)
    with pytest.raises(ValueError, match=r"needs about .* GiB of RAM and .* is available"):
        check_ram(size, size // 2, base_path)


def test_dequantized_merge_needs_a_gpu(tiny_run):
    if torch.cuda.is_available():
        pytest.skip("checks the CPU refusal")
    from codemill.finetune.merge import load_base

    with pytest.raises(ValueError, match="--dequantized: .*CUDA GPU"):
        load_base(resolve_base_model(tiny_recipe(tiny_run)), dequantized=True)
