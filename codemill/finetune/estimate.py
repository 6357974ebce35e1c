"""Predict peak GPU memory of a recipe from the model config alone (meta device: no weights loaded).

The model is instantiated on the `meta` device to count parameters and the shapes of the linear layers
LoRA wraps; the activation terms follow what autograd keeps per token and layer in a llama-style block.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from transformers import AutoConfig, AutoModelForCausalLM

from codemill.finetune.model_loading import liger_available

GIB = 1024**3
# (name, usable GiB): the nominal size less what the driver and CUDA context keep
COMMON_GPUS = [("T4 16GB", 14.6), ("L4 24GB", 21.9), ("A10 24GB", 21.9), ("A100 40GB", 38.9),
               ("A100 80GB", 78.5), ("H100 80GB", 78.5)]
NF4_BYTES_PER_PARAM = 0.5 + 1 / 64 + 4 / (64 * 256)  # 4-bit codes + 8-bit absmax per 64 + fp32 per 256 blocks
# Fitted on an H100 against torch's peak reserved memory (benchmarks/RESULTS.md lists the runs):
ALLOCATOR_OVERHEAD = 1.035  # caching-allocator slack on top of live tensors
QLORA_SLACK_PER_TOKEN = 0.37 * GIB / 1024  # 4-bit dequantisation buffers fragment the cache with the batch size
# Share of the per-layer upper bound below that is live at once, by (adapter bytes, checkpointing):
# fp32 LoRA weights make peft keep fp32 copies of the layer inputs, bf16 ones (QLoRA) do not.
LIVE_SHARE = {(4, True): 0.85, (2, True): 0.5, (4, False): 0.47, (2, False): 0.46}
TRL_LOGITS_BYTES = 0.45  # per token and vocabulary entry: trl's loss never holds the full fp32 logits


@dataclass
class MemoryEstimate:
    weights: float
    adapter: float
    optimizer: float
    activations: float
    logits: float
    overhead: float
    per_gpu: float
    gpus: int
    fits_on: str | None

    def lines(self) -> list[str]:
        parts = ["weights", "adapter", "optimizer", "activations", "logits", "overhead"]
        rows = [f"{name:<12}{_size(getattr(self, name))}" for name in parts]
        rows.append(f"{'total/GPU':<12}{_size(self.per_gpu)}  ({self.gpus} GPU{'s' if self.gpus > 1 else ''})")
        rows.append(f"smallest common GPU that fits: {self.fits_on or 'none (needs more GPUs, QLoRA or a shorter seq_len)'}")
        return rows


def _size(num_bytes: float) -> str:
    return f"{num_bytes / GIB:8.2f} GiB" if num_bytes >= GIB / 10 else f"{num_bytes / 2**20:8.1f} MiB"


def meta_model(config) -> nn.Module:
    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(config)


def _targeted(name: str, targets) -> bool:
    if name.endswith("lm_head"):
        return False
    return targets == "all-linear" or name.split(".")[-1] in targets


def count_parameters(model: nn.Module, targets, rank: int, dora: bool) -> dict[str, int]:
    """Parameters in LoRA-wrapped linears, everything else, and the adapter's own size."""
    linear = other = adapter = 0
    seen = set()
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear) and _targeted(name, targets):
            linear += module.weight.numel()
            adapter += rank * (module.in_features + module.out_features) + (module.out_features if dora else 0)
            seen.add(id(module.weight))
    other = sum(p.numel() for p in model.parameters() if id(p) not in seen)
    return {"linear": linear, "other": other, "adapter": adapter}


def activation_bytes_per_token_layer(config, dropout: bool) -> float:
    """What one decoder layer keeps for backward, per token, in 16-bit (fp32 inside the RMSNorms)."""
    hidden, inter = config.hidden_size, config.intermediate_size
    kv = config.num_key_value_heads * (hidden // config.num_attention_heads)
    norms = 2 * 10 * hidden
    attention = 2 * (4 * hidden + 4 * kv) + 2 * hidden
    mlp = 2 * (hidden + 5 * inter)
    lora_inputs = 4 * (5 * hidden + 2 * inter) if dropout else 0
    return norms + attention + mlp + lora_inputs


def estimate_memory(config, finetune, gpus: int = 1, bytes_per_weight: int = 2) -> MemoryEstimate:
    """Peak memory per GPU for `finetune` (a FinetuneConfig) on a model described by `config`."""
    lora = finetune.lora
    counts = count_parameters(meta_model(config), lora.target_modules, lora.r, finetune.method == "dora")
    qlora = finetune.method == "qlora"
    weights = counts["other"] * bytes_per_weight + counts["linear"] * (NF4_BYTES_PER_PARAM if qlora else bytes_per_weight)
    sharded = gpus > 1 and uses_fsdp(finetune)
    if sharded:
        weights /= gpus
    adapter_dtype = 2 if qlora or finetune.adapter_precision == "compute" else 4
    adapter = counts["adapter"] * adapter_dtype * 2  # weights + gradients
    optimizer = counts["adapter"] * (2 if "8bit" in finetune.optimizer else 8)
    tokens = finetune.batch_size * finetune.seq_len
    share = LIVE_SHARE[(adapter_dtype, finetune.gradient_checkpointing)]
    per_layer = activation_bytes_per_token_layer(config, lora.dropout > 0) * tokens * share
    layers = config.num_hidden_layers
    if finetune.gradient_checkpointing:
        activations = layers * tokens * config.hidden_size * 2 + per_layer
    else:
        activations = layers * per_layer
    logits = logits_bytes(tokens, config.vocab_size, finetune.liger_kernel and liger_available())
    live = weights + adapter + optimizer + activations + logits
    overhead = tokens * QLORA_SLACK_PER_TOKEN if qlora else live * (ALLOCATOR_OVERHEAD - 1)
    per_gpu = live + overhead
    return MemoryEstimate(weights, adapter, optimizer, activations, logits, overhead, per_gpu, gpus,
                          smallest_fitting_gpu(per_gpu))


def logits_bytes(tokens: int, vocab: int, fused: bool) -> float:
    """What the loss adds on top of the hidden states; a fused (Liger) loss never builds the logits."""
    return 0.0 if fused else tokens * vocab * TRL_LOGITS_BYTES


def uses_fsdp(finetune) -> bool:
    """FSDP when asked for, or by default for QLoRA (whose 4-bit base is sharded rather than copied)."""
    return finetune.distributed == "fsdp" or (finetune.distributed == "auto" and finetune.method == "qlora")


def smallest_fitting_gpu(per_gpu_bytes: float) -> str | None:
    for name, usable in COMMON_GPUS:
        if per_gpu_bytes <= usable * GIB:
            return name
    return None


def estimate_recipe(recipe, model_path: str, gpus: int | None = None) -> MemoryEstimate:
    """Read only the model's config (hub or folder) and estimate the recipe's peak memory per GPU."""
    config = AutoConfig.from_pretrained(model_path, trust_remote_code=recipe.model.trust_remote_code)
    return estimate_memory(config, recipe.finetune, gpus or recipe.finetune.gpus)
