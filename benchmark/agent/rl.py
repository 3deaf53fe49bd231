"""``rmbench agent train``: pairwise RL of the generator against a reward model (the evaluator).

Per prompt the policy samples two stories a, b; the evaluator's preference
p(a > b) = σ(r_a − r_b) is each story's reward (b gets 1 − p). The update is REINFORCE with
the two-sample leave-one-out baseline and a KL penalty to the frozen generator:

    reward_i  = p_i − β · KL_i           (KL_i = Σ_t log π(y_t) − log π_gen(y_t), per story)
    advantage = reward_a − reward_b      (the other sample is the baseline)

This is exactly TRL's ``RLOOTrainer`` with ``num_generations=2``, ``beta=β`` and
``num_iterations=1`` (then its clipped ratio is 1 and the loss is plain REINFORCE), given
the pairwise reward below as a reward *function*. So we use it rather than a loop of our own:

- RLOOTrainer takes any callable reward; a reward *model* passed directly would give r_a − r_b
  as the advantage, not σ(r_a − r_b), so the callable wraps the evaluator.
- TRL's online DPO (``trl.experimental``) fits a pairwise judge too, but it optimises a DPO
  loss on judged pairs rather than the policy gradient this benchmark specifies, and it lives
  in the experimental namespace (no stability promise).
- The reference model is the generator loaded a second time from its directory and never
  updated (``sync_ref_model=False``).
"""

from __future__ import annotations

import dataclasses
import math
import shutil
import time
from dataclasses import dataclass
from typing import Protocol

from rmbench.agent.artifacts import CARD, read_card
from rmbench.atomic import atomic_dir, write_json
from rmbench.model.load import weights_sha256
from rmbench.agent.format import format_prompt
from rmbench.agent.trainer_log import precision_args, quiet_trainer, used_precision
from rmbench.model.deprecations import without_renamed_checkpointing_warnings
from rmbench.model.train import _checkpointing_kwarg
from rmbench.fields import opt


class Scorer(Protocol):
    def score(self, prompts: list[str], responses: list[str]) -> list[float]: ...


@dataclass(frozen=True)
class RLSettings:
    steps: int = opt(200, "optimizer steps")
    prompts_per_step: int = opt(4, "prompts per step; each gets two stories")
    beta: float = opt(0.05, "KL penalty coefficient β (reward − β·KL to the generator)")
    learning_rate: float = opt(1e-5, "AdamW learning rate")
    max_new_tokens: int = opt(200, "longest story, in tokens (then it is cut; an EOS stops it earlier)")
    temperature: float = opt(1.0, "sampling temperature for the two stories")
    top_p: float = opt(1.0, "nucleus sampling mass")
    seed: int = opt(0, "seed for sampling and the optimizer")
    logging_steps: int = opt(10, "log reward/KL every this many steps")
    # On by default, as TRL has it: smollm2 on a 2-core CPU, 3 steps of 8 stories, peak RSS
    # 7.8-7.9 -> 5.7-5.9 GB and no slower (151.9-158.1 CPU s against 161.1-170.5 off): faulting in
    # fresh activation memory costs more there than recomputing it (BENCHMARKS.md, the agent).
    gradient_checkpointing: bool = opt(True, "recompute activations in the backward pass instead of keeping them (less memory)")
    mixed_precision: str = opt("auto", "training precision: auto (bf16 where this machine has fast bf16), no (fp32), bf16, fp16")


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


