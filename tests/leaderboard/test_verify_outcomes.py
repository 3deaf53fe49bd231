"""Property: rewards nudged inside verify's tolerance never pass as reproduced unless the
re-scored accuracy is the claimed one (up to the pairs that are exact ties when re-scored,
which float noise may break either way)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rmbench.eval.metrics import pair_outcomes
from rmbench.leaderboard.verify import REWARD_ATOL, REWARD_RTOL, Check, outcome_check

pair = st.tuples(st.floats(-50, 50, allow_nan=False), st.sampled_from([0.0, 1e-3, -1e-3, 0.01, -0.01, 0.5, -2.0]))


@settings(max_examples=200, deadline=None)
@given(pairs=st.lists(pair, min_size=4, max_size=40), data=st.data())
def test_nudges_within_tolerance_never_verify_a_different_accuracy(pairs, data):
    rescored = {f"p{i}:c:r": (base + margin, base) for i, (base, margin) in enumerate(pairs)}
    n = len(rescored)
    # the attacker edits fewer than half of the rewards, each within the tolerance
    edited = data.draw(st.sets(st.sampled_from(sorted(rescored)), max_size=(2 * n - 1) // 4))
    submitted = dict(rescored)
    for pid in edited:
        c, r = rescored[pid]
        f = data.draw(st.floats(-1, 1))
        submitted[pid] = (c + f * (REWARD_ATOL + REWARD_RTOL * abs(c)), r)
    ids = sorted(rescored)
    claimed = float(pair_outcomes(*zip(*(submitted[p] for p in ids))).mean())
    truth = float(pair_outcomes(*zip(*(rescored[p] for p in ids))).mean())
    check = outcome_check(Check("t", "s", n, claimed, truth), submitted, rescored, None, None)
    ties = sum(c == r for c, r in rescored.values())
    if check.within:
        assert abs(claimed - truth) <= ties / (2 * n) + 1e-12
    if abs(claimed - truth) > ties / (2 * n) + 1e-12:
        assert not check.within and check.unexplained > 0


def test_honest_noise_on_another_machine_still_reproduces():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(300, 2))
    rescored = {f"p{i}:c:r": tuple(x) for i, x in enumerate(base)}
    noisy = {p: (c + rng.normal() * 1e-4, r + rng.normal() * 1e-4) for p, (c, r) in rescored.items()}  # bf16 vs fp32
    ids = sorted(rescored)
    acc = lambda d: float(pair_outcomes(*zip(*(d[p] for p in ids))).mean())  # noqa: E731
    check = outcome_check(Check("t", "s", 300, acc(noisy), acc(rescored)), noisy, rescored, None, None)
    assert check.within and check.noise > 0
