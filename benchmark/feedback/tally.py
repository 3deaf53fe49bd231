"""Counting votes: per item, per rater, and how much raters agree with each other.

Shared by ``/admin`` (the live view) and ``feedback export`` (the manifest), so both say the
same numbers. Inter-rater agreement is computed on the items two or more raters answered,
over the four answers that say something about the pair (A, B, tie, both bad; a skip says
nothing and is left out):

- ``percent_agreement``: of all pairs of raters on one item, the fraction that gave the same
  answer (easy to read, but high by chance when one answer dominates);
- ``krippendorff_alpha`` (nominal): 1 - observed / expected disagreement, where expected is
  what raters drawing answers at the pooled rates would give. 1 is perfect agreement, 0 is
  chance, negative is systematic disagreement; it handles any number of raters per item,
  which a rater page always has. None when every answer is the same (chance explains it).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import combinations

from rmbench.feedback.store import CHOICES, Click

RATED = ("A", "B", "tie", "both_bad")  # answers that say something about the pair


def per_item(votes: list[Click]) -> dict[str, dict]:
    """item -> {choice: count for every choice, "raters": n}."""
    out: dict[str, dict] = {}
    for v in votes:
        row = out.setdefault(v.item_id, {**{c: 0 for c in CHOICES}, "raters": 0})
        row[v.choice] += 1
        row["raters"] += 1
    return dict(sorted(out.items()))


def per_rater(votes: list[Click]) -> dict[str, dict]:
    """rater -> {votes, each choice, sessions (browsers they used), first/last time}."""
    out: dict[str, dict] = {}
    sessions: dict[str, set] = defaultdict(set)
    for v in votes:
        row = out.setdefault(v.rater, {"votes": 0, **{c: 0 for c in CHOICES}, "first_utc": v.created_utc,
                                       "last_utc": v.created_utc})
        row["votes"] += 1
        row[v.choice] += 1
        row["first_utc"], row["last_utc"] = min(row["first_utc"], v.created_utc), max(row["last_utc"], v.created_utc)
        sessions[v.rater].add(v.session)
    for rater, row in out.items():
        row["sessions"] = len(sessions[rater])
    return dict(sorted(out.items()))


def agreement(votes: list[Click]) -> dict:
    """Inter-rater agreement on items with at least two rated (non-skip) answers."""
    units: dict[str, list[str]] = defaultdict(list)
    for v in votes:
        if v.choice in RATED:
            units[v.item_id].append(v.choice)
    return nominal_agreement(list(units.values()))


def nominal_agreement(units: list[list]) -> dict:
    """Percent agreement and Krippendorff's nominal alpha over units (one list of answers each;
    a unit with fewer than two answers carries no agreement and is left out)."""
    units = [u for u in units if len(u) >= 2]
    same = pairs = 0
    coincidence: Counter = Counter()  # (c, k) -> weight; Krippendorff's coincidence matrix
    for answers in units:
        m = len(answers)
        for a, b in combinations(answers, 2):
            pairs += 1
            same += a == b
            # each ordered pair of answers in a unit weighs 1 / (m - 1)
            coincidence[(a, b)] += 1 / (m - 1)
            coincidence[(b, a)] += 1 / (m - 1)
    n_c: Counter = Counter()
    for (c, _), w in coincidence.items():
        n_c[c] += w
    n = sum(n_c.values())
    alpha = None
    if n > 1:
        observed = sum(w for (c, k), w in coincidence.items() if c != k) / n
        expected = sum(n_c[c] * n_c[k] for c in n_c for k in n_c if c != k) / (n * (n - 1))
        alpha = None if expected == 0 else 1 - observed / expected
    return {"items": len(units), "rater_pairs": pairs,
            "percent_agreement": same / pairs if pairs else None, "krippendorff_alpha": alpha}
