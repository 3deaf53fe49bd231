"""Training a pairwise reward model with ``transformers.Trainer``.

Why a ``Trainer`` subclass and not TRL's ``RewardTrainer``: TRL 1.16's collator keeps only
``chosen_ids``/``rejected_ids`` and drops ``token_type_ids``, so an encoder reading
(post, response) as a text pair could not tell the two apart, and its tokenisation would
bypass our post-first truncation (``rmbench.model.inputs``). The subclass below keeps
everything else the ecosystem gives -- ``accelerate launch`` on many processes or nodes,
mixed precision, gradient checkpointing, length-grouped sampling, checkpoints and resume,
best-model selection -- and puts the loss in plain view. bench/bench_train.py compares
its throughput with TRL's on the same data.

Each batch holds the chosen sequences then the rejected ones, padded together, so both
sides of every pair go through the model in one forward pass.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from transformers import Trainer, TrainerCallback, TrainingArguments
from transformers.trainer_callback import PrinterCallback

from rmbench.model.config import ModelConfig, TrainConfig
from rmbench.model.inputs import pad_batch, response_text
from rmbench.model.chat import make_encoder
from rmbench.model.checkpoints import MarkComplete, resumable_checkpoint
from rmbench.model.debias import check_mode, poe_offsets
from rmbench.model.memory import TrimMemory
from rmbench.model.trainlog import LOG_FILE, place_tensorboard, report_integrations, whole_run_loss, write_log


def bradley_terry_loss(r_chosen: torch.Tensor, r_rejected: torch.Tensor, margin: torch.Tensor | None = None,
                       center_coef: float = 0.0, bias: torch.Tensor | None = None) -> torch.Tensor:
    """-log sigma(r_chosen - r_rejected [+ bias] [- margin]) [+ coef * mean((r_chosen + r_rejected)^2)].

    ``bias``: the frozen confound logit of each pair under ``train.debias = poe``
    (``rmbench.model.debias``); it shifts the logit, it is never trained."""
    diff = r_chosen - r_rejected - (margin if margin is not None else 0.0)
    if bias is not None:
        diff = diff + bias
    loss = -F.logsigmoid(diff).mean()
    return loss + center_coef * ((r_chosen + r_rejected) ** 2).mean() if center_coef else loss


def encode_pairs(pairs: list[dict], encoder, with_delay: bool = False,
                 margin_weight: float = 0.0, bias: list[float] | None = None) -> tuple[list[dict], dict[str, int]]:
    """Token ids of both sides of each pair, the margin, the bias logit (0 without debiasing)
    and a length for grouping; cut counts."""
    rows, cut = [], {"prompt": 0, "response": 0}
    for i, p in enumerate(pairs):
        row = {}
        for side in ("chosen", "rejected"):
            e = encoder.encode(p["prompt"], response_text(p, side, with_delay))
            cut["prompt"] += e.prompt_cut
            cut["response"] += e.response_cut
            row[f"{side}_input_ids"] = e.input_ids
            if e.token_type_ids is not None:
                row[f"{side}_token_type_ids"] = e.token_type_ids
        row["margin"] = margin_weight * math.log(max(float(p.get("score_ratio") or 1.0), 1.0))
        row["bias"] = float(bias[i]) if bias is not None else 0.0
        row["length"] = max(len(row["chosen_input_ids"]), len(row["rejected_input_ids"]))
        rows.append(row)
    return rows, cut


@dataclass
class PairCollator:
    """Pads chosen and rejected sequences of a batch together (dynamic padding)."""

    pad_id: int
    with_types: bool
    pad_to_multiple_of: int | None = None

    def __call__(self, rows: list[dict]) -> dict[str, torch.Tensor]:
        seqs = [{"input_ids": r[f"{s}_input_ids"], "token_type_ids": r.get(f"{s}_token_type_ids")}
                for s in ("chosen", "rejected") for r in rows]
        batch = pad_batch(seqs, self.pad_id, self.with_types)
        if self.pad_to_multiple_of:
            extra = -batch["input_ids"].shape[1] % self.pad_to_multiple_of
            if extra:
                batch = {k: F.pad(v, (0, extra), value=self.pad_id if k == "input_ids" else 0)
                         for k, v in batch.items()}
        batch["margin"] = torch.tensor([r["margin"] for r in rows], dtype=torch.float)
        batch["bias"] = torch.tensor([r.get("bias", 0.0) for r in rows], dtype=torch.float)
        return batch


class PairwiseRewardTrainer(Trainer):
    """``Trainer`` with the Bradley-Terry loss on (chosen, rejected) batches."""

    def __init__(self, *args, center_rewards: float = 0.0, use_margin: bool = False, use_bias: bool = False,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.center_rewards = center_rewards
        self.use_margin = use_margin
        self.use_bias = use_bias

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        margin = inputs.pop("margin", None)
        bias = inputs.pop("bias", None)
        rewards = model(**inputs).logits.squeeze(-1)
        r_chosen, r_rejected = rewards.chunk(2)
        loss = bradley_terry_loss(r_chosen, r_rejected, margin if self.use_margin else None, self.center_rewards,
                                  bias if self.use_bias else None)
        return (loss, {"r_chosen": r_chosen, "r_rejected": r_rejected}) if return_outputs else loss

    def prediction_step(self, model, inputs, prediction_loss_only, ignore_keys=None):
        inputs = self._prepare_inputs(inputs)
        with torch.no_grad():
            loss, out = self.compute_loss(model, inputs, return_outputs=True)
        logits = torch.stack([out["r_chosen"], out["r_rejected"]], dim=1).float()
        return loss.detach(), logits, torch.zeros(len(logits), device=logits.device)


def pairwise_accuracy(eval_pred) -> dict[str, float]:
    logits = eval_pred.predictions
    c, r = logits[:, 0], logits[:, 1]
    return {"accuracy": float(((c > r) + 0.5 * (c == r)).mean())}


def training_arguments(out_dir: str | Path, train: TrainConfig, model_cfg: ModelConfig, n_train: int,
                       seed: int, world_size: int = 1, has_validation: bool = True) -> TrainingArguments:
    """TrainingArguments from our config: evaluation, checkpoints and selection every ``eval_every`` epochs."""
    per_step = max(1, train.batch_size * train.gradient_accumulation_steps * world_size)
    steps_per_epoch = max(1, math.ceil(n_train / per_step))
    every = max(1, round(steps_per_epoch * train.eval_every))
    cuda = torch.cuda.is_available()
    select = has_validation
    return TrainingArguments(
        output_dir=str(out_dir),
        num_train_epochs=train.epochs,
        learning_rate=train.learning_rate,
        per_device_train_batch_size=train.batch_size,
        per_device_eval_batch_size=max(train.batch_size, 16),
        gradient_accumulation_steps=train.gradient_accumulation_steps,
        weight_decay=train.weight_decay,
        warmup_steps=max(0, round(train.warmup_ratio * steps_per_epoch * train.epochs)),
        lr_scheduler_type="linear",
        eval_strategy="steps" if select else "no",
        eval_steps=every if select else None,
        save_strategy="steps",
        save_steps=every,
        save_total_limit=train.save_total_limit,
        load_best_model_at_end=select,
        metric_for_best_model="accuracy" if select else None,
        greater_is_better=True if select else None,
        logging_steps=max(1, every // 2),
        seed=seed,
        data_seed=seed,
        bf16=resolve_precision(model_cfg.mixed_precision) == "bf16",
        fp16=resolve_precision(model_cfg.mixed_precision) == "fp16",
        **_checkpointing_kwarg(model_cfg.gradient_checkpointing),
        use_cpu=not cuda,
        train_sampling_strategy="group_by_length" if train.group_by_length else "random",
        length_column_name="length",
        remove_unused_columns=False,
        label_names=[],
        report_to=report_integrations(train.report_to) or "none",
        disable_tqdm=True,
        dataloader_num_workers=0,
        ddp_find_unused_parameters=False,
    )


def resolve_precision(setting: str) -> str:
    """'auto' -> 'bf16' where bf16 autocast is fast (a bf16 GPU, or a CPU with AVX512-BF16/AMX), else 'no'."""
    if setting != "auto":
        if setting not in ("no", "fp16", "bf16"):
            raise ValueError(f"model.mixed_precision {setting!r}: one of auto, no, fp16, bf16")
        return setting
    if torch.cuda.is_available():
        return "bf16" if torch.cuda.is_bf16_supported() else "no"
    from rmbench.machine import cpu_has_bf16

    return "bf16" if cpu_has_bf16() else "no"


def precision_note(setting: str, scoring: str = "float32") -> str:
    """The line a run prints before training: which precision this machine gets, and why;
    ``scoring``: the dtype the trained model is scored in (``model.dtype``, --dtype)."""
    got = resolve_precision(setting)
    where = "GPU" if torch.cuda.is_available() else "CPU"
    scored = "fp32" if scoring == "float32" else f"{scoring} (--dtype)"
    if got in ("bf16", "fp16"):
        return f"precision: {got} autocast for training on this {where} (mixed_precision={setting}); scoring in {scored}"
    why = (f"this {where} has no fast bf16 (no AVX512-BF16/AMX)" if setting == "auto" and where == "CPU"
           else "this GPU has no bf16" if setting == "auto" else f"mixed_precision={setting}")
    what = "fp32 for training and scoring" if scoring == "float32" else f"fp32 for training, scoring in {scored}"
    return (f"precision: {what} ({why}); on a CPU, fp32 training is slower than bf16 "
            "on CPUs that have it (BENCHMARKS.md)")


def _checkpointing_kwarg(on: bool) -> dict:
    # transformers 5 renamed gradient_checkpointing to activation_checkpointing; older ones lack it.
    import inspect

    name = ("activation_checkpointing" if "activation_checkpointing" in inspect.signature(TrainingArguments).parameters
            else "gradient_checkpointing")
    return {name: on}


def apply_lora(model, cfg: ModelConfig, task_type: str = "SEQ_CLS"):
    """Wrap ``model`` in LoRA adapters; a classifier's reward head stays fully trainable
    (``task_type`` SEQ_CLS; CAUSAL_LM for a DPO policy)."""
    from peft import LoraConfig, TaskType, get_peft_model

    from rmbench.model.deprecations import without_renamed_checkpointing_warnings

    lora = LoraConfig(task_type=TaskType[task_type], r=cfg.lora_r, lora_alpha=cfg.lora_alpha,
                      lora_dropout=cfg.lora_dropout)
    with without_renamed_checkpointing_warnings():
        return get_peft_model(model, lora)


def _note(console):
    """A line on stderr (through the run's console when it has one)."""
    if console is not None:
        return lambda text: console.print(text, markup=False, highlight=False)
    import sys

    return lambda text: print(text, file=sys.stderr)


class RichProgress(TrainerCallback):
    """A rich progress bar over optimizer steps, with loss and validation accuracy as they come."""

    def __init__(self, console=None, enabled: bool = True):
        self.console, self.enabled = console, enabled
        self.progress = self.task = None

    def on_train_begin(self, args, state, control, **kw):
        if not (self.enabled and state.is_world_process_zero):
            return
        from rmbench.console import progress

        self.progress = progress("training {task.fields[info]}", console=self.console, unit="steps")
        self.progress.start()
        self.task = self.progress.add_task("train", total=state.max_steps, info="", completed=state.global_step)

    def on_step_end(self, args, state, control, **kw):
        if self.progress:
            self.progress.update(self.task, completed=state.global_step)

    def on_log(self, args, state, control, logs=None, **kw):
        if self.progress and logs:
            bits = [f"{k.removeprefix('eval_')}={v:.3f}" for k, v in logs.items()
                    if k in ("loss", "eval_accuracy") and isinstance(v, float)]
            if bits:
                self.progress.update(self.task, info=" ".join(bits))

    def on_train_end(self, args, state, control, **kw):
        if self.progress:
            self.progress.stop()
            self.progress = None


def training_figures(trainer, out, train_rows: list[dict], val_rows: list[dict], cfg, seconds: float,
                     resume: str | None) -> dict:
    """results.json's training figures of a finished ``trainer.train()`` (both trained kinds)."""
    tokens = sum(len(r["chosen_input_ids"]) + len(r["rejected_input_ids"]) for r in train_rows) * cfg.train.epochs
    best = trainer.state.best_model_checkpoint
    return {"train_pairs": len(train_rows), "validation_pairs": len(val_rows), "steps": trainer.state.global_step,
            # train_seconds: Trainer.train's wall time, periodic validation and checkpoints included
            "epochs": cfg.train.epochs, "train_seconds": round(seconds, 2), "resumed_from": Path(resume).name if resume else None,
            "pairs_per_s": round(len(train_rows) * cfg.train.epochs / seconds, 3) if not resume else None,
            "tokens_per_s": round(tokens / seconds, 1) if not resume else None,
            # resumed: Trainer's figure covers only the steps since; the restored log covers them all
            "train_loss": round((whole_run_loss(trainer.state.log_history) if resume else None) or out.training_loss, 6),
            "best_validation_accuracy": trainer.state.best_metric, "best_checkpoint": Path(best).name if best else None,
            "world_size": trainer.args.world_size, "mixed_precision": resolve_precision(cfg.model.mixed_precision)}


def fit(cfg, train_pairs: list[dict], val_pairs: list[dict], work_dir: str | Path, model_out: str | Path,
        console=None, progress: bool = True, debias_delay: bool = False, score_start: bool = False) -> dict:
    """Train on ``train_pairs``, select on ``val_pairs``, save an HF directory at ``model_out``.

    ``debias_delay``: whether the poe bias expert may use the response delay (only where no
    pairing rule involved fixes the time order, as for ``baseline:confounds``).
    ``score_start``: also score the model as loaded on ``val_pairs`` before any step
    (``start_validation_accuracy``), so a caller can keep it where no checkpoint beats it.

    Every process of an ``accelerate launch`` calls this; only the main one writes
    ``model_out`` (atomically). Returns the training figures for results.json.
    """
    from datasets import Dataset
    from transformers import set_seed

    from rmbench.atomic import atomic_dir
    from rmbench.model.kinds import META_KEY, TRAIN_MAX_LENGTH
    from rmbench.model.load import load_reward_model, parameter_count

    report_integrations(cfg.train.report_to)  # a typo fails before the model loads
    set_seed(cfg.seed)  # before loading: the new reward head is drawn from this seed
    model, tok = load_reward_model(cfg.model.name, trust_remote_code=cfg.model.trust_remote_code)
    encoder = make_encoder(tok, cfg.model.input_format, cfg.model.max_length or TRAIN_MAX_LENGTH)
    debias = {"mode": check_mode(cfg.train.debias)}
    train_bias = val_bias = None
    if debias["mode"] == "poe":
        train_bias, val_bias, debias = poe_offsets(train_pairs, val_pairs, use_delay=debias_delay)
    train_rows, cut = encode_pairs(train_pairs, encoder, cfg.data.with_delay, cfg.train.margin, train_bias)
    val_rows, _ = encode_pairs(val_pairs, encoder, cfg.data.with_delay, cfg.train.margin, val_bias)
    if cfg.model.lora:
        model = apply_lora(model, cfg.model)
    work_dir = Path(work_dir)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    args = training_arguments(work_dir / "checkpoints", cfg.train, cfg.model, len(train_rows), cfg.seed,
                              world, has_validation=bool(val_rows))
    trainer = PairwiseRewardTrainer(
        model=model, args=args, train_dataset=Dataset.from_list(train_rows),
        eval_dataset=Dataset.from_list(val_rows) if val_rows else None,
        data_collator=PairCollator(tok.pad_token_id if tok.pad_token_id is not None else 0,
                                   encoder.has_token_types, 8 if torch.cuda.is_available() else None),
        compute_metrics=pairwise_accuracy, callbacks=[RichProgress(console, progress), MarkComplete(), TrimMemory()],
        center_rewards=cfg.train.center_rewards, use_margin=cfg.train.margin > 0, use_bias=train_bias is not None)
    trainer.remove_callback(PrinterCallback)  # the rich bar shows loss and accuracy; --quiet means quiet
    place_tensorboard(trainer, work_dir)
    resume = resumable_checkpoint(work_dir / "checkpoints", notify=_note(console)) if cfg.train.resume else None
    # the weights as loaded (a resumed run loads its checkpoint only inside train())
    start = trainer.evaluate()["eval_accuracy"] if score_start and val_rows else None
    t0 = time.perf_counter()
    out = trainer.train(resume_from_checkpoint=resume)
    seconds = time.perf_counter() - t0
    info = {**training_figures(trainer, out, train_rows, val_rows, cfg, seconds, resume),
            **({"start_validation_accuracy": start} if score_start else {}),
            "truncated": cut, "input_format": encoder.input_format, "debias": debias}
    if trainer.is_world_process_zero():
        write_log(work_dir / LOG_FILE, trainer.state.log_history)  # the training curve, kept after checkpoints go
        final = trainer.model
        if cfg.model.lora:
            final = final.merge_and_unload()
        final = getattr(final, "module", final)
        # how it was trained to read its inputs: `rmbench evaluate` reads them back (auto); and
        # the tasks whose training pairs it saw (with those of the rmbench model it started
        # from), which `rmbench evaluate` will not score as held out
        seen = set((getattr(final.config, META_KEY, None) or {}).get("trained_on") or ())
        seen |= {str(r["task"]).lower() for r in train_pairs if r.get("task")}
        setattr(final.config, META_KEY, {"kind": "classifier", "input_format": encoder.input_format,
                                         "max_length": encoder.max_length, "trained_on": sorted(seen)})
        with atomic_dir(model_out, overwrite=True) as tmp:  # model_out lives in the run directory it made
            final.save_pretrained(tmp, safe_serialization=True)
            tok.save_pretrained(tmp)
        info["parameters"] = parameter_count(final)
    trainer.accelerator.wait_for_everyone()
    return info
