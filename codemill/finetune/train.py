"""`finetune(recipe)`: the recipe's dataset -> a LoRA/QLoRA/DoRA adapter in `<run_dir>/finetune/`.

trl's SFTTrainer does the training; this module only turns the recipe into its arguments, guards the
run (fit warning, NaN stop, no silent overwrite) and writes the outputs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import torch
from accelerate import PartialState
from transformers import EarlyStoppingCallback, PrinterCallback, set_seed
from transformers.trainer_utils import get_last_checkpoint
from trl import SFTConfig

from codemill.common.atomic import atomic_write_json
from codemill.common.console import console
from codemill.finetune.base_model import resolve_base_model
from codemill.finetune.callbacks import MetricsWriter, NonFiniteLossGuard, write_metrics
from codemill.finetune.progress_line import TrainingLine
from codemill.finetune.data import load_training_data
from codemill.finetune.generation import base_generation_config, generation_config
from codemill.finetune.launch import fsdp_launched
from codemill.finetune.estimate import GIB, estimate_recipe, recipe_batch_size, recipe_checkpoint_layers
from codemill.finetune.model_loading import (
    CONVERTED_INITS,
    adapter_in_compute_dtype,
    attach_adapter,
    liger_available,
    load_model,
    load_tokenizer,
    lora_config,
)
from codemill.finetune.outputs import replace_dir, write_recipe
from codemill.finetune.plots import plot_loss
from codemill.finetune.precision import model_family, resolve_precision
from codemill.finetune.speed import LeanSFTTrainer, SelectiveCheckpointing
from codemill.finetune.resume import ScheduleAtCheckpointStep, check_resume_recipe, skip_optimizer_restore
from codemill.finetune.templates import turn_end_token


class FinetuneError(RuntimeError):
    """A training run that cannot start or had to stop; the message says why and what to do."""


def wandb_report_to(settings) -> str:
    """'wandb' or 'none'; WANDB_MODE wins, `auto` is online only when an API key is present."""
    mode = os.environ.get("WANDB_MODE") or settings.mode
    if mode == "auto":
        mode = "online" if os.environ.get("WANDB_API_KEY") else "disabled"
    if mode == "disabled":
        return "none"
    os.environ["WANDB_MODE"] = mode
    os.environ.setdefault("WANDB_PROJECT", settings.project)
    return "wandb"


def sft_config(recipe, out_dir: Path, precision: str, chat: bool, has_eval: bool,
               eos_token: str | None = None, batch_size: int | None = None) -> SFTConfig:
    ft = recipe.finetune
    batch_size = batch_size or ft.batch_size
    evaluate = has_eval and ft.eval_steps is not None
    use_liger = ft.liger_kernel and liger_available()
    if ft.liger_kernel and not use_liger:
        console.print("warning: finetune.liger_kernel is set but liger-kernel is not installed; training without it")
    return SFTConfig(
        output_dir=str(out_dir / "checkpoints"),
        run_name=recipe.name,
        per_device_train_batch_size=batch_size,
        per_device_eval_batch_size=batch_size,
        gradient_accumulation_steps=ft.gradient_accumulation,
        optim=ft.optimizer,
        learning_rate=ft.learning_rate,
        lr_scheduler_type=ft.lr_scheduler,
        warmup_steps=ft.warmup_ratio,
        weight_decay=ft.weight_decay,
        max_grad_norm=ft.max_grad_norm,
        num_train_epochs=ft.epochs,
        max_steps=ft.max_steps,
        seed=ft.seed,
        data_seed=ft.seed,
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        use_cpu=not torch.cuda.is_available(),
        gradient_checkpointing=ft.gradient_checkpointing and not fsdp_launched(),  # FSDP checkpoints on its own
        gradient_checkpointing_kwargs={"use_reentrant": False},
        max_length=ft.seq_len,
        packing=ft.packing,
        packing_strategy="bfd",
        assistant_only_loss=chat and ft.assistant_only_loss,
        eos_token=eos_token,
        eval_strategy="steps" if evaluate else "no",
        eval_steps=ft.eval_steps if evaluate else None,
        load_best_model_at_end=evaluate and (ft.load_best_checkpoint or ft.early_stopping_patience is not None),
        metric_for_best_model="eval_loss",
        greater_is_better=False,
        neftune_noise_alpha=ft.neftune_noise_alpha,
        activation_offloading=ft.activation_offloading,
        save_strategy="steps",
        save_steps=ft.save_steps,
        save_total_limit=ft.save_total_limit,
        logging_steps=ft.logging_steps,
        include_num_input_tokens_seen="non_padding",
        report_to=wandb_report_to(ft.wandb),
        use_liger_kernel=use_liger,
        torch_compile=ft.torch_compile,
        ddp_find_unused_parameters=False,
        dataloader_num_workers=0,
        disable_tqdm=True,  # TrainingLine shows progress; the raw log dicts are in metrics.jsonl
    )


def warn_if_too_big(recipe, model_path: str) -> None:
    """Before loading: compare the estimated peak with the GPU's memory and warn when it will not fit."""
    if not torch.cuda.is_available():
        return
    estimate = estimate_recipe(recipe, model_path, gpus=int(os.environ.get("WORLD_SIZE", 1)))
    limit_gb = recipe.finetune.gpu_memory_gb or torch.cuda.get_device_properties(0).total_memory / GIB
    if estimate.per_gpu / GIB > limit_gb:
        console.print(
            f"warning: estimated peak {estimate.per_gpu / GIB:.1f} GiB per GPU exceeds this GPU's {limit_gb:.1f} GiB; "
            "expect out-of-memory (try method: qlora, a shorter seq_len, or more GPUs). Run with --estimate for details."
        )