class PairwisePreference:
    """A TRL reward function: σ(r_a − r_b) for a, σ(r_b − r_a) for b, per consecutive pair.

    TRL's sampler repeats each prompt ``num_generations`` times in a row, so with two
    generations the completions arrive as (a, b) pairs of the same prompt; we check that.
    """

    __name__ = "pairwise_preference"  # TRL names reward columns after the callable

    def __init__(self, scorer: Scorer):
        self.scorer = scorer
        self.calls = 0
        self.raw_means: list[float] = []  # the evaluator's mean raw reward per call: should rise

    def __call__(self, prompts, completions, raw_prompt=None, **_):
        raw = list(raw_prompt) if raw_prompt is not None else list(prompts)
        if len(completions) % 2:
            raise ValueError(f"pairwise reward needs completions in pairs, got {len(completions)}")
        for i in range(0, len(raw), 2):
            if raw[i] != raw[i + 1]:
                raise ValueError("pairwise reward: consecutive completions are not of the same prompt "
                                 "(per-device batch must be a multiple of 2)")
        stories = [c if isinstance(c, str) else c[-1]["content"] for c in completions]
        rewards = self.scorer.score(raw, [s.strip() for s in stories])
        self.calls += 1
        self.raw_means.append(sum(rewards) / max(1, len(rewards)))
        out: list[float] = []
        for i in range(0, len(rewards), 2):
            p = sigmoid(rewards[i] - rewards[i + 1])
            out += [p, 1.0 - p]
        return out


def decodes_for(trainer) -> bool:
    """Whether ``rmbench.agent.generate.decode`` samples what this TRL trainer asks for: plain
    text, transformers' path (no vLLM, no continuous batching), temperature and nucleus only.
    Any other setting leaves sampling to TRL."""
    args = getattr(trainer, "args", None)
    return (getattr(trainer, "use_vllm", None) is False and not getattr(trainer, "use_transformers_continuous_batching", False)
            and getattr(trainer, "top_k", None) in (0, None) and getattr(trainer, "min_p", 1.0) is None
            and getattr(trainer, "repetition_penalty", None) == 1.0 and args is not None
            and not getattr(args, "generation_kwargs", None))


def _decode_prompts(trainer, model, prompt_ids: list[list[int]]) -> list[list[int]] | None:
    """TRL's completions (each up to and including its end token) from ``decode``: one batch,
    left-padded, a story leaving it when it ends, sampled with the global torch RNG as TRL's
    ``generate`` is. None when the model gives no KV cache back: then TRL samples."""
    import torch

    from rmbench.agent.generate import GenerationConfig, NoKVCache, decode, logit_warpers

    pad = trainer._tokenizer.pad_token_id
    width = max(len(p) for p in prompt_ids)
    device = trainer.accelerator.device
    ids = torch.tensor([[pad] * (width - len(p)) + list(p) for p in prompt_ids], device=device)
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompt_ids], device=device)
    warp = logit_warpers(GenerationConfig(temperature=trainer.temperature, top_p=trainer.top_p))

    def pick(logits, rows):
        return torch.multinomial(torch.softmax(warp(None, logits), dim=-1), 1).squeeze(1)

    # Without gradients transformers 5 keeps the cache of a model that trains with checkpointing
    # (TRL's own sampling turns checkpointing off around generate for the same reason).
    with torch.no_grad():
        try:
            done = dict(decode(model, ids, mask, pick, list(trainer.eos_token_ids), trainer.max_completion_length,
                               pad_id=pad))
        except NoKVCache:
            return None
    return [done[i] for i in range(len(prompt_ids))]


def fp32_sampling(trainer_cls):
    """``trainer_cls`` whose sampling runs the policy's own fp32 forward, not accelerate's
    autocast, through rmbench's decoder where it covers TRL's settings (``decodes_for``).

    With bf16 mixed precision, accelerate wraps the model's ``forward`` in a bf16 autocast
    (``model._original_forward`` keeps the plain one) and TRL samples through that wrapper, so
    every decoding step casts all weights to bf16 again: on this 2-core bf16 CPU smollm2 took
    ~30% more CPU to write 8 stories x 48 tokens (9.8-10.6 s against 7.5-7.7 s in fp32). The
    loss and the log-probs still run under TRL's explicit ``accelerator.autocast()``; the stories
    are sampled from the fp32 policy that is saved and evaluated. TRL's ``generate`` computes all
    of a step's stories until the longest stops; ``decode`` lets each leave when it ends."""

    class FP32Sampling(trainer_cls):
        def _generate_single_turn(self, *args, **kwargs):
            model = self.accelerator.unwrap_model(self.model_wrapped)
            # TRL 1.x calls it with (prompt_ids, images, multimodal_fields).
            prompt_ids, images, fields = args if len(args) == 3 and not kwargs else (None, None, None)
            ours = (prompt_ids is not None and decodes_for(self) and not fields
                    and (images is None or all(i is None for i in images)))
            plain = getattr(model, "_original_forward", None)
            wrapped = model.forward if plain is not None and "forward" in vars(model) else None
            if wrapped is not None:  # accelerate's autocast wrapper: sample through the plain forward
                model.forward = plain
            try:
                got = _decode_prompts(self, model, prompt_ids) if ours else None
                return got if got is not None else super()._generate_single_turn(*args, **kwargs)
            finally:
                if wrapped is not None:
                    model.forward = wrapped

    FP32Sampling.__name__ = f"FP32Sampling{trainer_cls.__name__}"
    return FP32Sampling


