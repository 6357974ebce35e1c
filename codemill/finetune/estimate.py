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
AUTO_BATCH_FILL = 0.85  # batch_size: auto fills at most this share of the budget (the estimate's target error is 15%)
AUTO_BATCH_MAX = 64


class AutoSizeError(ValueError):
    """`batch_size: auto` or `checkpoint_layers: auto` has no budget to fill, or nothing fits it; names the key."""


@dataclass(frozen=True)
class Constants:
    """The fitted part of the estimate (benchmarks/RESULTS.md lists the runs, which were fitted on and which held out).

    allocator_overhead: caching-allocator slack on top of live tensors. qlora_slack_per_token: 4-bit dequantisation
    buffers fragment the cache with the batch size. live_share: share of the per-layer upper bound that is live at
    once, by (adapter bytes, checkpointing); fp32 LoRA weights make peft keep fp32 copies of the layer inputs, bf16
    ones (QLoRA) do not. logits_bytes: per token and vocabulary entry, since trl's loss never holds the fp32 logits.
    """

    allocator_overhead: float = 1.035
    qlora_slack_per_token: float = 0.37 * GIB / 1024
    live_share: tuple[tuple[tuple[int, bool], float], ...] = (((4, True), 0.85), ((2, True), 0.5),
                                                              ((4, False), 0.47), ((2, False), 0.46))
    logits_bytes: float = 0.45

    def share(self, adapter_bytes: int, checkpointing: bool) -> float:
        return dict(self.live_share)[(adapter_bytes, checkpointing)]


FITTED = Constants()  # fitted on an H100 against torch's peak reserved memory


@dataclass
class MemoryEstimate:
    weights: float
    adapter: float
    saved_modules: float
    optimizer: float
    activations: float
    logits: float
    overhead: float
    per_gpu: float
    gpus: int
    fits_on: str | None
    batch_size: int
    trainable_params: int
    checkpointed_layers: int = 0
    layers: int = 0

    def lines(self) -> list[str]:
        parts = ["weights", "adapter", "saved_modules", "optimizer", "activations", "logits", "overhead"]
        rows = [f"{name:<14}{_size(getattr(self, name))}" for name in parts]
        rows.append(f"{'total/GPU':<14}{_size(self.per_gpu)}  ({self.gpus} GPU{'s' if self.gpus > 1 else ''})")
        rows.append(f"trainable parameters: {self.trainable_params / 1e6:,.1f} M")
        rows.append(f"smallest common GPU that fits: {self.fits_on or 'none (needs more GPUs, QLoRA or a shorter seq_len)'}")
        return rows


def _size(num_bytes: float) -> str:
    return f"{num_bytes / GIB:8.2f} GiB" if num_bytes >= GIB / 10 else f"{num_bytes / 2**20:8.1f} MiB"


def meta_model(config) -> nn.Module:
    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(config)


def _named(name: str, names) -> bool:
    """peft's rule for a module list: the last dotted part, or the whole tail of the name, matches."""
    return any(name == key or name.endswith("." + key) for key in names)


def _targeted(name: str, targets) -> bool:
    if name.endswith("lm_head"):
        return False
    return targets == "all-linear" or name.split(".")[-1] in targets


def count_parameters(model: nn.Module, targets, rank: int, dora: bool, modules_to_save=()) -> dict[str, int]:
    """Parameters in LoRA-wrapped linears, everything else, the adapter's own size, and the trained full copies.

    peft wraps every module named in `modules_to_save` with a trainable copy of its weights, so each one counts
    in full even when the base ties it to another (embeddings and output layer).
    """
    linear = adapter = saved = 0
    seen = set()
    for name, module in model.named_modules():
        if modules_to_save and _named(name, modules_to_save):
            saved += sum(p.numel() for p in module.parameters())
        elif isinstance(module, nn.Linear) and _targeted(name, targets):
            linear += module.weight.numel()
            adapter += rank * (module.in_features + module.out_features) + (module.out_features if dora else 0)
            seen.add(id(module.weight))
    other = sum(p.numel() for p in model.parameters() if id(p) not in seen)
    return {"linear": linear, "other": other, "adapter": adapter, "saved": saved}


