"""Confound-debiased training: a product of experts with the surface-feature baseline.

The reward model trained plainly learns whatever separates chosen from rejected, and on
Reddit that is mostly length (BENCHMARKS.md (e): it picks the longer answer in ~80% of
pairs). With ``train.debias = poe`` the training logit of a pair is

    logit = (r_chosen - r_rejected) + b(chosen, rejected)

where ``b`` is the logit of ``baseline:confounds`` (``rmbench.eval.confounds``), fitted
on the same training pairs before training starts and then frozen. The Bradley-Terry loss
on that sum is the loss of a product of two experts (their odds multiply): where the
surface already explains a vote, the pair's gradient is small, so the reward model's
capacity goes to what the surface cannot explain (Clark et al. 2019, "Don't take the easy
way out"; He et al. 2019, "Unlearn dataset bias"). The bias expert is used in training
only: validation accuracy, checkpoint selection and every score rmbench reports are the
reward model alone.
"""

from __future__ import annotations

from collections.abc import Sequence

MODES = ("none", "poe")


def check_mode(mode: str) -> str:
    from rmbench.errors import ConfigError

    if mode not in MODES:
        raise ConfigError(f"train.debias {mode!r}: one of {', '.join(MODES)}")
    return mode


def poe_offsets(train_pairs: Sequence[dict], val_pairs: Sequence[dict], *, use_delay: bool
                ) -> tuple[list[float], list[float], dict]:
    """The frozen bias logit of every training and validation pair, and what was fitted
    (for train_info.json: features, coefficients, its own training accuracy)."""
    from rmbench.eval.confounds import fit_confounds

    bias = fit_confounds(train_pairs, use_delay=use_delay, fit_tasks=sorted({p.get("task", "") for p in train_pairs}))

    def logits(pairs: Sequence[dict]) -> list[float]:
        c, r = bias.rewards(pairs)
        return [a - b for a, b in zip(c, r)]

    info = {"mode": "poe", "bias": "baseline:confounds fitted on the training pairs",
            "coefficients": bias.to_dict()["coefficients"], "bias_train_accuracy": bias.train_accuracy,
            "fit_pairs": bias.train_pairs}
    return logits(train_pairs), logits(val_pairs), info
