"""The baselines every model number stands beside, written as reward functions.

Each baseline gives a response a number, exactly like a reward model, so one code path
computes accuracy, intervals and calibration for models and baselines alike, and
``rmbench evaluate --model baseline:longer`` writes an ordinary results.json.

- ``random``: a seeded coin per pair (keyed on the pair id, so subsampling a split does
  not change the other pairs' coins). As a *model* it is scored like any other; in a
  scorecard's baseline table it is reported as its expectation, 50%, with no interval:
  the coin's luck on one split is not a bar anyone has to clear.
- ``longer`` / ``shorter``: the response with more / fewer characters wins.
- ``earlier`` / ``later``: the response written first / last wins. Not applicable (never
  a crash, never the best baseline) where pairs lack timestamps (SHP rows, human feedback).
- ``confounds``: a logistic model over surface features only (``rmbench.eval.confounds``),
  fitted on held-in training pairs.

Under the later-but-higher pairing rule (``preferred_later``, every default task) the
chosen response is always the later one, so ``later`` scores 100% and ``earlier`` 0% *by
construction*. They are reported, marked ``by_construction``, and left out of the best
baseline: a model that never sees the time cannot exploit that ordering.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from rmbench.errors import DataError

BASELINES = ("random", "longer", "shorter", "earlier", "later")
TIME_BASELINES = ("earlier", "later")
LEARNED_BASELINES = ("confounds",)
MODEL_BASELINES = BASELINES + LEARNED_BASELINES  # what --model baseline:NAME accepts
CHANCE = 0.5  # the random baseline's expectation, reported instead of its coin's luck


def _coin(seed: int, pair_id: str) -> bool:
    return hashlib.sha256(f"{seed}:{pair_id}".encode()).digest()[0] & 1 == 1


def not_applicable(name: str, pairs: Sequence[dict]) -> str | None:
    """Why the rule baseline ``name`` cannot score these pairs, or None."""
    if name in TIME_BASELINES:
        missing = sum(1 for p in pairs if p.get("chosen_created_utc") is None or p.get("rejected_created_utc") is None)
        if missing:
            return f"{missing} of {len(pairs)} pairs have no response timestamps"
    return None


def baseline_rewards(name: str, pairs: Sequence[dict], seed: int = 0) -> tuple[list[float], list[float]]:
    """(rewards of chosen, rewards of rejected) that the rule baseline ``name`` assigns.

    Raises ``DataError`` for a time baseline on pairs without timestamps."""
    side: dict[str, Callable[[dict, str], float]] = {
        "longer": lambda p, s: float(len(p[s])),
        "shorter": lambda p, s: -float(len(p[s])),
        "later": lambda p, s: float(p[f"{s}_created_utc"]),
        "earlier": lambda p, s: -float(p[f"{s}_created_utc"]),
    }
    if name == "random":
        coins = [_coin(seed, p["pair_id"]) for p in pairs]
        return [1.0 if c else 0.0 for c in coins], [0.0 if c else 1.0 for c in coins]
    if name not in side:
        raise ValueError(f"unknown baseline {name!r}; one of {', '.join(BASELINES)}")
    why = not_applicable(name, pairs)
    if why:
        raise DataError(f"baseline:{name} is not applicable here: {why}")
    f = side[name]
    return [f(p, "chosen") for p in pairs], [f(p, "rejected") for p in pairs]


def by_construction(name: str, preferred_later: bool) -> bool:
    """Whether the pairing rule alone decides this baseline's accuracy."""
    return preferred_later and name in TIME_BASELINES


def parse_baseline_model(model: str) -> str | None:
    """``baseline:longer`` -> ``longer``; anything else -> None."""
    if not model.lower().startswith("baseline:"):
        return None
    name = model.split(":", 1)[1].lower()
    if name not in MODEL_BASELINES:
        from rmbench.errors import UnknownModelError, did_you_mean

        hint = did_you_mean(name, MODEL_BASELINES, n=1, prefix="baseline:")
        raise UnknownModelError(f"unknown baseline {name!r}.{hint} Baselines: "
                                + ", ".join(f"baseline:{b}" for b in MODEL_BASELINES))
    return name