_COUNTS: dict[tuple, dict[str, int]] = {}


def _cached_counts(config, targets, rank: int, dora: bool, modules_to_save: tuple) -> dict[str, int]:
    """count_parameters of the config's meta model, remembered (building a 7B model on `meta` takes a while)."""
    key = (config.to_json_string(use_diff=False), str(targets), rank, dora, modules_to_save)
    if key not in _COUNTS:
        _COUNTS[key] = count_parameters(meta_model(config), targets, rank, dora, modules_to_save)
    return _COUNTS[key]


def activation_bytes_per_token_layer(config, dropout: bool) -> float:
    """What one decoder layer keeps for backward, per token, in 16-bit (fp32 inside the RMSNorms)."""
    hidden, inter = config.hidden_size, config.intermediate_size
    kv = config.num_key_value_heads * (hidden // config.num_attention_heads)
    norms = 2 * 10 * hidden
    attention = 2 * (4 * hidden + 4 * kv) + 2 * hidden
    mlp = 2 * (hidden + 5 * inter)
    lora_inputs = 4 * (5 * hidden + 2 * inter) if dropout else 0
    return norms + attention + mlp + lora_inputs


def checkpointed_layers(config, finetune, override: int | None = None) -> int:
    """How many decoder layers checkpointing covers: none when off, all by default, or `checkpoint_layers`."""
    if not finetune.gradient_checkpointing:
        return 0
    chosen = override if override is not None else finetune.checkpoint_layers
    if chosen == "auto":
        raise ValueError("finetune.checkpoint_layers: auto must be resolved before estimating")
    return config.num_hidden_layers if chosen is None else min(chosen, config.num_hidden_layers)


def estimate_memory(config, finetune, gpus: int = 1, bytes_per_weight: int = 2, *, batch_size: int | None = None,
                    fused_loss: bool | None = None, constants: Constants = FITTED,
                    checkpoint_layers: int | None = None) -> MemoryEstimate:
    """Peak memory per GPU for `finetune` (a FinetuneConfig) on a model described by `config`.

    `batch_size` and `checkpoint_layers` override the recipe's (needed when they are `auto`); `fused_loss` says
    whether Liger's fused loss runs (default: the recipe asks for it and liger-kernel is installed here).
    """
    batch = batch_size or finetune.batch_size
    if not isinstance(batch, int):
        raise ValueError("finetune.batch_size: auto must be resolved before estimating (see choose_batch_size)")
    checkpointed = checkpointed_layers(config, finetune, checkpoint_layers)
    lora = finetune.lora
    counts = _cached_counts(config, lora.target_modules, lora.r, finetune.method == "dora", tuple(lora.modules_to_save))
    qlora = finetune.method == "qlora"
    weights = (counts["other"] - counts["saved"]) * bytes_per_weight
    weights += counts["linear"] * (NF4_BYTES_PER_PARAM if qlora else bytes_per_weight)
    sharded = gpus > 1 and uses_fsdp(finetune)
    adapter_dtype = 2 if qlora or finetune.adapter_precision == "compute" else 4
    adapter = counts["adapter"] * adapter_dtype * 2  # weights + gradients
    optimizer_bytes = 2 if "8bit" in finetune.optimizer else 8
    optimizer = counts["adapter"] * optimizer_bytes
    # each saved module: the frozen original, its trainable copy and the copy's gradient, all in the base dtype,
    # and the optimizer's two moments in the copy's dtype (or 8-bit)
    saved = counts["saved"] * bytes_per_weight * 3
    optimizer += counts["saved"] * (optimizer_bytes if optimizer_bytes == 2 else 2 * bytes_per_weight)
    if sharded:
        weights /= gpus
    tokens = batch * finetune.seq_len
    per_token_layer = activation_bytes_per_token_layer(config, lora.dropout > 0) * tokens
    layers = config.num_hidden_layers
    # a checkpointed layer keeps only its input, plus one layer live at a time while it is recomputed; the
    # others keep everything (the two regimes' live shares were fitted separately; a mix is their sum)
    activations = (layers - checkpointed) * per_token_layer * constants.share(adapter_dtype, False)
    if checkpointed:
        activations += checkpointed * tokens * config.hidden_size * 2
        activations += per_token_layer * constants.share(adapter_dtype, True)
    fused = finetune.liger_kernel and liger_available() if fused_loss is None else fused_loss
    logits = logits_bytes(tokens, config.vocab_size, fused, constants)
    live = weights + adapter + saved + optimizer + activations + logits
    overhead = tokens * constants.qlora_slack_per_token if qlora else live * (constants.allocator_overhead - 1)
    per_gpu = live + overhead
    return MemoryEstimate(weights, adapter, saved, optimizer, activations, logits, overhead, per_gpu, gpus,
                          smallest_fitting_gpu(per_gpu), batch, counts["adapter"] + counts["saved"], checkpointed, layers)


def logits_bytes(tokens: int, vocab: int, fused: bool, constants: Constants = FITTED) -> float:
    """What the loss adds on top of the hidden states; a fused (Liger) loss never builds the logits."""
    return 0.0 if fused else tokens * vocab * constants.logits_bytes


def uses_fsdp(finetune) -> bool:
    """FSDP when asked for, or by default for QLoRA (whose 4-bit base is sharded rather than copied)."""
    return finetune.distributed == "fsdp" or (finetune.distributed == "auto" and finetune.method == "qlora")


def smallest_fitting_gpu(per_gpu_bytes: float) -> str | None:
    for name, usable in COMMON_GPUS:
        if per_gpu_bytes <= usable * GIB:
            return name
    return None


def memory_budget(finetune) -> tuple[float, str] | None:
    """The bytes `batch_size: auto` may fill and where that figure comes from, or None when nothing says."""
    if finetune.gpu_memory_gb:
        return finetune.gpu_memory_gb * GIB, "finetune.gpu_memory_gb"
    if torch.cuda.is_available():
        properties = torch.cuda.get_device_properties(0)
        return float(properties.total_memory), f"the {properties.name}'s memory"
    return None


def choose_batch_size(config, finetune, budget_bytes: float, gpus: int = 1, **options) -> int:
    """The largest packed batch whose estimated peak stays within AUTO_BATCH_FILL of the budget (0: none fits).

    The estimate is affine in the batch (everything but the weights and optimizer grows with the tokens), so two
    evaluations give the answer.
    """
    one = estimate_memory(config, finetune, gpus, batch_size=1, **options).per_gpu
    per_row = estimate_memory(config, finetune, gpus, batch_size=2, **options).per_gpu - one
    room = budget_bytes * AUTO_BATCH_FILL - one
    if room < 0:
        return 0
    return min(1 + int(room // per_row), AUTO_BATCH_MAX)


def resolve_batch_size(config, finetune, gpus: int = 1, **options) -> tuple[int, str]:
    """The recipe's batch size, choosing it for `auto`, and a line saying why; AutoSizeError names the key."""
    if finetune.batch_size != "auto":
        return finetune.batch_size, f"batch {finetune.batch_size} (finetune.batch_size)"
    budget = memory_budget(finetune)
    if budget is None:
        raise AutoSizeError("finetune.batch_size: auto chooses the batch from GPU memory, and there is no GPU here; "
                         "set finetune.gpu_memory_gb to the memory to fill, or give batch_size as a number")
    budget_bytes, source = budget
    batch = choose_batch_size(config, finetune, budget_bytes, gpus, **options)
    if batch == 0:
        need = estimate_memory(config, finetune, gpus, batch_size=1, **options).per_gpu
        raise AutoSizeError(f"finetune.batch_size: auto: batch 1 already needs an estimated {need / GIB:.1f} GiB per GPU, "
                         f"more than {AUTO_BATCH_FILL:.0%} of {source} ({budget_bytes / GIB:.1f} GiB); "
                         "use method: qlora, a shorter seq_len or more GPUs")
    return batch, (f"batch {batch} (finetune.batch_size: auto, the largest whose estimate stays within "
                   f"{AUTO_BATCH_FILL:.0%} of {source}, {budget_bytes / GIB:.1f} GiB)")


def resolve_checkpoint_layers(config, finetune, gpus: int = 1, **options) -> tuple[int | None, str]:
    """The layers to checkpoint (None: all, or checkpointing off), choosing for `auto` the fewest whose estimate
    stays within AUTO_BATCH_FILL of the budget; with a line saying why. AutoSizeError names the key."""
    if finetune.checkpoint_layers != "auto" or not finetune.gradient_checkpointing:
        chosen = finetune.checkpoint_layers if finetune.gradient_checkpointing else None
        return chosen, f"checkpointing {checkpointed_layers(config, finetune, chosen)} of {config.num_hidden_layers} layers"
    budget = memory_budget(finetune)
    if budget is None:
        raise AutoSizeError("finetune.checkpoint_layers: auto fits the layers to GPU memory, and there is no GPU here; "
                            "set finetune.gpu_memory_gb, or give checkpoint_layers as a number")
    budget_bytes, source = budget
    layers = config.num_hidden_layers
    for count in range(layers + 1):
        if estimate_memory(config, finetune, gpus, checkpoint_layers=count, **options).per_gpu <= AUTO_BATCH_FILL * budget_bytes:
            return count, (f"checkpointing {count} of {layers} layers (finetune.checkpoint_layers: auto, the fewest "
                           f"whose estimate stays within {AUTO_BATCH_FILL:.0%} of {source}, {budget_bytes / GIB:.1f} GiB)")
    raise AutoSizeError(f"finetune.checkpoint_layers: auto: even with every layer checkpointed the estimate exceeds "
                        f"{AUTO_BATCH_FILL:.0%} of {source} ({budget_bytes / GIB:.1f} GiB); lower finetune.batch_size "
                        "or seq_len, or use method: qlora")


def estimate_recipe(recipe, model_path: str, gpus: int | None = None) -> MemoryEstimate:
    """Read only the model's config (hub or folder) and estimate the recipe's peak memory per GPU.

    With `batch_size: auto` or `checkpoint_layers: auto` the estimate is for what would be chosen.
    """
    config = AutoConfig.from_pretrained(model_path, trust_remote_code=recipe.model.trust_remote_code)
    world = gpus or recipe.finetune.gpus
    batch, _ = resolve_batch_size(config, recipe.finetune, world)
    layers, _ = resolve_checkpoint_layers(config, recipe.finetune, world, batch_size=batch)
    return estimate_memory(config, recipe.finetune, world, batch_size=batch, checkpoint_layers=layers)


def recipe_batch_size(recipe, model_path: str, gpus: int = 1) -> tuple[int, str]:
    """The per-device batch to train with (chosen for `auto`) and a line saying why; ValueError naming the key."""
    if recipe.finetune.batch_size != "auto":
        return recipe.finetune.batch_size, f"batch {recipe.finetune.batch_size} (finetune.batch_size)"
    config = AutoConfig.from_pretrained(model_path, trust_remote_code=recipe.model.trust_remote_code)
    return resolve_batch_size(config, recipe.finetune, gpus)


def recipe_checkpoint_layers(recipe, model_path: str, batch: int, gpus: int = 1) -> tuple[int | None, str]:
    """The decoder layers to checkpoint at `batch` (None: all, or none when off) and a line saying why."""
    config = AutoConfig.from_pretrained(model_path, trust_remote_code=recipe.model.trust_remote_code)
    return resolve_checkpoint_layers(config, recipe.finetune, gpus, batch_size=batch)
