"""The model and train sections of a run's config, beside the code that reads them."""

from __future__ import annotations

from dataclasses import dataclass

from rmbench.fields import opt


@dataclass
class ModelConfig:
    name: str = opt("minilm", "reward model: alias (minilm), Hugging Face id, or local directory")
    # 128: a CPU step costs ~3x less than at 256, and the post-first truncation keeps the
    # start of every response. Raise it on a GPU (512 for real Reddit threads).
    max_length: int = opt(128, "tokens per (post, response) input; the post is cut first, then the response")
    # auto: bf16 autocast in training where the hardware runs it fast (~1.7x per CPU step
    # on AVX512-BF16, measured); scoring stays fp32 so results do not depend on batch size.
    mixed_precision: str = opt("auto", "auto (bf16 on a bf16 GPU or a CPU with AVX512-BF16/AMX, else no), no, fp16 or bf16 -- training only")
    gradient_checkpointing: bool = opt(False, "trade compute for memory in training")
    lora: bool = opt(False, "train LoRA adapters (peft) instead of every weight; merged into the saved model")
    lora_r: int = opt(16, "LoRA rank")
    lora_alpha: int = opt(32, "LoRA scaling numerator")
    lora_dropout: float = opt(0.05, "LoRA dropout")


@dataclass
class TrainConfig:
    epochs: float = opt(1.0, "passes over the training pairs")
    # 1e-4 for a 22M-parameter encoder and a few hundred pairs; lower it for bigger models.
    learning_rate: float = opt(1e-4, "peak learning rate (linear decay after warmup)")
    batch_size: int = opt(16, "pairs per device per step (each pair is two sequences in one forward pass)")
    gradient_accumulation_steps: int = opt(1, "steps accumulated per optimizer update")
    weight_decay: float = opt(0.01, "AdamW weight decay")
    warmup_ratio: float = opt(0.1, "share of steps spent warming up the learning rate")
    margin: float = opt(0.0, "Bradley-Terry margin weight: the loss asks r_chosen - r_rejected to exceed margin * log(score_ratio)")
    center_rewards: float = opt(0.0, "reward-centering coefficient: adds coef * mean((r_chosen + r_rejected)^2)")
    eval_every: float = opt(0.5, "evaluate on validation (and checkpoint) every this many epochs; the best one is kept")
    save_total_limit: int = opt(2, "checkpoints kept on disk (the best is always kept)")
    resume: bool = opt(False, "resume an interrupted run from its last checkpoint and step markers")
    group_by_length: bool = opt(True, "batch pairs of similar length together (less padding, same result in expectation)")
