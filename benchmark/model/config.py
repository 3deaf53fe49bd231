"""The model and train sections of a run's config, beside the code that reads them."""

from __future__ import annotations

from dataclasses import dataclass

from rmbench.fields import opt


@dataclass
class ModelConfig:
    name: str = opt("minilm", "reward model: preset or alias (`rmbench models`), Hugging Face id, or local directory")
    kind: str = opt("auto", "classifier | dpo | judge | auto (the preset's kind; else a checkpoint with a "
                            "classification head is a classifier, a causal LM a dpo policy with ref_model or a judge; "
                            "`rmbench run` trains classifiers, and dpo policies by DPO when the kind is dpo)")
    input_format: str = opt("auto", "chat (the tokenizer's chat template: post = user turn, response = assistant "
                                    "turn) | pair (a text pair) | auto (chat when the tokenizer has a template)")
    # 0 = auto. Training: 128 -- a CPU step costs ~3x less than at 256, and the post-first
    # truncation keeps the start of every response (raise it on a GPU: 512 for real Reddit
    # threads). Scoring: what the model was trained with (rmbench's own models), else the
    # preset's, else the model's own context, capped by max_length_cap.
    max_length: int = opt(0, "tokens per input, 0 = auto (128 for training; the model's own for scoring, capped); "
                             "the post is cut first, then the response")
    # 2048: in the shared real dumps (SmolLM2's tokenizer, chat format) only 81 of 19,520
    # (post, response) inputs are longer (median 307, p99 1,643 tokens), and 11 of 681 judge
    # prompts; an 8B model's 128k context on a CPU would never finish.
    max_length_cap: int = opt(2048, "upper bound on the auto max_length of outside models")
    dtype: str = opt("auto", "scoring dtype: float32 | bfloat16 | float16 | auto (the preset's, else float32, "
                             "which keeps results batch-size invariant); the model a run trains is scored in it "
                             "too; training keeps fp32 weights")
    trust_remote_code: bool = opt(False, "allow models whose hub repo ships its own code (ArmoRM)")
    ref_model: str = opt("", "dpo: the reference model (default: the one a policy rmbench trained names, else the "
                             "preset's; `rmbench run` trains against the start model)")
    # 0.1: the usual DPO beta. It scales rewards (and so the calibration error), never the ranking.
    dpo_beta: float = opt(0.1, "dpo: reward = beta * (log pi - log pi_ref) summed over response tokens (a policy "
                               "rmbench trained: the beta it recorded, unless one is given)")
    judge_prompt: str = opt("", "judge: a prompt file like benchmark/model/judge_prompt.yaml (default: that one)")
    judge_backend: str = opt("auto", "judge: transformers | vllm | auto (vllm when installed and a GPU is present)")
    # auto: bf16 autocast in training where the hardware runs it fast (~1.7x per CPU step
    # on AVX512-BF16, measured); scoring stays fp32 so results do not depend on batch size.
    mixed_precision: str = opt("auto", "auto (bf16 on a bf16 GPU or a CPU with AVX512-BF16/AMX, else no), no, fp16 or bf16 -- training only")
    gradient_checkpointing: bool = opt(False, "trade compute for memory in training")
    lora: bool = opt(False, "train LoRA adapters (peft) instead of every weight; merged into the saved model")
    lora_r: int = opt(16, "LoRA rank")
    lora_alpha: int = opt(32, "LoRA scaling numerator")
    lora_dropout: float = opt(0.05, "LoRA dropout")


