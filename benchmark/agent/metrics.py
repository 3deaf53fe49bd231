"""Win rates with bootstrap intervals, distinct-n and length pairing: pure functions, no models."""

from __future__ import annotations

import random


def win_values(r_agent: list[float], r_ref: list[float]) -> list[float]:
    """1 where the agent's story has the higher reward, 0 where lower, 0.5 for a tie."""
    return [1.0 if a > b else 0.0 if a < b else 0.5 for a, b in zip(r_agent, r_ref)]


def bootstrap_ci(values: list[float], *, n_boot: int = 2000, seed: int = 0, level: float = 0.95) -> list[float] | None:
    """Percentile bootstrap interval of the mean; None when there is nothing to resample."""
    if not values:
        return None
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(values[rng.randrange(n)] for _ in range(n)) / n for _ in range(n_boot))
    lo = means[int((1 - level) / 2 * n_boot)]
    hi = means[min(n_boot - 1, int((1 + level) / 2 * n_boot))]
    return [round(lo, 6), round(hi, 6)]


def similar_length(a: str, b: str, max_ratio: float) -> bool:
    la, lb = len(a), len(b)
    return max(la, lb) / max(1, min(la, lb)) <= max_ratio


def distinct_n(texts: list[str], n: int) -> float | None:
    """Unique word n-grams over all n-grams across ``texts`` (1.0: no repetition at all)."""
    grams = [tuple(w[i:i + n]) for w in (t.split() for t in texts) for i in range(len(w) - n + 1)]
    return len(set(grams)) / len(grams) if grams else None


def win_summary(r_agent: list[float], r_ref: list[float], *, seed: int = 0) -> dict:
    wins = win_values(r_agent, r_ref)
    return {"n": len(wins), "accuracy": (sum(wins) / len(wins)) if wins else None,
            "ci95": bootstrap_ci(wins, seed=seed),
            "ties": sum(1 for w in wins if w == 0.5)}