def training_sizes(recipe, model_path: str, gpus: int) -> tuple[int, list]:
    """The batch size and the selective-checkpointing callback (if any); `auto` ones are chosen from the memory
    estimate and said on the console."""
    ft = recipe.finetune
    try:
        batch, why = recipe_batch_size(recipe, model_path, gpus)
        layers, layers_why = recipe_checkpoint_layers(recipe, model_path, batch, gpus) if ft.checkpoint_layers else (None, "")
    except ValueError as error:
        raise FinetuneError(str(error)) from None
    for chosen, line in ((ft.batch_size == "auto", why), (ft.checkpoint_layers == "auto", layers_why)):
        if chosen:
            console.print(line)
    return batch, [SelectiveCheckpointing(layers)] if layers is not None else []


def check_fresh_start(out_dir: Path, resume: bool) -> str | None:
    """The checkpoint to resume from, or None; refuses to overwrite an earlier run without --resume."""
    checkpoints = out_dir / "checkpoints"
    last = get_last_checkpoint(str(checkpoints)) if checkpoints.is_dir() else None
    if resume:
        if last is None:
            console.print(f"no checkpoint in {checkpoints}; starting from the beginning")
        return last
    if last is not None or (out_dir / "adapter").exists():
        raise FinetuneError(
            f"{out_dir} already holds a training run; pass --resume to continue it from its last checkpoint, "
            "or delete the folder to start over"
        )
    return None


def adapter_checksum(model) -> str:
    """A hash of the trainable weights: equal on every rank when data-parallel training agrees."""
    digest = hashlib.sha256()
    for name, param in sorted(model.named_parameters()):
        if param.requires_grad:
            digest.update(name.encode())
            digest.update(param.detach().float().cpu().numpy().tobytes())
    return digest.hexdigest()


def check_options(recipe, has_validation: bool) -> None:
    """Options that cannot work on this machine or data, refused before the model is loaded."""
    ft = recipe.finetune
    if (ft.load_best_checkpoint or ft.early_stopping_patience) and not has_validation:
        key = "early_stopping_patience" if ft.early_stopping_patience else "load_best_checkpoint"
        raise FinetuneError(f"finetune.{key}: the dataset has no validation split to compute eval_loss on; "
                            "build one (data.split) or turn the option off")
    if ft.activation_offloading and not torch.cuda.is_available():
        raise FinetuneError("finetune.activation_offloading: moves activations from GPU to CPU memory and needs a "
                            "CUDA GPU; set it to false here")


