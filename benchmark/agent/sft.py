"""``rmbench agent sft``: fine-tune a causal LM to write a story for a WritingPrompts prompt.

TRL's SFTTrainer on a prompt/completion dataset: the loss covers the story only (not the
prompt frame), and SFTTrainer appends the tokenizer's EOS to every story (a chat model's
end-of-turn token), so the generator learns to stop. ``mode="lora"`` trains LoRA adapters
(peft) and merges them into the saved weights, so every later step loads a plain HF dir.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from dataclasses import dataclass

from rmbench.agent.artifacts import CARD
from rmbench.atomic import atomic_dir, write_json
from rmbench.agent.format import format_completion, format_prompt, story_rows
from rmbench.errors import DataError
from rmbench.agent.sft_rate import FULL, LORA, sft_learning_rate
from rmbench.agent.tiny import TINY, build_tiny
from rmbench.agent.trainer_log import precision_args, quiet_trainer, used_precision
from rmbench.model.train import _checkpointing_kwarg
from rmbench.fields import opt


@dataclass(frozen=True)
class SFTSettings:
    task: str = opt("writingprompts", "prepared task whose pairs hold the stories")
    stories: str = opt("chosen", "'chosen': only stories that won a vote comparison; 'all': every story in a pair")
    mode: str = opt("full", "'full': every weight; 'lora': LoRA adapters (rank lora_r) merged into the saved model")
    lora_r: int = opt(16, "LoRA rank (mode 'lora')")
    split: str = opt("train", "prepared split to train on (test stays unseen by the generator)")
    epochs: float = opt(1.0, "passes over the stories")
    learning_rate: float | None = opt(None, f"AdamW learning rate; None: {FULL:g} for mode 'full', {LORA:g} for 'lora' "
                                             "(rmbench.agent.sft_rate)")
    batch_size: int = opt(8, "stories per optimizer step")
    max_length: int = opt(512, "prompt+story tokens kept per example (longer ones are cut)")
    max_examples: int | None = opt(None, "use at most this many stories (smoke runs)")
    seed: int = opt(0, "seed for init (tiny), shuffling and dropout")
    gradient_checkpointing: bool = opt(False, "recompute activations to save memory (TRL's default is on; GPT-2 sizes do not need it and it costs time)")
    tiny_vocab: int = opt(512, "vocabulary of the tiny model's word tokenizer")
    mixed_precision: str = opt("auto", "training precision: auto (bf16 where this machine has fast bf16), no (fp32), bf16, fp16")


def _load_model(name: str, texts: list[str], s: SFTSettings):
    if name == TINY:
        return build_tiny(texts, seed=s.seed, vocab_size=s.tiny_vocab)
    from rmbench.model.load import load_causal_lm

    # The harness's loader: presets (smollm2 from its GGUF, offline), pad token set, clear errors.
    model, tok = load_causal_lm(name)
    return model.train(), tok


def _examples(rows, tok, max_length: int) -> tuple[list[dict], int]:
    """Prompt/completion rows in the model's layout; a prompt that alone fills ``max_length``
    leaves no story token to learn from, so it is dropped (and counted), not trained on."""
    out, too_long = [], 0
    for r in rows:
        prompt = format_prompt(r.prompt, tok)
        if len(tok(prompt, add_special_tokens=False)["input_ids"]) >= max_length:
            too_long += 1
            continue
        out.append({"prompt": prompt, "completion": format_completion(r.story, tok)})
    return out, too_long


def _lora(model, r: int):
    from peft import LoraConfig, get_peft_model

    from rmbench.model.deprecations import without_renamed_checkpointing_warnings

    # Every linear projection of the blocks: rank-r updates there move a 135M model as far as
    # a short SFT needs, at a fraction of the optimizer memory.
    cfg = LoraConfig(r=r, lora_alpha=2 * r, lora_dropout=0.0, target_modules="all-linear", task_type="CAUSAL_LM")
    with without_renamed_checkpointing_warnings():
        return get_peft_model(model, cfg)


def run_sft(data_dir: str, model: str, out_dir: str, settings: SFTSettings = SFTSettings()) -> dict:
    """Train the generator and save a standard HF model dir at ``out_dir`` (atomically)."""
    import torch
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    from rmbench.prepared.load import load_prepared

    t0 = time.time()
    # The card records the rate used, not None.
    settings = dataclasses.replace(settings, learning_rate=sft_learning_rate(settings.mode, settings.learning_rate))
    splits = load_prepared(data_dir, settings.task)
    if settings.split not in splits:
        raise ValueError(f"{data_dir}: task {settings.task!r} has no split {settings.split!r}")
    rows, skipped = story_rows(splits[settings.split], which=settings.stories)
    if settings.max_examples is not None:
        rows = rows[: settings.max_examples]
    if not rows:
        raise DataError(f"{data_dir}: no stories in {settings.task}/{settings.split} to train the generator on "
                        f"(stories={settings.stories!r}; skipped: {skipped})")
    if settings.mode not in ("full", "lora"):
        raise DataError(f"SFT mode must be 'full' or 'lora', not {settings.mode!r}")
    lm, tok = _load_model(model, [r.prompt + " " + r.story for r in rows], settings)
    # Never past the model's position table (GPT-2: 1024); longer examples are cut, not crashed on.
    limit = getattr(lm.config, "n_positions", None) or getattr(lm.config, "max_position_embeddings", None)
    max_length = min(settings.max_length, limit) if limit else settings.max_length
    examples, too_long = _examples(rows, tok, max_length)
    skipped = {**skipped, "prompt_fills_max_length": too_long}
    if not examples:  # an empty dataset would surface as a sampler traceback deep in the Trainer
        raise DataError(f"{data_dir}: all {len(rows)} {settings.task}/{settings.split} stories were filtered out "
                        f"before SFT (skipped: {skipped}); raise max_length (now {max_length}) or check the data")
    ds = Dataset.from_list(examples)
    if settings.mode == "lora":
        lm = _lora(lm, settings.lora_r)
    # Re-running a step replaces its own earlier output (a directory with our card), nothing else.
    with atomic_dir(out_dir, overwrite=True, owned=lambda d: (d / CARD).is_file(), what="rmbench agent model") as tmp:
        args = SFTConfig(output_dir=str(tmp / "_trainer"), num_train_epochs=settings.epochs,
                         learning_rate=settings.learning_rate, per_device_train_batch_size=settings.batch_size,
                         max_length=max_length, seed=settings.seed, report_to=[], save_strategy="no",
                         logging_steps=10, use_cpu=not torch.cuda.is_available(), disable_tqdm=True,
                         completion_only_loss=True, dataset_num_proc=None,
                         **_checkpointing_kwarg(settings.gradient_checkpointing), **precision_args(settings.mixed_precision))
        trainer = SFTTrainer(model=lm, args=args, train_dataset=ds, processing_class=tok)
        quiet_trainer(trainer, "generator SFT")
        result = trainer.train()
        out = trainer.model.merge_and_unload() if settings.mode == "lora" else trainer.model
        out.generation_config.eos_token_id = tok.eos_token_id
        out.generation_config.pad_token_id = tok.pad_token_id
        out.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        shutil.rmtree(tmp / "_trainer", ignore_errors=True)
        summary = {"role": "generator", "base_model": model, "data_dir": str(data_dir),
                   "settings": dataclasses.asdict(settings), "precision": used_precision(args), "stories": len(examples), "skipped": skipped,
                   "train_loss": float(result.training_loss), "wall_time_s": round(time.time() - t0, 2)}
        write_json(tmp / CARD, summary)
    return summary
