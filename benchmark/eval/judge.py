"""A judge's per-split figures beside its accuracy: position consistency and position bias.

A judge (``rmbench.model.judge``) is asked every pair twice, chosen shown first and then
second. Per order its verdict is the sign of ``margin`` = log p(chosen's label) -
log p(rejected's label): chosen (> 0), rejected (< 0) or a tie (exactly 0, counted 0.5).

- ``position_consistency``: share of pairs whose verdict (which reply wins, or a tie) is
  the same in both orders, with the one bootstrap interval (``rmbench.eval.metrics``).
  A judge that always answers "A" gets 0; one that ignores the order gets 1.
- ``first_position_rate``: share of the 2n verdicts that picked the reply shown first
  (ties 0.5): 0.5 is no position bias, 1.0 always "A".
- ``first_position_baseline``: the accuracy of always picking the reply shown first over
  the asked orders -- 0.5 exactly when both orders are asked, the number a purely
  positional judge gets; the judge's accuracy is worth reading only above it.
- ``accuracy_by_order``: per-order accuracy (chosen first / chosen second); the gap is
  the position bias in accuracy terms. ``verdict_accuracy``: the mean of both per-order
  outcomes (RewardBench's "inconsistent counts a half").
- ``label_mass``: mean probability the judge put on the two labels at all (a small model
  that answers in prose has little).
"""

from __future__ import annotations

import numpy as np

from rmbench.eval.metrics import accuracy_with_ci


def _outcome(margins) -> np.ndarray:
    m = np.asarray(margins, dtype=float)
    return np.where(m > 0, 1.0, np.where(m < 0, 0.0, 0.5))


def judge_card(orders: dict, cfg, seed: int) -> dict:
    """The ``judge`` entry of a split's card from the per-order margins a judge run saved."""
    first = _outcome(orders["margin_chosen_first"])    # 1: chosen wins with chosen shown first
    second = _outcome(orders["margin_chosen_second"])  # 1: chosen wins with chosen shown second
    consistent = (first == second).astype(float)
    # picked the first-shown reply: order 1 picks chosen (shown first), order 2 picks rejected
    first_pick = np.concatenate([first, 1.0 - second])
    shown_first_is_chosen = np.concatenate([np.ones_like(first), np.zeros_like(second)])
    mass = np.asarray(orders.get("label_mass") or [], dtype=float)
    return {
        "position_consistency": accuracy_with_ci(consistent, cfg.bootstrap_samples, seed),
        "first_position_rate": round(float(first_pick.mean()), 6) if first_pick.size else None,
        "first_position_baseline": round(float(shown_first_is_chosen.mean()), 6) if first.size else None,
        "accuracy_by_order": {"chosen_first": accuracy_with_ci(first, cfg.bootstrap_samples, seed),
                              "chosen_second": accuracy_with_ci(second, cfg.bootstrap_samples, seed)},
        "verdict_accuracy": accuracy_with_ci((first + second) / 2, cfg.bootstrap_samples, seed),
        "label_mass": round(float(mass.mean()), 6) if mass.size else None,
        "orders": 2,
    }
