"""Win rates, distinct-n and length pairing: pure functions, no models.

Intervals come from ``rmbench.eval.metrics`` (the one bootstrap), so an agent's win rate
and a reward model's accuracy carry intervals computed the same way: clustered, here by
prompt (several stories of one prompt are correlated, as several pairs of one post are).
"""

from __future__ import annotations

from rmbench.eval.metrics import accuracy_with_ci, pair_outcomes
from rmbench.task import length_ratio


def win_values(r_agent: list[float], r_ref: list[float]) -> list[float]:
    """1 where the agent's story has the higher reward, 0 where lower, 0.5 for a tie."""
    return [float(x) for x in pair_outcomes(r_agent, r_ref)]


def similar_length(a: str, b: str, max_ratio: float) -> bool:
    return length_ratio(a, b) <= max_ratio


def distinct_n(texts: list[str], n: int) -> float | None:
    """Unique word n-grams over all n-grams across ``texts`` (1.0: no repetition at all)."""
    grams = [tuple(w[i:i + n]) for w in (t.split() for t in texts) for i in range(len(w) - n + 1)]
    return len(set(grams)) / len(grams) if grams else None


def win_summary(r_agent: list[float], r_ref: list[float], *, seed: int = 0, samples: int = 1000,
                prompts: list[str] | None = None) -> dict:
    """Win rate with a 95% interval that resamples ``prompts`` whole (each comparison its
    own cluster when they are not given); ``prompts`` counts the distinct ones."""
    wins = win_values(r_agent, r_ref)
    scored = accuracy_with_ci(wins, samples, seed, clusters=prompts) if wins else {}
    return {"n": len(wins), "accuracy": scored["accuracy"] if wins else None,
            "ci95": scored["ci95"] if wins else None, "ties": sum(1 for w in wins if w == 0.5),
            **({"prompts": len(set(prompts))} if prompts is not None else {})}