# LoRA adapters start at zero and move a fraction of the weights: at the full model's 3e-4 the
# demo run trained 16 updates and stayed at chance (50.7%); at 3e-3 it reached 78.7%, against
# 81.7% fully fine-tuned (BENCHMARKS.md (v)). Used when model.lora is on and no rate was given.
LORA_LEARNING_RATE = 3e-3
# DPO moves a whole language model: a classifier's 3e-4 is far too high for it. On real votes
# (smollm2, 256 pairs of three communities, 16 updates, bf16) 1e-5 took the DPO loss from log 2
# to 0.642 and the implicit reward to 62.5% on the validation pairs and 62.8% on the held-out
# community's (BENCHMARKS.md (w)). 3e-5 and 1e-4 fitted the training pairs closer and did no better on the
# validation pairs (62.5%, 59.4%) or the held-out community (61.6% both, paired differences including 0; (x)).
DPO_LEARNING_RATE = 1e-5
# DPO adapters (--model-kind dpo --lora, rank 16, alpha 32) on the same pairs, 16 updates: at 1e-4 the
# loss hardly left log 2 (0.690); 1e-3 brought the validation pairs' DPO loss lowest (0.667, against 0.676
# at 3e-4 and 0.694 at 3e-3, which fits the training pairs and loses the validation ones), with the
# validation accuracy flat at 58-59% across the rates (96 pairs). On the held-out community 1e-3 scored as the
# whole model at 1e-5 (61.9% against 62.8%, paired -0.8 [-3.7, +1.9]) at 2.9 GB peak RSS against 4.7 (BENCHMARKS.md (y)).
DPO_LORA_LEARNING_RATE = 1e-3


def default_learning_rate(model: ModelConfig, rate: float) -> float:
    """The rate a run trains at when none was given: LoRA's or DPO's where they need their own."""
    if model.kind == "dpo":
        return DPO_LORA_LEARNING_RATE if model.lora else DPO_LEARNING_RATE
    return LORA_LEARNING_RATE if model.lora else rate


@dataclass
class TrainConfig:
    epochs: float = opt(1.0, "passes over the training pairs")
    # 3e-4 for a 22M-parameter encoder and a few hundred pairs; lower it for bigger models.
    learning_rate: float = opt(3e-4, "peak learning rate (linear decay after warmup); with no rate given, "
                                     f"{LORA_LEARNING_RATE:g} with model.lora, {DPO_LEARNING_RATE:g} with "
                                     f"model.kind dpo and {DPO_LORA_LEARNING_RATE:g} with both "
                                     "(rmbench.model.config.default_learning_rate)")
    # 4 x 4 rather than 8 x 2: the same 16 pairs an update, half the activations held for the
    # backward (peak RSS of the main job 1.5 -> 1.2 GB), and no slower on a 2-core CPU.
    batch_size: int = opt(4, "pairs per device per step (each pair is two sequences in one forward pass)")
    gradient_accumulation_steps: int = opt(4, "steps accumulated per optimizer update")
    weight_decay: float = opt(0.01, "AdamW weight decay")
    warmup_ratio: float = opt(0.1, "share of steps spent warming up the learning rate")
    margin: float = opt(0.0, "Bradley-Terry margin weight: the loss asks r_chosen - r_rejected to exceed margin * log(score_ratio)")
    # none: plain Bradley-Terry. poe: a product of experts with baseline:confounds fitted on
    # the training pairs (rmbench.model.debias), so the model learns what the surface cannot
    # explain; scored alone either way.
    debias: str = opt("none", "none | poe (train against the frozen baseline:confounds logit, "
                              "a product of experts; the model is scored alone)")
    center_rewards: float = opt(0.0, "reward-centering coefficient: adds coef * mean((r_chosen + r_rejected)^2)")
    eval_every: float = opt(0.5, "evaluate on validation (and checkpoint) every this many epochs; the best one is kept")
    save_total_limit: int = opt(2, "checkpoints kept on disk (the best is always kept)")
    resume: bool = opt(False, "resume an interrupted run from its last checkpoint and step markers")
    group_by_length: bool = opt(True, "batch pairs of similar length together (less padding, same result in expectation)")
    # none: a run needs no account or server; RUN/train_log.jsonl and plots/training.png
    # keep the curve either way.
    report_to: str = opt("none", "where Trainer also sends its logs: none, or a comma-separated list of "
                                 "transformers integrations (tensorboard -> RUN/tensorboard/, wandb, mlflow, ...)")


def check_dpo_settings(train: TrainConfig) -> None:
    """The classifier-only training settings, refused for ``--model-kind dpo`` rather than ignored."""
    from rmbench.errors import ConfigError

    if train.debias != "none":
        raise ConfigError(f"train.debias={train.debias} trains a classifier against baseline:confounds; "
                          "--model-kind dpo trains a policy by DPO and has no such option")
    for key in ("margin", "center_rewards"):
        if getattr(train, key):
            raise ConfigError(f"train.{key} shapes a classifier's Bradley-Terry loss; --model-kind dpo has no such option")
