"""Per-step costs the recipe can turn down: trl's token metrics, and checkpointing of every layer.

trl's SFTTrainer asks its fused LM head for the entropy and the top-1 hit of every trained token and
reduces them to two logged numbers, with three host syncs per micro-batch. `LeanSFTTrainer` runs the
same fused head with the log-probabilities alone (the loss is the same sum) unless
`finetune.token_metrics` is on. `SelectiveCheckpointing` recomputes only the layers that
`finetune.checkpoint_layers` names.
"""

from __future__ import annotations

import torch
from transformers import TrainerCallback
from trl import SFTTrainer
from trl.trainer.utils import add_fused_lm_head

from codemill.common.console import console


class LeanSFTTrainer(SFTTrainer):
    """SFTTrainer whose per-token metrics are computed only when `token_metrics` is set."""

    def __init__(self, *args, token_metrics: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.token_metrics = token_metrics or not self._plain_loss()
        if token_metrics != self.token_metrics:
            console.print("note: this trainer setup needs trl's own loss path; token metrics stay on")
        if not self.token_metrics:
            model = self.model.get_base_model() if hasattr(self.model, "get_base_model") else self.model
            add_fused_lm_head(model, outputs=("log_probs",))

    def _plain_loss(self) -> bool:
        """The negative log-likelihood alone: no MoE aux loss, custom loss, label smoothing or sequence parallelism."""
        parallel = getattr(self.accelerator, "parallelism_config", None)
        return (not self.aux_loss_enabled and self.compute_loss_func is None and self.label_smoother is None
                and self.args.loss_type == "nll" and not (parallel is not None and parallel.sp_enabled))

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if self.token_metrics:
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        inputs["use_cache"] = False
        outputs = model(**inputs, fused_lm_head=True)
        num_tokens = outputs.label_mask.sum() if num_items_in_batch is None else num_items_in_batch
        loss = -outputs.log_probs.sum() / torch.as_tensor(num_tokens).clamp(min=1)
        if self.args.average_tokens_across_devices and num_items_in_batch is not None:
            loss = loss * (self.accelerator.num_processes // self.get_tp_size())
        if not return_outputs:
            return loss
        with torch.no_grad():
            logits = model(**{k: v for k, v in inputs.items() if k != "labels"})
        return loss, logits


def spread(count: int, total: int) -> list[int]:
    """`count` layer indices spread evenly over `total` layers."""
    return sorted({round(i * total / count) for i in range(count)}) if count else []


class SelectiveCheckpointing(TrainerCallback):
    """Keeps activation checkpointing on `layers` of the decoder layers only (the trainer turns it on for all).

    A layer left out keeps its activations and is not recomputed: less recomputation for the memory that
    `finetune.checkpoint_layers` allows.
    """

    def __init__(self, layers: int):
        self.layers = layers

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        blocks = checkpoint_blocks(model)
        keep = set(spread(min(self.layers, len(blocks)), len(blocks)))
        for index, block in enumerate(blocks):
            block.gradient_checkpointing = block.gradient_checkpointing and index in keep


def checkpoint_blocks(model) -> list:
    """The model's checkpointable decoder layers, in order."""
    from transformers.modeling_layers import GradientCheckpointingLayer

    return [module for module in model.modules() if isinstance(module, GradientCheckpointingLayer)]
