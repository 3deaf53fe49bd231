"""bench/ci_coverage_study.py: the harness's post-clustered interval covers where the pair bootstrap does not."""

from __future__ import annotations

import json

import numpy as np


def _scores(path, posts=200, per_post=4, seed=0):
    # every post's pairs share a post-level success rate (0.1 or 0.9): strongly correlated
    # within a post, as pairs that share a prompt and responses are
    rng = np.random.default_rng(seed)
    p = np.repeat(rng.choice([0.1, 0.9], posts), per_post)
    n = p.size
    won = rng.random(n) < p
    longer = (rng.random(n) < p).astype(float)
    chosen = np.where(won, 1.0, -1.0)
    scores = {"pair_ids": [f"p{i // per_post}:c{i}:r{i}" for i in range(n)], "chosen": chosen.tolist(),
              "rejected": [0.0] * n, "baselines": {"longer": longer.tolist()},
              "confounds_logit": np.where(rng.random(n) < p, 1.0, -1.0).tolist()}
    (path / "scores").mkdir(parents=True)
    (path / "scores" / "t.heldout_all.json").write_text(json.dumps(scores))


def test_posts_resampled_cover_and_pairs_resampled_do_not(tmp_path, bench_script):
    _scores(tmp_path)
    study = bench_script("ci_coverage_study")
    pop = study.load_population(tmp_path, "heldout_all")
    assert pop["codes"].max() + 1 == 200 and set(pop["values"]) == {"model", "longer", "confounds"}
    cell = study.one_cell(pop, m=40, reps=150, samples=300, seed=0)
    assert cell["mean_pairs"] == 160
    rows = {r["statistic"]: r for r in cell["rows"]}
    assert set(rows) == {"model accuracy", "longer accuracy", "model - confounds", "model - longer"}
    for r in rows.values():
        assert r["coverage_posts"] >= 0.88, r
    for name in ("model accuracy", "longer accuracy"):
        # a post's pairs are right or wrong together: the pair bootstrap pretends 160 facts, not 40
        r = rows[name]
        assert r["coverage_pairs"] <= r["coverage_posts"] - 0.08 and r["width_posts"] > 1.3 * r["width_pairs"], r
