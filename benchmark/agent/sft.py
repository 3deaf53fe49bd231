"""``rmbench agent sft``: fine-tune a causal LM to write a story for a WritingPrompts prompt.

TRL's SFTTrainer on a prompt/completion dataset: the loss covers the story only (not the
prompt frame), and SFTTrainer appends the tokenizer's EOS to every story, so the generator
learns to stop.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from dataclasses import dataclass

from rmbench.agent.artifacts import CARD
from rmbench.atomic import atomic_dir, write_json
from rmbench.agent.format import format_completion, format_prompt, story_rows
from rmbench.agent.tiny import TINY, build_tiny
from rmbench.fields import opt


@dataclass(frozen=True)
class SFTSettings:
    task: str = opt("writingprompts", "prepared task whose pairs hold the stories")
    stories: str = opt("chosen", "'chosen': only stories that won a vote comparison; 'all': every story in a pair")
    split: str = opt("train", "prepared split to train on (test stays unseen by the generator)")
    epochs: float = opt(1.0, "passes over the stories")
    learning_rate: float = opt(5e-5, "AdamW learning rate")
    batch_size: int = opt(8, "stories per optimizer step")
    max_length: int = opt(512, "prompt+story tokens kept per example (longer ones are cut)")
    max_examples: int | None = opt(None, "use at most this many stories (smoke runs)")
    seed: int = opt(0, "seed for init (tiny), shuffling and dropout")
    gradient_checkpointing: bool = opt(False, "recompute activations to save memory (TRL's default is on; GPT-2 sizes do not need it and it costs time)")
    tiny_vocab: int = opt(512, "vocabulary of the tiny model's word tokenizer")


def _load_model(name: str, texts: list[str], s: SFTSettings):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if name == TINY:
        return build_tiny(texts, seed=s.seed, vocab_size=s.tiny_vocab)
    tok = AutoTokenizer.from_pretrained(name)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token  # GPT-2 has none; padding is masked out of the loss
    return AutoModelForCausalLM.from_pretrained(name), tok


def run_sft(data_dir: str, model: str, out_dir: str, settings: SFTSettings = SFTSettings()) -> dict:
    """Train the generator and save a standard HF model dir at ``out_dir`` (atomically)."""
    import torch
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    from rmbench.prepared.load import load_prepared

    t0 = time.time()
    splits = load_prepared(data_dir, settings.task)
    if settings.split not in splits:
        raise ValueError(f"{data_dir}: task {settings.task!r} has no split {settings.split!r}")
    rows, skipped = story_rows(splits[settings.split], which=settings.stories)
    if settings.max_examples is not None:
        rows = rows[: settings.max_examples]
    if not rows:
        raise ValueError(f"{data_dir}: no stories in {settings.task}/{settings.split} to train the generator on")
    ds = Dataset.from_dict({"prompt": [format_prompt(r.prompt) for r in rows],
                            "completion": [format_completion(r.story) for r in rows]})
    lm, tok = _load_model(model, [r.prompt + " " + r.story for r in rows], settings)
    # Never past the model's position table (GPT-2: 1024); longer examples are cut, not crashed on.
    limit = getattr(lm.config, "n_positions", None) or getattr(lm.config, "max_position_embeddings", None)
    max_length = min(settings.max_length, limit) if limit else settings.max_length
    # Re-running a step replaces its own earlier output (a directory with our card), nothing else.
    with atomic_dir(out_dir, overwrite=True, owned=lambda d: (d / CARD).is_file(), what="rmbench agent model") as tmp:
        args = SFTConfig(output_dir=str(tmp / "_trainer"), num_train_epochs=settings.epochs,
                         learning_rate=settings.learning_rate, per_device_train_batch_size=settings.batch_size,
                         max_length=max_length, seed=settings.seed, report_to=[], save_strategy="no",
                         logging_steps=10, use_cpu=not torch.cuda.is_available(),
                         completion_only_loss=True, dataset_num_proc=None,
                         gradient_checkpointing=settings.gradient_checkpointing)
        trainer = SFTTrainer(model=lm, args=args, train_dataset=ds, processing_class=tok)
        result = trainer.train()
        trainer.model.generation_config.eos_token_id = tok.eos_token_id
        trainer.model.generation_config.pad_token_id = tok.pad_token_id
        trainer.model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        shutil.rmtree(tmp / "_trainer", ignore_errors=True)
        summary = {"role": "generator", "base_model": model, "data_dir": str(data_dir),
                   "settings": dataclasses.asdict(settings), "stories": len(rows), "skipped": skipped,
                   "train_loss": float(result.training_loss), "wall_time_s": round(time.time() - t0, 2)}
        write_json(tmp / CARD, summary)
    return summary
