"""Training a causal LM by DPO on preference pairs: the policy ``rmbench run --model-kind dpo`` scores.

DPO (Rafailov et al., 2023) needs no reward head: the policy's implicit reward is

    r(x, y) = beta * (log pi(y | x) - log pi_ref(y | x))

summed over the response tokens (``rmbench.model.dpo``, which scores it), and the DPO loss
is the Bradley-Terry loss on those rewards -- the same ``bradley_terry_loss`` a classifier
trains with, in plain view in ``DpoPairTrainer.compute_loss``. The reference is the frozen
start model (or ``--ref-model``): its log-probabilities are computed once, before training,
on exactly the tokens the policy will read (the same chat rendering and post-first cut as
scoring), so training holds one model in memory, not two.

Why not TRL's ``DPOTrainer``: it cuts a long conversation its own way, and the scorer would
then read other tokens than training did (a reward model read another way than it was
trained is another model: BENCHMARKS.md, "One classifier, two input formats"). On inputs
that fit, the two agree token for token (tests/model/test_dpo_trl.py).
The loop below is ``transformers.Trainer`` with the classifier's arguments (precision,
checkpoints, selection on validation, resume, LoRA), so everything but the loss is shared.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers.trainer_callback import PrinterCallback

from rmbench.model.causal import response_logprobs
from rmbench.model.chat import make_encoder
from rmbench.model.config import check_dpo_settings
from rmbench.model.inputs import pad_batch, response_text
from rmbench.model.scoring import ResponseScorer
from rmbench.model.train import (_note, PairwiseRewardTrainer, RichProgress, apply_lora, bradley_terry_loss,
                                 pairwise_accuracy, training_arguments, training_figures)

_SIDES = ("chosen", "rejected")


class LogprobScorer(ResponseScorer):
    """log pi(response | post) under one model: the sum over the response's tokens (and end of turn)."""

    kind = "logprob"

    def _forward(self, batch: dict, rows: list) -> list[float]:
        starts = torch.tensor([r.response_start for r in rows], device=self.device)
        return response_logprobs(self.model, batch, starts).tolist()


def encode_dpo_pairs(pairs: list[dict], encoder, ref_logps: dict[str, list[float]],
                     with_delay: bool = False) -> tuple[list[dict], dict[str, int]]:
    """Token ids, response starts and reference log-probabilities of both sides of each pair."""
    rows, cut = [], {"prompt": 0, "response": 0}
    for i, p in enumerate(pairs):
        row = {}
        for side in _SIDES:
            e = encoder.encode(p["prompt"], response_text(p, side, with_delay))
            cut["prompt"] += e.prompt_cut
            cut["response"] += e.response_cut
            row[f"{side}_input_ids"] = e.input_ids
            row[f"{side}_start"] = e.response_start
            row[f"{side}_ref"] = ref_logps[side][i]
        row["length"] = max(len(row["chosen_input_ids"]), len(row["rejected_input_ids"]))
        rows.append(row)
    return rows, cut


def reference_logprobs(reference, tokenizer, encoder, pairs: list[dict], with_delay: bool,
                       batch_size: int | None = None, label: str = "", console=None,
                       progress: bool = False) -> dict[str, list[float]]:
    """log pi_ref of every pair's chosen and rejected response, each unique input scored once,
    in the reference's own dtype (fp32 as loaded), with a progress line per ``label``."""
    from rmbench.console import progress as progress_bar

    scorer = LogprobScorer(reference, tokenizer, encoder, batch_size=batch_size)
    prompts = [p["prompt"] for p in pairs]
    chosen = [response_text(p, "chosen", with_delay) for p in pairs]
    rejected = [response_text(p, "rejected", with_delay) for p in pairs]
    total = scorer.pending_pairs(prompts, chosen, rejected)
    with progress_bar(f"reference log-probabilities: {label}", console=console, disable=not progress or not total,
                      transient=True, unit="inputs") as bar:
        task = bar.add_task(label, total=total)
        chosen, rejected = scorer.score_pairs(prompts, chosen, rejected, progress=lambda n: bar.advance(task, n))
    return {"chosen": chosen, "rejected": rejected}


@dataclass
class DpoCollator:
    """Chosen then rejected sequences of a batch, padded together, with their response starts
    and reference log-probabilities."""

    pad_id: int

    def __call__(self, rows: list[dict]) -> dict[str, torch.Tensor]:
        batch = pad_batch([{"input_ids": r[f"{s}_input_ids"]} for s in _SIDES for r in rows], self.pad_id, False)
        batch["response_start"] = torch.tensor([r[f"{s}_start"] for s in _SIDES for r in rows], dtype=torch.long)
        batch["ref_logps"] = torch.tensor([r[f"{s}_ref"] for s in _SIDES for r in rows], dtype=torch.float)
        return batch


