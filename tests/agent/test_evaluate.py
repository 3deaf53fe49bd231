"""The agent's evaluation with constructed judges: a judge that only likes length gets a
length-controlled win rate of exactly 50%, whatever the raw win rate says."""

from __future__ import annotations

import json

import pytest

from rmbench.agent.evaluate import evaluate_agent
from rmbench.agent.generate import GenerationConfig


class LengthJudge:
    def score(self, prompts, responses):
        return [float(len(r)) for r in responses]


def test_length_only_judge_is_controlled_to_half(tmp_path, tiny_generator_dir, prompts):
    agent = tiny_generator_dir(tmp_path / "agent", seed=1)
    gen = tiny_generator_dir(tmp_path / "gen", seed=2)
    m = evaluate_agent(str(agent), str(gen), LengthJudge(), prompts(24), gen=GenerationConfig(max_new_tokens=12),
                       samples_per_prompt=2)
    lc = m["length_controlled"]
    assert lc["n_agent_longer"] > 0 and lc["n_agent_shorter"] > 0
    assert lc["agent_longer"] == 1.0 and lc["agent_shorter"] == 0.0 and lc["accuracy"] == pytest.approx(0.5)
    assert m["win_rate"]["n"] == 48 and m["win_rate"]["prompts"] == 24
    assert len(m["stories"]) == 48 and m["kl_to_generator"]["per_story"] > 0
    longer = sum(len(s["agent"]) > len(s["generator"]) for s in m["stories"])
    # The raw win rate is just how often the agent wrote more (ties half).
    ties = sum(len(s["agent"]) == len(s["generator"]) for s in m["stories"])
    assert m["win_rate"]["accuracy"] == pytest.approx((longer + ties / 2) / 48)
    json.dumps(m["stories"])  # plain data, written as stories.jsonl


def test_a_null_run_judges_the_generator_against_itself_without_kl(tmp_path, tiny_generator_dir, prompts):
    gen = tiny_generator_dir(tmp_path / "gen", seed=2)
    m = evaluate_agent(str(gen), str(gen), LengthJudge(), prompts(8), gen=GenerationConfig(max_new_tokens=12),
                       seed=0, kl=False)
    assert m["kl_to_generator"] is None and m["win_rate"]["n"] == 8
    # the two sides are the same model's seed-0 and seed-1 samples: different stories
    assert any(s["agent"] != s["generator"] for s in m["stories"])


def test_report_examples_come_from_different_prompts():
    from rmbench.agent.evaluate import report_examples

    stories = [{"prompt": p, "i": i} for i, p in enumerate("aaabbbccc")]
    assert [s["i"] for s in report_examples(stories)] == [0, 3, 6]
    # Fewer prompts than examples: the rest are further pairs, in order.
    assert [s["i"] for s in report_examples(stories[:4])] == [0, 1, 3]
    assert report_examples([]) == []
