"""KL(agent ‖ generator) from the exact per-token estimator: 0 for identical policies, never
below zero, and in expectation the same number as the unbiased Monte-Carlo log-ratio."""

from __future__ import annotations

import pytest

from rmbench.agent.generate import GenerationConfig, load_causal_lm, sample
from rmbench.agent.kl import kl_summary, story_kl


def _stories(model, tok, prompts, n, seed=0):
    samples = sample(model, tok, prompts, GenerationConfig(max_new_tokens=10, batch_size=64), n=n, seed=seed)
    return [p for p, ss in zip(prompts, samples) for _ in ss], [s.token_ids for ss in samples for s in ss]


def test_identical_policies_give_exactly_zero(tmp_path, tiny_generator_dir, prompts):
    d = tiny_generator_dir(tmp_path / "g", seed=0)
    a, tok = load_causal_lm(str(d), "cpu")
    b, _ = load_causal_lm(str(d), "cpu")
    ps, ids = _stories(a, tok, prompts(8), n=2)
    kl = story_kl(a, b, tok, ps, ids)
    assert kl["exact"] == [0.0] * len(ids) and kl_summary(kl)["per_token"] == 0.0


def test_never_negative_and_matches_the_monte_carlo_mean(tmp_path, tiny_generator_dir, prompts):
    # Two random models over one vocabulary: far apart, so the Monte-Carlo terms swing both ways.
    agent, tok = load_causal_lm(str(tiny_generator_dir(tmp_path / "a", seed=1)), "cpu")
    ref, _ = load_causal_lm(str(tiny_generator_dir(tmp_path / "b", seed=2)), "cpu")
    ps, ids = _stories(agent, tok, prompts(16), n=16, seed=3)
    kl = story_kl(agent, ref, tok, ps, ids, batch_size=64)
    assert min(kl["exact"]) >= 0.0 and all(e > 0 for e, t in zip(kl["exact"], kl["tokens"]) if t)
    assert min(kl["log_ratio"]) < 0 < max(kl["log_ratio"])  # the plain estimator does go negative
    s = kl_summary(kl)
    mc = kl["log_ratio"]
    sd = (sum((x - s["monte_carlo_per_story"]) ** 2 for x in mc) / (len(mc) - 1)) ** 0.5
    # Same expectation: the exact mean sits inside the Monte-Carlo mean's 4-standard-error band.
    assert abs(s["per_story"] - s["monte_carlo_per_story"]) < 4 * sd / len(mc) ** 0.5
    assert s["n"] == 256 and s["per_token"] == pytest.approx(sum(kl["exact"]) / sum(kl["tokens"]))


def test_different_vocabularies_are_refused(tmp_path, tiny_generator_dir, tiny_llama_lm_dir, prompts):
    a, tok = load_causal_lm(str(tiny_generator_dir(tmp_path / "a")), "cpu")
    b, _ = load_causal_lm(str(tiny_llama_lm_dir(tmp_path / "b")), "cpu")
    with pytest.raises(ValueError, match="one vocabulary"):
        story_kl(a, b, tok, ["p"], [(1, 2)])


def test_each_story_is_the_sum_of_next_token_kls_given_its_prefix(tmp_path, tiny_generator_dir, prompts):
    # Recomputed one prefix at a time, unbatched: catches a shifted or padded position.
    import torch

    from rmbench.agent.format import format_prompt

    agent, tok = load_causal_lm(str(tiny_generator_dir(tmp_path / "a", seed=1)), "cpu")
    ref, _ = load_causal_lm(str(tiny_generator_dir(tmp_path / "b", seed=2)), "cpu")
    ps, ids = _stories(agent, tok, prompts(3), n=2, seed=4)
    got = story_kl(agent, ref, tok, ps, ids, batch_size=4)["exact"]
    for p, story, value in zip(ps, ids, got):
        prefix = tok(format_prompt(p, tok), add_special_tokens=False)["input_ids"]
        want = 0.0
        with torch.no_grad():
            for t in range(len(story)):
                x = torch.tensor([prefix + list(story[:t])])
                lp = torch.log_softmax(agent(input_ids=x).logits[0, -1].float(), -1)
                lq = torch.log_softmax(ref(input_ids=x).logits[0, -1].float(), -1)
                want += float((lp.exp() * (lp - lq)).sum())
        assert value == pytest.approx(want, rel=1e-4, abs=1e-5)


def test_each_story_keeps_its_own_values_whatever_the_batching(tmp_path, tiny_generator_dir, prompts):
    # Scoring passes batch stories by length; every value must come back to its own story.
    agent, tok = load_causal_lm(str(tiny_generator_dir(tmp_path / "a", seed=1)), "cpu")
    ref, _ = load_causal_lm(str(tiny_generator_dir(tmp_path / "b", seed=2)), "cpu")
    ps, ids = _stories(agent, tok, prompts(6), n=3, seed=5)
    assert len({len(i) for i in ids}) > 3  # lengths vary, so the length order is not the input order
    one = story_kl(agent, ref, tok, ps, ids, batch_size=1)
    for b in (4, 64):
        got = story_kl(agent, ref, tok, ps, ids, batch_size=b)
        assert got["exact"] == pytest.approx(one["exact"], rel=1e-4, abs=1e-5)
        assert got["log_ratio"] == pytest.approx(one["log_ratio"], rel=1e-4, abs=1e-5)
