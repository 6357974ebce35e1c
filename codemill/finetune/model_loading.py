"""Load the base model and tokenizer the way the recipe asks: dtype, 4-bit NF4, attention kernel."""

from __future__ import annotations

import importlib.util
import os

import torch
from peft import LoraConfig
from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig
from transformers.utils import is_flash_attn_2_available

from codemill.finetune.templates import apply_chat_template_choice
from codemill.models.saved import nf4_config, torch_dtype


def attention_kernel(setting: str, precision: str) -> str:
    """flash_attention_2 when installed on a GPU in 16-bit, sdpa otherwise (both honour packed position ids)."""
    if setting != "auto":
        return setting
    if torch.cuda.is_available() and precision != "fp32" and is_flash_attn_2_available():
        return "flash_attention_2"
    return "sdpa"


def quantization_config(method: str, precision: str) -> BitsAndBytesConfig | None:
    """4-bit NF4 with double quantisation for QLoRA; storage in the compute dtype so FSDP can shard it."""
    if method != "qlora":
        return None
    if not torch.cuda.is_available():
        raise ValueError("finetune.method: qlora needs a CUDA GPU (bitsandbytes 4-bit); use 'lora' on CPU")
    return nf4_config(torch_dtype(precision))


def load_model(recipe, model_path: str, precision: str, fsdp: bool = False):
    quant = quantization_config(recipe.finetune.method, precision)
    kwargs = {}
    if torch.cuda.is_available() and not fsdp:
        kwargs["device_map"] = {"": int(os.environ.get("LOCAL_RANK", 0))}
    model = AutoModelForCausalLM.from_pretrained(
        model_path,
        dtype=torch_dtype(precision),
        quantization_config=quant,
        attn_implementation=attention_kernel(recipe.model.attn_implementation, precision),
        trust_remote_code=recipe.model.trust_remote_code,
        **kwargs,
    )
    model.config.use_cache = False  # a KV cache turns off packed-sequence masking (and training never needs one)
    return model


def load_tokenizer(recipe, model_path: str, chat_data: bool):
    tokenizer = AutoTokenizer.from_pretrained(model_path, trust_remote_code=recipe.model.trust_remote_code)
    if chat_data:
        apply_chat_template_choice(tokenizer, recipe.model.chat_template)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


# peft's init_lora_weights for `lora.init`; PiSSA by a fast randomised SVD (seeded), LoftQ applied after loading
LORA_INIT = {"default": True, "gaussian": "gaussian", "pissa": "pissa_niter_16", "olora": "olora", "loftq": True}
# inits that rewrite the base weights: the adapter is saved converted, for the untouched base
CONVERTED_INITS = ("pissa", "olora")


def lora_config(finetune) -> LoraConfig:
    lora = finetune.lora
    return LoraConfig(
        init_lora_weights=LORA_INIT[lora.init],
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=lora.target_modules,
        use_rslora=lora.rslora,
        modules_to_save=lora.modules_to_save or None,
        use_dora=finetune.method == "dora",
        task_type="CAUSAL_LM",
    )


def adapter_in_compute_dtype(finetune, precision: str) -> bool:
    """bf16 adapter weights: what trl does for QLoRA anyway, and opt-in for LoRA in bf16 (fp16 needs fp32 masters)."""
    return finetune.method == "qlora" or (finetune.adapter_precision == "compute" and precision == "bf16")


def attach_adapter(model, finetune):
    """Wrap the model with its LoRA/DoRA adapter in the model's own dtype (peft would upcast it to fp32)."""
    from peft import get_peft_model

    return get_peft_model(model, lora_config(finetune), autocast_adapter_dtype=False)


def liger_available() -> bool:
    return importlib.util.find_spec("liger_kernel") is not None