class DpoPairTrainer(PairwiseRewardTrainer):
    """The classifier's trainer with the DPO loss: Bradley-Terry on the implicit rewards
    beta * (log pi - log pi_ref); validation, selection and accuracy as for a classifier."""

    def __init__(self, *args, beta: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.beta = float(beta)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        starts = inputs.pop("response_start")
        ref = inputs.pop("ref_logps")
        logps = response_logprobs(model, inputs, starts)
        r_chosen, r_rejected = (self.beta * (logps.float() - ref)).chunk(2)
        loss = bradley_terry_loss(r_chosen, r_rejected)  # = -log sigma(beta * (chosen log-ratio - rejected log-ratio))
        return (loss, {"r_chosen": r_chosen, "r_rejected": r_rejected}) if return_outputs else loss


def fit_dpo(cfg, spec, train_pairs: list[dict], val_pairs: list[dict], work_dir: str | Path, model_out: str | Path,
            console=None, progress: bool = True) -> dict:
    """DPO-train ``spec``'s causal LM on ``train_pairs`` against ``spec.ref_model``, select on
    ``val_pairs`` (implicit-reward accuracy), save the policy at ``model_out``; the figures
    for results.json. Every process of an ``accelerate launch`` calls this; the main one writes."""
    from datasets import Dataset
    from transformers import set_seed

    from rmbench.atomic import atomic_dir
    from rmbench.model.checkpoints import MarkComplete, resumable_checkpoint
    from rmbench.model.kinds import META_KEY
    from rmbench.model.load import load_causal_lm, parameter_count
    from rmbench.model.memory import TrimMemory, release_memory
    from rmbench.model.trainlog import LOG_FILE, place_tensorboard, write_log

    check_dpo_settings(cfg.train)
    set_seed(cfg.seed)
    beta, with_delay = cfg.model.dpo_beta, cfg.data.with_delay
    policy, tok = load_causal_lm(spec.name, trust_remote_code=cfg.model.trust_remote_code, console=console)
    encoder = make_encoder(tok, "chat", spec.max_length, with_response_start=True)
    same = spec.ref_model == spec.name
    reference = policy if same else load_causal_lm(spec.ref_model, trust_remote_code=cfg.model.trust_remote_code,
                                                   console=console)[0]
    t0 = time.perf_counter()
    ref_train, ref_val = (reference_logprobs(reference, tok, encoder, pairs, with_delay, cfg.eval.batch_size, label,
                                             console, progress)
                          for pairs, label in ((train_pairs, "training pairs"), (val_pairs, "validation pairs")))
    ref_seconds = time.perf_counter() - t0
    del reference
    release_memory()
    train_rows, cut = encode_dpo_pairs(train_pairs, encoder, ref_train, with_delay)
    val_rows, _ = encode_dpo_pairs(val_pairs, encoder, ref_val, with_delay)
    policy.config.use_cache = False  # training builds no key/value cache
    policy.train()
    if cfg.model.lora:
        policy = apply_lora(policy, cfg.model, task_type="CAUSAL_LM")
    work_dir = Path(work_dir)
    args = training_arguments(work_dir / "checkpoints", cfg.train, cfg.model, len(train_rows), cfg.seed,
                              int(os.environ.get("WORLD_SIZE", "1")), has_validation=bool(val_rows))
    trainer = DpoPairTrainer(
        model=policy, args=args, train_dataset=Dataset.from_list(train_rows),
        eval_dataset=Dataset.from_list(val_rows) if val_rows else None,
        data_collator=DpoCollator(tok.pad_token_id if tok.pad_token_id is not None else 0),
        compute_metrics=pairwise_accuracy, callbacks=[RichProgress(console, progress), MarkComplete(), TrimMemory()],
        beta=beta)
    trainer.remove_callback(PrinterCallback)
    place_tensorboard(trainer, work_dir)
    resume = resumable_checkpoint(work_dir / "checkpoints", notify=_note(console)) if cfg.train.resume else None
    t0 = time.perf_counter()
    out = trainer.train(resume_from_checkpoint=resume)
    seconds = time.perf_counter() - t0
    info = {"objective": "dpo", "beta": beta, "ref_model": spec.ref_model, "reference_seconds": round(ref_seconds, 2),
            **training_figures(trainer, out, train_rows, val_rows, cfg, seconds, resume),
            "truncated": cut, "input_format": "chat", "debias": {"mode": "none"}}
    if trainer.is_world_process_zero():
        write_log(work_dir / LOG_FILE, trainer.state.log_history)
        final = trainer.model
        if cfg.model.lora:
            final = final.merge_and_unload()
        final = getattr(final, "module", final)
        final.config.use_cache = True
        seen = set((getattr(final.config, META_KEY, None) or {}).get("trained_on") or ())
        seen |= {str(r["task"]).lower() for r in train_pairs if r.get("task")}
        # evaluate reads these back: a dpo policy, its reference (a local one by its absolute path, so
        # that it is found from any folder) and beta, and how it read its inputs
        ref = str(Path(spec.ref_model).resolve()) if Path(spec.ref_model).is_dir() else spec.ref_model
        setattr(final.config, META_KEY, {"kind": "dpo", "input_format": "chat", "max_length": encoder.max_length,
                                         "ref_model": ref, "dpo_beta": beta, "trained_on": sorted(seen)})
        with atomic_dir(model_out, overwrite=True) as tmp:
            final.save_pretrained(tmp, safe_serialization=True)
            tok.save_pretrained(tmp)
        info["parameters"] = parameter_count(final)
    trainer.accelerator.wait_for_everyone()
    return info