def prepare_adapter_init(trainer, recipe, out_dir: Path, resuming: bool) -> Path | None:
    """PiSSA/OLoRA rewrite the base weights: keep the initial adapter to convert the final one against.
    LoftQ (QLoRA) re-initialises the adapter against the 4-bit base's quantisation error."""
    init = recipe.finetune.lora.init
    if init == "loftq" and not resuming:
        from peft import replace_lora_weights_loftq

        replace_lora_weights_loftq(trainer.model)
    if init not in CONVERTED_INITS:
        return None
    if fsdp_launched():
        raise FinetuneError(f"finetune.lora.init: {init} is saved converted from a whole adapter on one process, "
                            "which FSDP does not hold; use distributed: ddp or lora.init: default")
    initial = out_dir / "initial_adapter"
    if not resuming and trainer.is_world_process_zero():
        config = trainer.model.peft_config["default"]
        config.init_lora_weights, chosen = True, config.init_lora_weights
        trainer.model.save_pretrained(str(initial))
        config.init_lora_weights = chosen
    return initial


def save_adapter(trainer, tokenizer, generation, out_dir: Path, initial: Path | None = None) -> None:
    """Every rank calls the trainer's save (FSDP gathers a full adapter state dict); the main process
    adds tokenizer and generation config and renames the finished folder into place."""
    state = process_state()
    staging = out_dir / ".adapter.staging"
    if state.is_main_process:
        shutil.rmtree(staging, ignore_errors=True)
    state.wait_for_everyone()
    if trainer.is_fsdp_enabled:
        trainer.accelerator.state.fsdp_plugin.set_state_dict_type("FULL_STATE_DICT")
    trainer.save_model(str(staging))
    state.wait_for_everyone()
    if state.is_main_process:
        if initial is not None:  # the adapter in plain LoRA form (twice the rank) for the original base
            trainer.model.save_pretrained(str(staging), path_initial_model_for_weight_conversion=str(initial))
        (staging / "training_args.bin").unlink(missing_ok=True)
        tokenizer.save_pretrained(staging)
        generation.save_pretrained(staging)
        replace_dir(staging, out_dir / "adapter")
    state.wait_for_everyone()


def finish_logs(trainer, recipe, out_dir: Path) -> None:
    history = trainer.state.log_history
    write_metrics(out_dir / "metrics.jsonl", history)
    plot_loss(history, out_dir / "loss.png", f"{recipe.name}: {recipe.finetune.method}")


def write_rank_summary(trainer, out_dir: Path) -> None:
    state = process_state()
    summary = {"rank": state.process_index, "world_size": state.num_processes,
               "global_step": trainer.state.global_step, "adapter_sha256": adapter_checksum(trainer.model)}
    atomic_write_json(out_dir / "ranks" / f"rank-{state.process_index}.json", summary)