def train_agent(generator_dir: str, scorer: Scorer, prompts: list[str], out_dir: str,
                settings: RLSettings = RLSettings(), reward_model: dict | None = None) -> dict:
    """Train the agent from ``generator_dir`` against ``scorer``; save an HF dir at ``out_dir``."""
    import torch
    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import RLOOConfig, RLOOTrainer

    if len(prompts) < settings.prompts_per_step:
        # TRL's sampler drops an incomplete batch: with fewer prompts than a step takes it would
        # train for zero steps and save the generator unchanged as the "agent".
        raise ValueError(f"{len(prompts)} prompts to train the agent on; a step takes {settings.prompts_per_step} "
                         "(prompts_per_step): give more prompts or lower it")
    t0 = time.time()
    tok = AutoTokenizer.from_pretrained(generator_dir)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    ds = Dataset.from_dict({"prompt": [format_prompt(p, tok) for p in prompts], "raw_prompt": list(prompts)})
    reward = PairwisePreference(scorer)
    # Re-running a step replaces its own earlier output (a directory with our card), nothing else.
    with atomic_dir(out_dir, overwrite=True, owned=lambda d: (d / CARD).is_file(), what="rmbench agent model") as tmp:
        args = RLOOConfig(
            output_dir=str(tmp / "_trainer"), num_generations=2, beta=settings.beta, num_iterations=1,
            per_device_train_batch_size=2 * settings.prompts_per_step, max_steps=settings.steps,
            learning_rate=settings.learning_rate, max_completion_length=settings.max_new_tokens,
            temperature=settings.temperature, top_p=settings.top_p, top_k=0, seed=settings.seed,
            logging_steps=settings.logging_steps, report_to=[], save_strategy="no",
            use_cpu=not torch.cuda.is_available(), normalize_advantages=False,
            **_checkpointing_kwarg(settings.gradient_checkpointing), disable_tqdm=True, **precision_args(settings.mixed_precision))
        trainer = fp32_sampling(RLOOTrainer)(model=str(generator_dir), reward_funcs=reward, args=args, train_dataset=ds,
                                             processing_class=tok)
        quiet_trainer(trainer, "agent RL (RLOO, k=2)")
        with without_renamed_checkpointing_warnings():
            trainer.train()
        trainer.model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        shutil.rmtree(tmp / "_trainer", ignore_errors=True)
        logs = [h for h in trainer.state.log_history if "kl" in h]
        k = max(1, len(reward.raw_means) // 10)  # first and last tenth of training
        raw = reward.raw_means
        card = {"role": "agent", "generator": str(generator_dir),
                "generator_card": read_card(generator_dir),
                "reward_model": reward_model or {"kind": type(scorer).__name__},
                "settings": dataclasses.asdict(settings), "precision": used_precision(args), "prompts": len(prompts), "trainer": "trl.RLOOTrainer",
                # σ-preferences average 0.5 by construction; the evaluator's raw reward shows progress.
                "evaluator_reward": {"first_tenth": sum(raw[:k]) / k if raw else None,
                                     "last_tenth": sum(raw[-k:]) / k if raw else None, "calls": len(raw)},
                "log": [{k: h.get(k) for k in ("step", "reward", "reward_std", "kl", "loss",
                                                "completions/mean_length")} for h in logs],
                "wall_time_s": round(time.time() - t0, 2)}
        write_json(tmp / CARD, card)
    return card


def reward_model_info(path: str) -> dict:
    return {"path": str(path), "weights_sha256": weights_sha256(path)}