def process_state() -> PartialState:
    """This process's place in the job; CPU-only multi-process runs (torchrun) need gloo named up front."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not torch.cuda.is_available():
        return PartialState(cpu=True, backend="gloo")
    return PartialState()


def build_model(recipe, model_path: str, precision: str, fsdp: bool):
    """The base model and the peft config for trl (None when the adapter is already attached)."""
    try:
        model = load_model(recipe, model_path, precision, fsdp=fsdp)
    except OSError as error:
        raise FinetuneError(f"model.name_or_path: cannot load {model_path!r}: {error}") from None
    peft_config = lora_config(recipe.finetune)
    if recipe.finetune.method != "qlora" and adapter_in_compute_dtype(recipe.finetune, precision):
        return attach_adapter(model, recipe.finetune), None
    return model, peft_config


def raise_if_stopped(guard: NonFiniteLossGuard, out_dir: Path) -> None:
    if guard.bad_step is not None:
        last = get_last_checkpoint(str(out_dir / "checkpoints"))
        raise FinetuneError(
            f"stopped at step {guard.bad_step}: {guard.reason}. The last good checkpoint is {last or 'none'}; "
            "lower finetune.learning_rate (or check the data) and continue with --resume --reset-optimizer"
        )


def start_or_resume(recipe, out_dir: Path, resume: bool, reset_optimizer: bool) -> tuple[str | None, dict]:
    """The checkpoint to resume from and the recipe changes it takes over; writes the recipe at the start."""
    state = process_state()
    checkpoint = check_fresh_start(out_dir, resume)
    changes = {}
    if checkpoint is not None:
        try:
            changes = check_resume_recipe(out_dir / "recipe.yaml", recipe, reset_optimizer)
        except ValueError as error:
            raise FinetuneError(str(error)) from None
        step = Path(checkpoint).name.removeprefix("checkpoint-")
        reset = ", optimizer and scheduler rebuilt from the recipe" if reset_optimizer else ""
        console.print(f"resuming from {checkpoint} (step {step}){reset}")
    state.wait_for_everyone()
    if state.is_main_process:
        write_recipe(recipe, out_dir / "recipe.yaml")
    return checkpoint, changes


def finetune(recipe, resume: bool = False, callbacks: tuple = (), reset_optimizer: bool = False, *,
             dataset_dir: Path | None = None, out_dir: Path | None = None, model_path: str | None = None) -> Path:
    """Train the recipe's adapter on `dataset_dir` into `out_dir` (default: the run folder's dataset/ and
    finetune/); returns `out_dir`. `model_path`: the base model (default: the recipe's, built if tiny).

    `reset_optimizer` (with `resume`): keep the checkpoint's weights, build optimizer and scheduler anew.
    """
    layout = recipe.layout
    out_dir = Path(out_dir) if out_dir is not None else layout.finetune
    state = process_state()
    try:
        train, validation = load_training_data(Path(dataset_dir) if dataset_dir is not None else layout.dataset)
        if model_path is None:
            with state.main_process_first():
                model_path = resolve_base_model(recipe)
        precision = resolve_precision(recipe.finetune.precision, model_family(model_path, recipe.model.trust_remote_code))
        chat = train.column_names == ["messages"]
        tokenizer = load_tokenizer(recipe, model_path, chat)
    except (ValueError, OSError) as error:
        raise FinetuneError(str(error)) from None
    check_options(recipe, validation is not None)
    checkpoint, changes = start_or_resume(recipe, out_dir, resume, reset_optimizer)
    turn_end = turn_end_token(tokenizer) if chat else None
    generation = generation_config(tokenizer, turn_end, base_generation_config(model_path, recipe.model.trust_remote_code))
    warn_if_too_big(recipe, model_path)
    batch, selective = training_sizes(recipe, model_path, state.num_processes)
    model, peft_config = build_model(recipe, model_path, precision, state.num_processes > 1 and fsdp_launched())
    guard = NonFiniteLossGuard()
    ft = recipe.finetune
    extra = [EarlyStoppingCallback(ft.early_stopping_patience, ft.early_stopping_threshold)
             ] if ft.early_stopping_patience and validation is not None and ft.eval_steps else []
    set_seed(ft.seed)  # the adapter's initialisation (and PiSSA's randomised SVD) repeats on resume
    trainer = LeanSFTTrainer(
        model=model,
        args=sft_config(recipe, out_dir, precision, chat, validation is not None, eos_token=turn_end, batch_size=batch),
        train_dataset=train,
        eval_dataset=validation if recipe.finetune.eval_steps else None,
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=[*selective, *callbacks, TrainingLine(), guard, MetricsWriter(out_dir / "metrics.jsonl"), *extra],  # guard sees the step last
        token_metrics=recipe.finetune.token_metrics,
    )
    trainer.remove_callback(PrinterCallback)  # raw log dicts on stdout; TrainingLine and metrics.jsonl replace them
    if checkpoint is not None and reset_optimizer:
        skip_optimizer_restore(trainer)
        trainer.add_callback(ScheduleAtCheckpointStep())
    initial = prepare_adapter_init(trainer, recipe, out_dir, resuming=checkpoint is not None)
    trainer.train(resume_from_checkpoint=checkpoint)
    write_rank_summary(trainer, out_dir)
    if trainer.is_world_process_zero():
        finish_logs(trainer, recipe, out_dir)
    raise_if_stopped(guard, out_dir)
    save_adapter(trainer, tokenizer, generation, out_dir, initial)
    if trainer.is_world_process_zero():
        info = {"base_model": model_path, "method": recipe.finetune.method, "precision": precision,
                "world_size": state.num_processes, "global_step": trainer.state.global_step,
                "format": "chat" if chat else "completion", "stop_token_ids": generation.eos_token_id,
                "resumed_from": checkpoint, "recipe_changes_on_resume": {k: list(v) for k, v in changes.items()},
                "best_checkpoint": trainer.state.best_model_checkpoint,
                "train_rows": len(train), "validation_rows": len(validation) if validation is not None else 0}
        atomic_write_json(out_dir / "run_info.json", info)
    state.wait_for_everyone()
    return out_dir
